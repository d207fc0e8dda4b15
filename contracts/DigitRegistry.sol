// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Statement} from "./Statement.sol";
import {TwoStepOwnable} from "./access/TwoStepOwnable.sol";
import {VerifierCall} from "./VerifierCall.sol";
import {IDigitRegistry} from "./interfaces/IDigitRegistry.sol";

/// @title DigitRegistry
/// @notice Records zero-knowledge proofs that a private 28×28 image, known only by its commitment, is
///         classified as a digit by a registered convolutional network. The owner registers models (one
///         Groth16 verifier per circuit, with the sha256 of the ONNX file it was compiled from) and may
///         deactivate them; anyone may submit proofs.
/// @dev Each proof is bound to its submitter: the registry itself builds the public signal
///      `binding = digit << Statement.ADDRESS_BITS | msg.sender`, so a copy of a pending proof sent by another account (front-running)
///      or claiming another digit fails verification. A commitment is recorded once, in a single storage slot;
///      nothing else is written. Counts and lists are read off-chain from `ClassificationRecorded` events.
contract DigitRegistry is IDigitRegistry, TwoStepOwnable {
    /// @notice The order of the BN254 scalar field; every public signal of the circuit is below it.
    uint256 public constant SNARK_SCALAR_FIELD = Statement.SCALAR_FIELD;

    /// @dev Models by identifier.
    mapping(uint32 modelId => Model) private _models;

    /// @dev Proven classifications by commitment, one slot each, packed as a `Record` is laid out in storage:
    ///      digit (bits 0..7), submitter (8..167), modelId (168..199), timestamp (200..247); zero if none.
    ///      Kept as a word so `submit` writes it with a single SSTORE (a struct assignment costs several).
    mapping(uint256 commitment => uint256 packedRecord) private _records;

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
