// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Statement} from "../Statement.sol";
import {IDigitRegistry} from "../interfaces/IDigitRegistry.sol";

/// @title DigitBounty
/// @notice An example integrator of the DigitRegistry: an ETH bounty for a proof, in the registry and with a given
///         model, that a private image is classified as a given digit. Any record that qualifies may be used to
///         claim it; the whole reward goes, once, to the submitter of the first qualifying record for which
///         someone calls `claim` (not necessarily the earliest such record, nor the caller).
/// @dev The registry binds each proof to its submitter, so the bounty pays the record's submitter whoever calls
///      `claim`. A record qualifies if it is for this bounty's model and digit and was made strictly after the
///      bounty was posted, which is checked as `record.timestamp > openedAt`: the registry stores only a record's
///      block timestamp, not its block number. The check is sound, since a strictly later timestamp means a
///      strictly later block, and conservative: a record made in the deployment's block, or in a later block
///      with the same timestamp, is refused. A record of a model the registry has since deactivated is refused too.
///      The sponsor cancels in two steps: `requestCancel` announces it, `cancel` refunds no earlier than
///      `CANCEL_DELAY` later, and claims stay open (and settle the bounty) until then, so a sponsor who sees a
///      winning record cannot front-run its claim with a cancellation.
contract DigitBounty {
    /// @notice How long after `requestCancel` the sponsor must wait before `cancel`; claims stay open meanwhile.
    uint256 public constant CANCEL_DELAY = 1 days;

    /// @notice The registry whose records are trusted.
    IDigitRegistry public immutable registry;
    /// @notice The model that must have classified the image.
    uint32 public immutable modelId;
    /// @notice The digit the image must be classified as.
    uint8 public immutable digit;
    /// @notice The account that funded the bounty and may cancel it.
    address public immutable sponsor;
    /// @notice The timestamp of the block in which the bounty was posted; only records with a strictly later
    ///         timestamp count.
    uint48 public immutable openedAt;

    /// @notice Whether the bounty has been paid or cancelled.
    bool public settled;
    /// @notice The account that was paid; zero until then.
    address public winner;
    /// @notice The earliest timestamp at which the sponsor may `cancel`; zero until `requestCancel`.
    uint48 public cancelableAt;

    /// @notice The bounty was paid or cancelled already.
    error AlreadySettled();
    /// @notice No reward was sent with the deployment.
    error NoReward();
    /// @notice The record of `commitment` is missing, for another digit or model, or not strictly later than the
    ///         bounty (its timestamp is at most `openedAt`).
    error NotEligible(uint256 commitment);
    /// @notice Only the sponsor may do this.
    error NotSponsor(address caller);
    /// @notice Sending the reward to `to` failed.
    error PaymentFailed(address to);
    /// @notice The sponsor has already announced a cancellation, possible from `cancelableAt`.
    error CancelAlreadyRequested(uint256 cancelableAt);
    /// @notice `cancel` needs a `requestCancel` first.
    error CancelNotRequested();
    /// @notice The cancellation is possible only from `cancelableAt` (announced by `requestCancel`).
    error CancelTooEarly(uint256 cancelableAt);

    /// @notice Emitted when the reward is paid.
    /// @param winner The submitter of the winning record.
    /// @param commitment The winning commitment.
    /// @param amount The reward in wei.
    event BountyPaid(address indexed winner, uint256 indexed commitment, uint256 amount);

    /// @notice Emitted when the sponsor announces a cancellation; claims stay possible until it happens.
    /// @param cancelableAt The earliest timestamp at which the sponsor may cancel.
    event CancelRequested(uint256 cancelableAt);

    /// @notice Emitted when the sponsor cancels the bounty and takes the reward back.
    /// @param amount The refund in wei.
    event BountyCancelled(uint256 amount);

    /// @notice Opens a bounty funded with the ETH sent.
    /// @dev Reverts with `NoReward` if no ETH is sent, and with the registry's `DigitOutOfRange` if `digit_` is
    ///      not a decimal digit (no record could ever match, so the reward would be locked until cancelled).
    /// @param registry_ The registry to read records from.
    /// @param modelId_ The model that must have classified the image.
    /// @param digit_ The digit the image must be classified as (0..9).
    constructor(IDigitRegistry registry_, uint32 modelId_, uint8 digit_) payable {
        if (msg.value == 0) revert NoReward();
        if (digit_ >= Statement.CLASSES) revert IDigitRegistry.DigitOutOfRange(digit_);
        registry = registry_;
        modelId = modelId_;
        digit = digit_;
        sponsor = msg.sender;
        openedAt = uint48(block.timestamp);
    }

    /// @notice Pays the whole reward to the submitter of `commitment`'s record, if it qualifies; anyone may call it,
    ///         also after the sponsor has requested a cancellation.
    /// @dev Reverts with the registry's `ModelInactive` if the bounty's model has been deactivated.
    /// @param commitment A commitment recorded in the registry with this bounty's digit and model, at a timestamp
    ///        strictly later than `openedAt`.
    function claim(uint256 commitment) external {
        if (settled) revert AlreadySettled();
        _requireActiveModel();
        IDigitRegistry.Record memory record = registry.recordOf(commitment);
        if (
            record.submitter == address(0) || record.digit != digit || record.modelId != modelId
                || record.timestamp <= openedAt
        ) revert NotEligible(commitment);

        _pay(record.submitter, commitment);
    }

    /// @notice Announces that the sponsor will cancel the unclaimed bounty, no earlier than `CANCEL_DELAY` from now.
    function requestCancel() external {
        if (msg.sender != sponsor) revert NotSponsor(msg.sender);
        if (settled) revert AlreadySettled();
        if (cancelableAt != 0) revert CancelAlreadyRequested(cancelableAt);

        uint48 at = uint48(block.timestamp + CANCEL_DELAY);
        cancelableAt = at;
        emit CancelRequested(at);
    }

    /// @notice Cancels the unclaimed bounty and refunds the sponsor, once the announced delay has passed.
    function cancel() external {
        if (msg.sender != sponsor) revert NotSponsor(msg.sender);
        if (settled) revert AlreadySettled();
        uint48 at = cancelableAt;
        if (at == 0) revert CancelNotRequested();
        if (block.timestamp < at) revert CancelTooEarly(at);

        settled = true;
        uint256 amount = address(this).balance;
        emit BountyCancelled(amount);
        _send(sponsor, amount);
    }

    /// @dev Reverts with the registry's `ModelInactive` unless the bounty's model is active: records of a model
    ///      the registry's owner deactivated (a broken circuit, a leaked key) are not trusted.
    function _requireActiveModel() internal view {
        if (!registry.modelOf(modelId).active) revert IDigitRegistry.ModelInactive(modelId);
    }

    /// @dev Settles the bounty and pays the whole balance to `submitter` (effects before the transfer).
    /// @param submitter The submitter of the winning record.
    /// @param commitment The winning commitment (for a batch record, the batch commitment).
    function _pay(address submitter, uint256 commitment) internal {
        settled = true;
        winner = submitter;
        uint256 amount = address(this).balance;
        emit BountyPaid(submitter, commitment, amount);
        _send(submitter, amount);
    }

    /// @dev Sends `amount` wei to `to`, reverting if the transfer fails.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert PaymentFailed(to);
    }
}
