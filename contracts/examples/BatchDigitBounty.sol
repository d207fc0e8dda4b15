// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBatchRegistry} from "../interfaces/IBatchRegistry.sol";
import {IDigitRegistry} from "../interfaces/IDigitRegistry.sol";
import {DigitBounty} from "./DigitBounty.sol";

/// @title BatchDigitBounty
/// @notice The example bounty, claimable with a single record (`claim`, as DigitBounty) or with one digit of a batch
///         record (`claimFromBatch`) of a trusted BatchRegistry. Same rules: the bounty's model and digit, recorded
///         strictly after the bounty was posted (`timestamp > openedAt`), paid once to the record's submitter.
contract BatchDigitBounty is DigitBounty {
    /// @notice The batch registry whose records are trusted.
    IBatchRegistry public immutable batches;

    /// @notice The digit at `index` of batch `batchCommitment` is missing, another digit, or not strictly later
    ///         than the bounty.
    error NotEligibleInBatch(uint256 batchCommitment, uint256 index);

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
    /// @param batchCommitment A batch recorded for this bounty's model.
    /// @param index The position in the batch of an image classified as this bounty's digit.
    function claimFromBatch(uint256 batchCommitment, uint256 index) external {
        if (settled) revert AlreadySettled();
        IBatchRegistry.BatchDigit memory record;
        try batches.digitOf(modelId, batchCommitment, index) returns (IBatchRegistry.BatchDigit memory found) {
            record = found;
        } catch {
            revert NotEligibleInBatch(batchCommitment, index);
        }
        if (record.digit != digit || record.timestamp <= openedAt) revert NotEligibleInBatch(batchCommitment, index);

        emit BountyPaidFromBatch(batchCommitment, index);
        _pay(record.submitter, batchCommitment);
    }
}
