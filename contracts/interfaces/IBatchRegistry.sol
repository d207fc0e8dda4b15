// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDigitRegistry} from "./IDigitRegistry.sol";

/// @title IBatchRegistry
/// @notice Records one Groth16 proof that each of N private 28×28 images is classified as its digit by a model of a
///         DigitRegistry: one proof, two public signals and one storage slot per batch, whatever N.
/// @dev The batch circuit's public signals are `[batchCommitment, binding]`: `batchCommitment` is the root of a
///      binary Poseidon Merkle tree whose leaves are the N image commitments (each exactly the single-digit
///      circuit's commitment of that image and salt; missing leaves up to the next power of two are zero), and
///      `binding = Σ digits[i] << (160 + 4·i) | submitter`, which the registry rebuilds from `msg.sender` and the
///      digits it is given. A batch verifier is bound to its key: each registration stores and emits the sha256 of
///      the key's ceremony (or, for a development key, of the key file) and its time; a verifier serves one model
///      and one size only; and the owner may close a model's set of batch sizes for good (`closeBatchSizes`), after
///      which no verifier can be added for it. Integrators check what stands behind a size with `batchVerifierOf`.
interface IBatchRegistry {
    /// @notice One digit of a batch record.
    /// @param digit The digit the model assigns to the image at this index of the batch.
    /// @param submitter The account that submitted the batch; its proof is bound to it.
    /// @param timestamp The timestamp of the block in which the batch was recorded.
    /// @param size The number of digits in the batch, so `batchVerifierOf(modelId, size)` names its verifier.
    struct BatchDigit {
        uint8 digit;
        address submitter;
        uint48 timestamp;
        uint8 size;
    }

    /// @notice What stands behind a model's batch size: its verifier, the key it checks and since when.
    /// @param verifier The Groth16 verifier of the batch circuit; zero if none is registered.
    /// @param registeredAt The timestamp of the block in which it was registered; zero if none.
    /// @param ceremonySha256 The sha256 of the trusted-setup transcript of the verifier's key (for a development key,
    ///        of the key file itself), so anyone can check which setup the verifier came from.
    struct BatchVerifier {
        address verifier;
        uint48 registeredAt;
        bytes32 ceremonySha256;
    }

    /// @notice No batch verifier is registered for model `modelId` and batches of `size` digits.
    error UnknownBatchVerifier(uint32 modelId, uint256 size);
    /// @notice A batch verifier is already registered for model `modelId` and `size`; it is never replaced.
    error BatchVerifierAlreadyRegistered(uint32 modelId, uint256 size);
    /// @notice `verifier` is registered already (for this or another model or size); each verifier serves one.
    error BatchVerifierInUse(address verifier);
    /// @notice No ceremony hash was given: a batch verifier must name the setup of its key.
    error MissingCeremonyHash();
    /// @notice The owner closed model `modelId`'s set of batch sizes; no verifier can be added for it.
    error BatchSizesAlreadyClosed(uint32 modelId);
    /// @notice `size` is not in 1..MAX_BATCH.
    error BatchSizeOutOfRange(uint256 size);
    /// @notice The digit at `index` of the batch is not a decimal digit (0..9).
    error BatchDigitOutOfRange(uint256 index, uint8 digit);
    /// @notice `batchCommitment` has already been recorded for this model.
    error BatchAlreadyRecorded(uint32 modelId, uint256 batchCommitment);
    /// @notice No batch `batchCommitment` is recorded for this model, or it has no digit at `index`.
    error NotInBatch(uint32 modelId, uint256 batchCommitment, uint256 index);

    /// @notice Emitted when the owner registers the verifier of a model's batch circuit of `size` digits.
    /// @param modelId The model (registered in the DigitRegistry).
    /// @param size The number of digits per batch.
    /// @param verifier The Groth16 verifier of the batch circuit.
    /// @param ceremonySha256 The sha256 of the trusted-setup transcript (or development key file) of its key.
    /// @param registeredAt The block timestamp of the registration.
    event BatchVerifierRegistered(
        uint32 indexed modelId,
        uint256 indexed size,
        address indexed verifier,
        bytes32 ceremonySha256,
        uint48 registeredAt
    );

    /// @notice Emitted when the owner closes a model's set of batch sizes for good.
    /// @param modelId The model; no batch verifier can be registered for it from now on.
    event BatchSizesClosed(uint32 indexed modelId);

