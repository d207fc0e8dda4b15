// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Statement} from "./Statement.sol";
import {TwoStepOwnable} from "./access/TwoStepOwnable.sol";
import {VerifierCall} from "./VerifierCall.sol";
import {IDigitRegistry, IGroth16AggregateVerifier} from "./interfaces/IDigitRegistry.sol";

/// @title DigitRegistry
/// @notice Records zero-knowledge proofs that a private 28×28 image, known only by its commitment, is
///         classified as a digit by a registered convolutional network. The owner registers models (one
///         Groth16 verifier per circuit, with the sha256 of the ONNX file it was compiled from) and may
///         deactivate them; anyone may submit proofs.
/// @dev Each proof is bound to its submitter: the registry itself builds the public signal
///      `binding = digit << Statement.ADDRESS_BITS | msg.sender`, so a copy of a pending proof sent by another account (front-running)
///      or claiming another digit fails verification. A commitment is recorded once, in a single storage slot;
///      nothing else is written. Counts and lists are read off-chain from `ClassificationRecorded` events.
///      `submitMany` records many proofs of one model, each bound to the submitter it names rather than to
///      `msg.sender` (a relayer pays the gas), and checks them all with one call to the model's aggregate verifier.
contract DigitRegistry is IDigitRegistry, TwoStepOwnable {
    /// @notice The order of the BN254 scalar field; every public signal of the circuit is below it.
    uint256 public constant SNARK_SCALAR_FIELD = Statement.SCALAR_FIELD;

    /// @dev Models by identifier.
    mapping(uint32 modelId => Model) private _models;

    /// @dev Proven classifications by commitment, one slot each, packed as a `Record` is laid out in storage:
    ///      digit (bits 0..7), submitter (8..167), modelId (168..199), timestamp (200..247); zero if none.
    ///      Kept as a word so `submit` writes it with a single SSTORE (a struct assignment costs several).
    mapping(uint256 commitment => uint256 packedRecord) private _records;

    /// @dev Aggregate verifiers by model (`submitMany`); zero if none.
    mapping(uint32 modelId => address verifier) private _aggregateVerifiers;

    /// @notice Creates an empty registry.
    /// @param initialOwner The account allowed to register and deactivate models.
    constructor(address initialOwner) TwoStepOwnable(initialOwner) {}

    /// @inheritdoc IDigitRegistry
    function registerModel(
        uint32 modelId,
        address verifier,
        bytes32 onnxSha256,
        bytes32 ceremonySha256,
        string calldata name
    ) external onlyOwner {
        if (verifier.code.length == 0) revert VerifierNotContract(verifier);
        Model storage model = _models[modelId];
        if (model.verifier != address(0)) revert ModelAlreadyRegistered(modelId);

        model.verifier = verifier;
        model.active = true;
        model.onnxSha256 = onnxSha256;
        model.ceremonySha256 = ceremonySha256;
        model.name = name;
        emit ModelRegistered(modelId, verifier, onnxSha256, ceremonySha256, name);
    }

    /// @inheritdoc IDigitRegistry
    function deactivateModel(uint32 modelId) external onlyOwner {
        Model storage model = _models[modelId];
        if (model.verifier == address(0)) revert UnknownModel(modelId);
        if (!model.active) revert ModelInactive(modelId);

        model.active = false;
        emit ModelDeactivated(modelId);
    }

    /// @inheritdoc IDigitRegistry
    /// @dev Checks, in order: the model exists and is active, `digit <= 9`, `commitment` is a field element,
    ///      `commitment` is not recorded yet, and the proof verifies for `[commitment, binding]`. The verifier is
    ///      called with STATICCALL, so it cannot re-enter and change state before the record is written.
    function submit(uint32 modelId, uint8 digit, uint256 commitment, uint256[8] calldata proof) external {
        Model storage model = _models[modelId];
        (address verifier, bool active) = (model.verifier, model.active);
        if (verifier == address(0)) revert UnknownModel(modelId);
        if (!active) revert ModelInactive(modelId);
        if (digit >= Statement.CLASSES) revert DigitOutOfRange(digit);
        if (commitment >= SNARK_SCALAR_FIELD) revert CommitmentOutOfField(commitment);
        if (_records[commitment] != 0) revert AlreadyRecorded(commitment);

        uint256 binding = (uint256(digit) << Statement.ADDRESS_BITS) | uint256(uint160(msg.sender));
        if (!VerifierCall.accepts(verifier, proof, commitment, binding)) revert InvalidProof();

        _records[commitment] = _pack(digit, msg.sender, modelId, uint48(block.timestamp));
        emit ClassificationRecorded(commitment, msg.sender, modelId, digit);
    }

    /// @inheritdoc IDigitRegistry
    function registerAggregateVerifier(uint32 modelId, address verifier) external onlyOwner {
        if (_models[modelId].verifier == address(0)) revert UnknownModel(modelId);
        if (verifier.code.length == 0) revert VerifierNotContract(verifier);
        if (_aggregateVerifiers[modelId] != address(0)) revert AggregateVerifierAlreadyRegistered(modelId);

        _aggregateVerifiers[modelId] = verifier;
        emit AggregateVerifierRegistered(modelId, verifier);
    }

    /// @inheritdoc IDigitRegistry
    /// @dev Checks, in order: the model exists, is active and has an aggregate verifier; the list is not empty; then
    ///      per item `digit <= 9`, `commitment` is a field element and the submitter is not zero (each reverting the
    ///      whole call), and a recorded commitment is skipped. The other items are written as `submit` writes them
    ///      and then verified by one STATICCALL (it cannot re-enter or change state); a rejection reverts every write.
    ///      The verifier's call data is built in memory reserved up front, as `verifyProofs(uint256[10][])` takes it:
    ///      the selector, the array's offset and length, then per recorded item its eight proof words and its public
    ///      signals `[commitment, binding]`.
    function submitMany(uint32 modelId, RelayedProof[] calldata items) external {
        address aggregate = _aggregateVerifierFor(modelId);
        uint256 count = items.length;
        if (count == 0) revert NothingToSubmit();

        uint256 input;
        assembly ("memory-safe") {
            input := mload(0x40)
            mstore(0x40, add(input, add(0x44, mul(count, 0x140))))
        }
        uint256 next = input + 0x44;
        for (uint256 i; i < count; ++i) {
            next = _record(items[i], modelId, next);
        }
        if (next != input + 0x44 && !_acceptsAll(aggregate, input, next)) revert InvalidProof();
    }

    /// @inheritdoc IDigitRegistry
    function aggregateVerifierOf(uint32 modelId) external view returns (address) {
        return _aggregateVerifiers[modelId];
    }

    /// @inheritdoc IDigitRegistry
    function recordOf(uint256 commitment) external view returns (Record memory) {
        return _unpack(_records[commitment]);
    }

    /// @inheritdoc IDigitRegistry
    function isProven(uint256 commitment, uint32 modelId, uint8 digit) external view returns (bool) {
        uint256 packed = _records[commitment];
        return packed != 0 && uint8(packed) == digit && uint32(packed >> 168) == modelId && _models[modelId].active;
    }

    /// @inheritdoc IDigitRegistry
    function modelOf(uint32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @dev The aggregate verifier of `modelId`, if the model exists, is active and has one (else the errors of
    ///      `submitMany`).
    /// @param modelId The model.
    /// @return aggregate The model's aggregate verifier.
    function _aggregateVerifierFor(uint32 modelId) private view returns (address aggregate) {
        Model storage model = _models[modelId];
        (address verifier, bool active) = (model.verifier, model.active);
        if (verifier == address(0)) revert UnknownModel(modelId);
        if (!active) revert ModelInactive(modelId);
        aggregate = _aggregateVerifiers[modelId];
        if (aggregate == address(0)) revert NoAggregateVerifier(modelId);
    }

    /// @dev Checks one relayed proof and, unless its commitment is recorded already (then `RecordSkipped`), records
    ///      it as `submit` does and writes its verifier item at `next`.
    /// @param item The relayed proof.
    /// @param modelId The model.
    /// @param next Where its verifier item goes.
    /// @return The end of the items written so far (`next`, or past the new item).
    function _record(RelayedProof calldata item, uint32 modelId, uint256 next) private returns (uint256) {
        (uint256 commitment, address submitter, uint8 digit) = (item.commitment, item.submitter, item.digit);
        if (digit >= Statement.CLASSES) revert DigitOutOfRange(digit);
        if (commitment >= SNARK_SCALAR_FIELD) revert CommitmentOutOfField(commitment);
        if (submitter == address(0)) revert ZeroSubmitter();
        if (_records[commitment] != 0) {
            emit RecordSkipped(commitment, submitter);
            return next;
        }

        _records[commitment] = _pack(digit, submitter, modelId, uint48(block.timestamp));
        emit ClassificationRecorded(commitment, submitter, modelId, digit);
        uint256 binding = (uint256(digit) << Statement.ADDRESS_BITS) | uint256(uint160(submitter));
        uint256[8] calldata proof = item.proof;
        assembly ("memory-safe") {
            calldatacopy(next, proof, 0x100)
            mstore(add(next, 0x100), commitment)
            mstore(add(next, 0x120), binding)
        }
        return next + 0x140;
    }

    /// @dev Calls `verifier.verifyProofs(items)` with the items written from `input + 0x44` up to `end`; anything but a
    ///      32-byte `true` (a revert, a short answer) counts as a rejection.
    /// @param verifier The model's aggregate verifier.
    /// @param input The reserved call data: 0x44 bytes of head, then the items, 0x140 bytes each.
    /// @param end Where the last item ends.
    /// @return valid True if the verifier accepted every proof.
    function _acceptsAll(address verifier, uint256 input, uint256 end) private view returns (bool valid) {
        bytes4 selector = IGroth16AggregateVerifier.verifyProofs.selector;
        assembly ("memory-safe") {
            mstore(input, selector)
            mstore(add(input, 0x04), 0x20)
            mstore(add(input, 0x24), div(sub(end, add(input, 0x44)), 0x140))
            let success := staticcall(gas(), verifier, input, sub(end, input), 0x00, 0x20)
            valid := and(success, and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)))
        }
    }

    /// @dev Packs a record into one word, in the layout of `Record` in storage.
    /// @param digit The digit.
    /// @param submitter The submitter.
    /// @param modelId The model.
    /// @param timestamp The block timestamp.
    /// @return packed The record as one word; never zero, since the submitter is never zero.
    function _pack(uint8 digit, address submitter, uint32 modelId, uint48 timestamp)
        private
        pure
        returns (uint256 packed)
    {
        packed = uint256(digit) | (uint256(uint160(submitter)) << 8) | (uint256(modelId) << 168)
            | (uint256(timestamp) << 200);
    }

    /// @dev Unpacks a word written by `_pack`.
    /// @param packed The packed record.
    /// @return record The record; all fields zero if `packed` is zero.
    function _unpack(uint256 packed) private pure returns (Record memory record) {
        record.digit = uint8(packed);
        record.submitter = address(uint160(packed >> 8));
        record.modelId = uint32(packed >> 168);
        record.timestamp = uint48(packed >> 200);
    }
}
