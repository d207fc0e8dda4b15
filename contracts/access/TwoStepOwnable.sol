// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TwoStepOwnable
/// @notice Single-owner access control where ownership moves in two steps: the owner names a pending owner,
///         who must accept. The owner may also renounce ownership for good, after which no account can call the
///         owner's functions again. The interface and behaviour match OpenZeppelin 5's `Ownable2Step`
///         (functions, events, errors, including `renounceOwnership`).
/// @dev Written here instead of imported because Ape's npm dependency unpacks OpenZeppelin into
///      `contracts/.cache` when the project sits in the system temp folder, and Ape then lists only the first
///      500 files of `contracts/`, losing this project's own sources (see docs/contracts.md, "Why no OpenZeppelin").
abstract contract TwoStepOwnable {
    /// @dev The current owner (slot 0, as in OpenZeppelin's `Ownable`).
    address private _owner;

    /// @dev The account named by the owner, until it accepts (slot 1, as in `Ownable2Step`).
    address private _pendingOwner;

    /// @notice `account` called a function reserved to another account.
    error OwnableUnauthorizedAccount(address account);

    /// @notice The zero address cannot own the contract.
    error OwnableInvalidOwner(address owner);

    /// @notice The owner named `newOwner`, who has not accepted yet.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    /// @notice Ownership moved from `previousOwner` to `newOwner`.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @param initialOwner The first owner.
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(initialOwner);
    }

    /// @dev Reverts unless called by the owner.
    modifier onlyOwner() {
        if (msg.sender != _owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    /// @notice The current owner.
    function owner() public view returns (address) {
        return _owner;
    }

    /// @notice The account that may accept ownership, or zero.
    function pendingOwner() public view returns (address) {
        return _pendingOwner;
    }

    /// @notice Names `newOwner` as pending owner; the transfer completes when it calls `acceptOwnership`.
    /// @param newOwner The proposed owner (zero cancels a pending transfer).
    function transferOwnership(address newOwner) external onlyOwner {
        _pendingOwner = newOwner;
        emit OwnershipTransferStarted(_owner, newOwner);
    }

    /// @notice Completes a transfer; only the pending owner may call it.
    function acceptOwnership() external {
        if (msg.sender != _pendingOwner) revert OwnableUnauthorizedAccount(msg.sender);
        _transferOwnership(msg.sender);
    }

    /// @notice Gives up ownership for good: the owner becomes zero and any pending transfer is cancelled, so every
    ///         `onlyOwner` function reverts from then on. For `DigitRegistry` this makes the set of models and their
    ///         active flags final (no model can be registered or deactivated any more).
    /// @dev As in OpenZeppelin 5: owner only, emits `OwnershipTransferred(owner, address(0))`.
    function renounceOwnership() external onlyOwner {
        _transferOwnership(address(0));
    }

    /// @dev Sets the owner and clears any pending owner.
    function _transferOwnership(address newOwner) private {
        address previous = _owner;
        _owner = newOwner;
        delete _pendingOwner;
        emit OwnershipTransferred(previous, newOwner);
    }
}
