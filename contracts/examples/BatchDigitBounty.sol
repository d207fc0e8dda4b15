// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBatchRegistry} from "../interfaces/IBatchRegistry.sol";
import {IDigitRegistry} from "../interfaces/IDigitRegistry.sol";
import {DigitBounty} from "./DigitBounty.sol";

/// @title BatchDigitBounty
/// @notice The example bounty, claimable with a single record (`claim`, as DigitBounty) or with one digit of a batch
///         record (`claimFromBatch`) of a trusted BatchRegistry. Same rules: the bounty's model and digit, recorded
///         strictly after the bounty was posted (`timestamp > openedAt`), paid once to the record's submitter.
/// @dev A batch counts only if the verifier of its size was registered strictly before the bounty was posted: the
///      batch registry's owner (or whoever holds its key) could otherwise register a forging verifier for an unused
///      size after seeing the bounty and record a forged batch to claim it. The model must still be active.
contract BatchDigitBounty is DigitBounty {
    /// @notice The batch registry whose records are trusted.
    IBatchRegistry public immutable batches;

    /// @notice The digit at `index` of batch `batchCommitment` is missing, another digit, or not strictly later
    ///         than the bounty.
    error NotEligibleInBatch(uint256 batchCommitment, uint256 index);

    /// @notice The verifier of batches of `size` digits was registered at `registeredAt`, not strictly before the
    ///         bounty was posted, so this bounty does not trust it.
    error UntrustedBatchVerifier(uint256 size, uint256 registeredAt);

    /// @notice `batches` is not a batch registry of this bounty's registry.
    error RegistryMismatch(address batches);

    /// @notice Emitted, after `BountyPaid` (which names the batch commitment), when the reward is paid for a digit
    ///         of a batch.
    /// @param batchCommitment The batch's Merkle root.
    /// @param index The position of the winning image in the batch.
    event BountyPaidFromBatch(uint256 indexed batchCommitment, uint256 index);

    /// @notice Opens a bounty funded with the ETH sent (see DigitBounty's constructor).
    /// @param registry_ The registry of single records.
    /// @param batches_ The batch registry; it must be for `registry_`'s models.
    /// @param modelId_ The model that must have classified the image.
    /// @param digit_ The digit the image must be classified as (0..9).
    constructor(IDigitRegistry registry_, IBatchRegistry batches_, uint32 modelId_, uint8 digit_)
        payable
        DigitBounty(registry_, modelId_, digit_)
    {
        if (address(batches_.registry()) != address(registry_)) revert RegistryMismatch(address(batches_));
        batches = batches_;
    }

    /// @notice Pays the whole reward to the submitter of batch `batchCommitment` if its digit at `index` qualifies;
    ///         anyone may call it.
    /// @dev Reverts with `ModelInactive` if the model has been deactivated, `NotEligibleInBatch` if the digit does
    ///      not qualify, and `UntrustedBatchVerifier` if its size's verifier is not older than the bounty.
    /// @param batchCommitment A batch recorded for this bounty's model.
    /// @param index The position in the batch of an image classified as this bounty's digit.
    function claimFromBatch(uint256 batchCommitment, uint256 index) external {
        if (settled) revert AlreadySettled();
        _requireActiveModel();
        IBatchRegistry.BatchDigit memory record;
        try batches.digitOf(modelId, batchCommitment, index) returns (IBatchRegistry.BatchDigit memory found) {
            record = found;
        } catch {
            revert NotEligibleInBatch(batchCommitment, index);
        }
        if (record.digit != digit || record.timestamp <= openedAt) revert NotEligibleInBatch(batchCommitment, index);
        uint48 registeredAt = batches.batchVerifierOf(modelId, record.size).registeredAt;
        if (registeredAt >= openedAt) revert UntrustedBatchVerifier(record.size, registeredAt);

        emit BountyPaidFromBatch(batchCommitment, index);
        _pay(record.submitter, batchCommitment);
    }
}
