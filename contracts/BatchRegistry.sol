// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Statement} from "./Statement.sol";
import {TwoStepOwnable} from "./access/TwoStepOwnable.sol";
import {IBatchRegistry} from "./interfaces/IBatchRegistry.sol";
import {VerifierCall} from "./VerifierCall.sol";
import {IDigitRegistry} from "./interfaces/IDigitRegistry.sol";

/// @title BatchRegistry
/// @notice Records batch proofs: one Groth16 proof that N private images, committed to by the leaves of a Poseidon
///         Merkle root, are classified as N digits by a model of a DigitRegistry. A batch costs one proof with two
///         public signals, one storage slot and one event, whatever N, so its gas per digit falls as 1/N.
/// @dev A separate contract rather than more functions on DigitRegistry: that keeps `DigitRegistry.submit`'s
///      selector dispatch, and so its gas, as it is. Models (identifiers, ONNX hashes, active flags) are the
///      DigitRegistry's: a model it deactivates takes no more batches here. Each batch is bound to its submitter:
///      the registry builds `binding = Σ digits[i] << (160 + 4·i) | msg.sender` itself. Each batch verifier is bound
///      to its key's ceremony hash and registration time, serves one model and size, is never replaced, and can be
///      made final per model (`closeBatchSizes`).
contract BatchRegistry is IBatchRegistry, TwoStepOwnable {
    /// @notice The most digits in one batch: one record word holds MAX_BATCH digits of DIGIT_BITS bits.
    uint256 public constant MAX_BATCH = Statement.MAX_BATCH;
    /// @notice Bits per digit in the binding and in a record.
    uint256 public constant DIGIT_BITS = Statement.DIGIT_BITS;

    /// @inheritdoc IBatchRegistry
    IDigitRegistry public immutable registry;

    /// @dev Batch verifiers by model and batch size: the verifier and its registration time in one slot (all that
    ///      `submitBatch` reads), the ceremony hash in the next.
    mapping(uint32 modelId => mapping(uint256 size => BatchVerifier)) private _verifiers;

    /// @dev Batch records by model and batch commitment, one word each: the digits (bits 0..63, digit i in bits
    ///      4i..4i+3, 0xF in every nibble past the batch's size), the submitter (64..223) and the block timestamp
    ///      (224..255, seconds: enough until the year 2106); zero if none (the submitter is never zero).
    mapping(uint32 modelId => mapping(uint256 batchCommitment => uint256 packedRecord)) private _batches;

    /// @dev Every verifier registered, for any model and size: each serves one, so no batch is recorded twice.
    mapping(address verifier => bool registered) private _inUse;

    /// @inheritdoc IBatchRegistry
    mapping(uint32 modelId => bool closed) public batchSizesClosed;

    /// @notice Creates an empty batch registry for the models of `registry_`.
    /// @param registry_ The DigitRegistry whose models batches are proven for.
    /// @param initialOwner The account allowed to register batch verifiers.
    constructor(IDigitRegistry registry_, address initialOwner) TwoStepOwnable(initialOwner) {
        registry = registry_;
    }

    /// @inheritdoc IBatchRegistry
    /// @dev Checks, in order: the size, the ceremony hash, the verifier has code and serves nothing yet, the model
    ///      is known and active in the DigitRegistry, its sizes are open, and the size has no verifier yet.
    function registerBatchVerifier(uint32 modelId, uint256 size, address verifier, bytes32 ceremonySha256)
        external
        onlyOwner
    {
        if (size == 0 || size > MAX_BATCH) revert BatchSizeOutOfRange(size);
        if (ceremonySha256 == bytes32(0)) revert MissingCeremonyHash();
        if (verifier.code.length == 0) revert IDigitRegistry.VerifierNotContract(verifier);
        if (_inUse[verifier]) revert BatchVerifierInUse(verifier);
        IDigitRegistry.Model memory model = registry.modelOf(modelId);
        if (model.verifier == address(0)) revert IDigitRegistry.UnknownModel(modelId);
        if (!model.active) revert IDigitRegistry.ModelInactive(modelId);
        if (batchSizesClosed[modelId]) revert BatchSizesAlreadyClosed(modelId);
        BatchVerifier storage entry = _verifiers[modelId][size];
        if (entry.verifier != address(0)) revert BatchVerifierAlreadyRegistered(modelId, size);

        uint48 registeredAt = uint48(block.timestamp);
        (entry.verifier, entry.registeredAt, entry.ceremonySha256) = (verifier, registeredAt, ceremonySha256);
        _inUse[verifier] = true;
        emit BatchVerifierRegistered(modelId, size, verifier, ceremonySha256, registeredAt);
    }

    /// @inheritdoc IBatchRegistry
    function closeBatchSizes(uint32 modelId) external onlyOwner {
        if (registry.modelOf(modelId).verifier == address(0)) revert IDigitRegistry.UnknownModel(modelId);
        if (batchSizesClosed[modelId]) revert BatchSizesAlreadyClosed(modelId);

        batchSizesClosed[modelId] = true;
        emit BatchSizesClosed(modelId);
    }

    /// @inheritdoc IBatchRegistry
    /// @dev Checks, in order: a verifier for this model and size, the model active in the DigitRegistry, every
    ///      digit `<= 9` (so none overflows into its neighbour's 4 bits), `batchCommitment` a field element and not
    ///      recorded for this model yet (replay protection per batch), and the proof for
    ///      `[batchCommitment, binding]`. Both external calls are STATICCALLs, made before the one write.
    function submitBatch(uint32 modelId, uint256 batchCommitment, uint8[] calldata digits, uint256[8] calldata proof)
        external
    {
        uint256 size = digits.length;
        address verifier = _verifiers[modelId][size].verifier;
        if (verifier == address(0)) revert UnknownBatchVerifier(modelId, size);
        if (!_active(modelId)) revert IDigitRegistry.ModelInactive(modelId);
        uint256 packed;
        for (uint256 i; i < size; ++i) {
            uint8 digit = digits[i];
            if (digit >= Statement.CLASSES) revert BatchDigitOutOfRange(i, digit);
            packed |= uint256(digit) << (DIGIT_BITS * i);
        }
        if (batchCommitment >= Statement.SCALAR_FIELD) revert IDigitRegistry.CommitmentOutOfField(batchCommitment);
        mapping(uint256 => uint256) storage batches = _batches[modelId];
        if (batches[batchCommitment] != 0) revert BatchAlreadyRecorded(modelId, batchCommitment);

        uint256 binding = (packed << Statement.ADDRESS_BITS) | uint256(uint160(msg.sender));
        if (!VerifierCall.accepts(verifier, proof, batchCommitment, binding)) revert IDigitRegistry.InvalidProof();

        uint256 nibbles = packed | (type(uint64).max << (DIGIT_BITS * size) & type(uint64).max);
        batches[batchCommitment] = nibbles | (uint256(uint160(msg.sender)) << 64) | (block.timestamp << 224);
        emit BatchRecorded(batchCommitment, msg.sender, modelId, uint8(size), uint64(packed));
    }

    /// @inheritdoc IBatchRegistry
    function digitOf(uint32 modelId, uint256 batchCommitment, uint256 index)
        external
        view
        returns (BatchDigit memory record)
    {
        uint256 packed = _batches[modelId][batchCommitment];
        uint256 digit = index < MAX_BATCH ? (packed >> (DIGIT_BITS * index)) & 0xF : 0xF;
        if (packed == 0 || digit == 0xF) revert NotInBatch(modelId, batchCommitment, index);
        record.digit = uint8(digit);
        record.submitter = address(uint160(packed >> 64));
        record.timestamp = uint48(packed >> 224);
        record.size = uint8(_size(packed));
    }

    /// @inheritdoc IBatchRegistry
    function batchOf(uint32 modelId, uint256 batchCommitment)
        external
        view
        returns (uint8[] memory digits, address submitter, uint48 timestamp)
    {
        uint256 packed = _batches[modelId][batchCommitment];
        if (packed == 0) return (digits, submitter, timestamp);
        uint256 size = _size(packed);
        digits = new uint8[](size);
        for (uint256 i; i < size; ++i) {
            digits[i] = uint8((packed >> (DIGIT_BITS * i)) & 0xF);
        }
        submitter = address(uint160(packed >> 64));
        timestamp = uint48(packed >> 224);
    }

    /// @inheritdoc IBatchRegistry
    function verifierOf(uint32 modelId, uint256 size) external view returns (address) {
        return _verifiers[modelId][size].verifier;
    }

    /// @inheritdoc IBatchRegistry
    function batchVerifierOf(uint32 modelId, uint256 size) external view returns (BatchVerifier memory) {
        return _verifiers[modelId][size];
    }

    /// @dev The number of digits of a packed batch record: the nibbles before the first 0xF.
    /// @param packed A record word.
    /// @return size The batch's size.
    function _size(uint256 packed) private pure returns (uint256 size) {
        while (size < MAX_BATCH && (packed >> (DIGIT_BITS * size)) & 0xF != 0xF) ++size;
    }

    /// @dev Whether `modelId` is active in the DigitRegistry: `modelOf`'s second word, read without decoding the
    ///      model's name. A registry that does not answer counts as inactive.
    /// @param modelId The model.
    /// @return active The model's active flag.
    function _active(uint32 modelId) private view returns (bool active) {
        (bool ok, bytes memory answer) =
            address(registry).staticcall(abi.encodeCall(IDigitRegistry.modelOf, (modelId)));
        if (!ok || answer.length < 0x80) return false;
        assembly ("memory-safe") {
            // answer: [offset of the tuple][verifier][active][onnxSha256][offset of name]...
            active := eq(mload(add(answer, 0x60)), 1)
        }
    }
}