    /// @notice Emitted once per recorded batch; the only record of its digits for aggregates (counts, lists).
    /// @param batchCommitment The Merkle root of the batch's image commitments.
    /// @param submitter The account the proof is bound to.
    /// @param modelId The model whose batch circuit was proven.
    /// @param size The number of digits.
    /// @param digits The digits, 4 bits each, digit i in bits 4i..4i+3.
    event BatchRecorded(
        uint256 indexed batchCommitment, address indexed submitter, uint32 indexed modelId, uint8 size, uint64 digits
    );

    /// @notice The DigitRegistry whose models (identifiers, ONNX hashes, active flags) batches are proven for.
    /// @return The registry.
    function registry() external view returns (IDigitRegistry);

    /// @notice Registers the verifier of `modelId`'s batch circuit for batches of `size` digits (owner only), for
    ///         good: it is never replaced, and it serves no other model or size.
    /// @param modelId A model registered and active in the DigitRegistry, whose batch sizes are not closed.
    /// @param size The number of digits per batch, 1..MAX_BATCH, without a verifier yet.
    /// @param verifier The Groth16 verifier (two public signals) of the batch circuit, not registered before.
    /// @param ceremonySha256 The sha256 of the trusted-setup transcript of the verifier's key (for a development key,
    ///        of the key file); not zero.
    function registerBatchVerifier(uint32 modelId, uint256 size, address verifier, bytes32 ceremonySha256) external;

    /// @notice Closes `modelId`'s set of batch sizes for good (owner only): every later `registerBatchVerifier` for
    ///         it reverts with `BatchSizesAlreadyClosed`, so its verifiers are final.
    /// @param modelId A model registered in the DigitRegistry, whose sizes are not closed yet.
    function closeBatchSizes(uint32 modelId) external;

    /// @notice Whether the owner has closed `modelId`'s set of batch sizes.
    /// @param modelId The model.
    /// @return True if no batch verifier can be registered for it any more.
    function batchSizesClosed(uint32 modelId) external view returns (bool);

    /// @notice Records that the images committed to by the leaves of `batchCommitment` are classified as `digits`
    ///         by model `modelId`; the proof is bound to `msg.sender`.
    /// @param modelId The model whose batch circuit was proven; it must be active in the DigitRegistry.
    /// @param batchCommitment The circuit's public output, the Merkle root of the image commitments.
    /// @param digits The claimed digits, in the order of the leaves.
    /// @param proof The Groth16 proof `[a0, a1, b00, b01, b10, b11, c0, c1]`, in the verifier's order.
    function submitBatch(uint32 modelId, uint256 batchCommitment, uint8[] calldata digits, uint256[8] calldata proof)
        external;

    /// @notice The digit at `index` of a recorded batch, with its submitter, timestamp and the batch's size; reverts
    ///         with `NotInBatch` if there is no such record or index.
    /// @param modelId The model.
    /// @param batchCommitment The batch's Merkle root.
    /// @param index The position of the image in the batch.
    /// @return The digit and its record.
    function digitOf(uint32 modelId, uint256 batchCommitment, uint256 index) external view returns (BatchDigit memory);

    /// @notice The digits of a recorded batch (empty if it has never been recorded), its submitter and timestamp.
    /// @param modelId The model.
    /// @param batchCommitment The batch's Merkle root.
    /// @return digits The digits in leaf order.
    /// @return submitter The submitter; zero if none.
    /// @return timestamp The block timestamp of the record; zero if none.
    function batchOf(uint32 modelId, uint256 batchCommitment)
        external
        view
        returns (uint8[] memory digits, address submitter, uint48 timestamp);

    /// @notice The verifier registered for `modelId` and batches of `size` digits; zero if none.
    /// @param modelId The model.
    /// @param size The number of digits per batch.
    /// @return The verifier.
    function verifierOf(uint32 modelId, uint256 size) external view returns (address);

    /// @notice What stands behind `modelId`'s batches of `size` digits: the verifier, the sha256 of its key's
    ///         ceremony and its registration time (all zero if none). A verifier is never replaced, so a batch of
    ///         this size was checked by this verifier; an integrator who trusts batches only from before some time
    ///         compares `registeredAt` with it (as `BatchDigitBounty` does).
    /// @param modelId The model.
    /// @param size The number of digits per batch.
    /// @return The verifier, its registration time and ceremony hash.
    function batchVerifierOf(uint32 modelId, uint256 size) external view returns (BatchVerifier memory);
}
