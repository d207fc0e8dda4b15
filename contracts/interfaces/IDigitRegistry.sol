// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier
/// @notice The function of a snarkjs-generated Groth16 verifier for a circuit with two public signals.
/// @dev For the MNIST CNN circuit the public signals are `[commitment, binding]`: the circuit's output
///      (a commitment to the private pixels and salt) followed by its public input
///      `binding = digit << Statement.ADDRESS_BITS | submitter`.
interface IGroth16Verifier {
    /// @notice Checks a Groth16 proof against the verifying key compiled into the verifier.
    /// @param _pA The proof's point A (G1).
    /// @param _pB The proof's point B (G2), coordinates in the order the Solidity verifier expects.
    /// @param _pC The proof's point C (G1).
    /// @param _pubSignals The public signals `[commitment, binding]`.
    /// @return True if and only if the proof is valid for these public signals.
    function verifyProof(
        uint256[2] calldata _pA,
        uint256[2][2] calldata _pB,
        uint256[2] calldata _pC,
        uint256[2] calldata _pubSignals
    ) external view returns (bool);
}

/// @title IGroth16AggregateVerifier
/// @notice The function of a generated aggregate verifier (`zkproof/keys/aggregate_verifier.py`): many Groth16 proofs
///         of one circuit with two public signals, checked with one multi-pairing.
interface IGroth16AggregateVerifier {
    /// @notice Checks every proof against the verifying key compiled into the verifier.
    /// @param items One item per proof: `[a0, a1, b00, b01, b10, b11, c0, c1, signal0, signal1]`, the proof's words
    ///        in the order `IGroth16Verifier.verifyProof` takes them, then its public signals `[commitment, binding]`.
    /// @return True if every proof is valid for its public signals (false for an empty list).
    function verifyProofs(uint256[10][] calldata items) external view returns (bool);
}

/// @title IDigitRegistry
/// @notice A registry of zero-knowledge proofs that a private, committed 28×28 image is classified as a
///         digit by a registered neural network. Each commitment is recorded once, in one storage slot.
interface IDigitRegistry {
    /// @notice A registered model: the verifier of its circuit and the ONNX file it was compiled from.
    /// @param verifier The Groth16 verifier of the model's circuit; zero if the model is not registered.
    /// @param active Whether new classifications may be submitted for this model.
    /// @param onnxSha256 The sha256 of the model's ONNX file, so anyone can check which network is proven.
    /// @param ceremonySha256 The sha256 of the trusted-setup transcript (`ceremony.json`) of the verifier's key, so
    ///        anyone can check which setup the verifier came from (`python -m zkproof ceremony verify`).
    /// @param name A human-readable name of the model.
    struct Model {
        address verifier;
        bool active;
        bytes32 onnxSha256;
        bytes32 ceremonySha256;
        string name;
    }

    /// @notice A proven classification; the registry stores it packed in one 256-bit word (8 + 160 + 32 + 48 bits).
    /// @param digit The digit the model assigns to the committed image.
    /// @param submitter The account that submitted the proof; the proof is bound to it.
    /// @param modelId The model whose circuit was proven.
    /// @param timestamp The timestamp of the block in which the proof was recorded.
    struct Record {
        uint8 digit;
        address submitter;
        uint32 modelId;
        uint48 timestamp;
    }

    /// @notice One proof relayed in `submitMany`, bound to its own submitter, who need not send it.
    /// @param commitment The circuit's public output, the commitment to the image.
    /// @param submitter The account the proof is bound to, recorded as the record's submitter.
    /// @param digit The claimed digit.
    /// @param proof The Groth16 proof `[a0, a1, b00, b01, b10, b11, c0, c1]`, in the verifier's order.
    struct RelayedProof {
        uint256 commitment;
        address submitter;
        uint8 digit;
        uint256[8] proof;
    }

    /// @notice No model is registered under `modelId`.
    error UnknownModel(uint32 modelId);
    /// @notice The model `modelId` has been deactivated and accepts no new classifications.
    error ModelInactive(uint32 modelId);
    /// @notice A model is already registered under `modelId`; identifiers are never reused.
    error ModelAlreadyRegistered(uint32 modelId);
    /// @notice `verifier` has no code, so it cannot be a verifier.
    error VerifierNotContract(address verifier);
    /// @notice `digit` is not a decimal digit (0..9).
    error DigitOutOfRange(uint8 digit);
    /// @notice `commitment` is not an element of the BN254 scalar field, so no circuit can output it.
    error CommitmentOutOfField(uint256 commitment);
    /// @notice `commitment` has already been recorded.
    error AlreadyRecorded(uint256 commitment);
    /// @notice The verifier rejected the proof for these public signals (in `submitMany`: at least one of them).
    error InvalidProof();
    /// @notice The model `modelId` has no aggregate verifier, so `submitMany` cannot take its proofs.
    error NoAggregateVerifier(uint32 modelId);
    /// @notice The model `modelId` has an aggregate verifier already; it is registered once.
    error AggregateVerifierAlreadyRegistered(uint32 modelId);
    /// @notice `submitMany` was given no proof.
    error NothingToSubmit();
    /// @notice A relayed proof names no submitter (the zero address cannot hold a record).
    error ZeroSubmitter();

    /// @notice Emitted when the owner registers a model.
    /// @param modelId The model's identifier.
    /// @param verifier The Groth16 verifier of the model's circuit.
    /// @param onnxSha256 The sha256 of the model's ONNX file.
    /// @param ceremonySha256 The sha256 of the transcript of the trusted setup its verifier's key came from.
    /// @param name The model's name.
    event ModelRegistered(
        uint32 indexed modelId, address indexed verifier, bytes32 onnxSha256, bytes32 ceremonySha256, string name
    );

    /// @notice Emitted when the owner deactivates a model.
    /// @param modelId The model's identifier.
    event ModelDeactivated(uint32 indexed modelId);

    /// @notice Emitted when the owner registers a model's aggregate verifier.
    /// @param modelId The model's identifier.
    /// @param verifier The aggregate verifier of the model's circuit.
    event AggregateVerifierRegistered(uint32 indexed modelId, address verifier);

    /// @notice Emitted by `submitMany` for a relayed proof whose commitment is recorded already (before the call, or
    ///         earlier in the same call): it is neither verified nor recorded again.
    /// @param commitment The commitment.
    /// @param submitter The submitter the skipped proof names.
    event RecordSkipped(uint256 indexed commitment, address indexed submitter);

    /// @notice Emitted for each proven classification; the only record of aggregates (counts, lists).
    /// @param commitment The commitment to the private image (and salt).
    /// @param submitter The account the proof is bound to.
    /// @param modelId The model whose circuit was proven.
    /// @param digit The digit the model assigns to the image.
    event ClassificationRecorded(
        uint256 indexed commitment, address indexed submitter, uint32 indexed modelId, uint8 digit
    );

    /// @notice Registers a model (owner only).
    /// @param modelId A new identifier.
    /// @param verifier The Groth16 verifier of the model's circuit.
    /// @param onnxSha256 The sha256 of the model's ONNX file.
    /// @param ceremonySha256 The sha256 of the trusted-setup transcript of the verifier's key.
    /// @param name The model's name.
    function registerModel(
        uint32 modelId,
        address verifier,
        bytes32 onnxSha256,
        bytes32 ceremonySha256,
        string calldata name
    ) external;

    /// @notice Deactivates a model for good (owner only); its records stay valid.
    /// @param modelId The model's identifier.
    function deactivateModel(uint32 modelId) external;

    /// @notice Records that the image committed to by `commitment` is classified as `digit` by model `modelId`.
    /// @dev The proof is bound to `msg.sender`.
    /// @param modelId The model whose circuit was proven.
    /// @param digit The claimed digit.
    /// @param commitment The circuit's public output, the commitment to the image.
    /// @param proof The Groth16 proof `[a0, a1, b00, b01, b10, b11, c0, c1]`, in the verifier's order.
    function submit(uint32 modelId, uint8 digit, uint256 commitment, uint256[8] calldata proof) external;

    /// @notice Records many relayed proofs of model `modelId`, each bound to its own submitter, whoever sends them; the
    ///         proofs are checked together by the model's aggregate verifier.
    /// @dev A proof whose commitment is recorded already (before, or earlier in the list) is skipped with
    ///      `RecordSkipped`; every other one is recorded as `submit` records it, with its submitter, and then all of
    ///      them are verified in one call: if any is invalid, the whole call reverts (`InvalidProof`). A malformed
    ///      item (digit, commitment, zero submitter) reverts the whole call too.
    /// @param modelId The model whose circuit was proven.
    /// @param items The proofs, with their commitments, submitters and digits.
    function submitMany(uint32 modelId, RelayedProof[] calldata items) external;

    /// @notice Registers the aggregate verifier of model `modelId` (owner only, once per model).
    /// @param modelId A registered model.
    /// @param verifier The aggregate verifier of the model's circuit.
    function registerAggregateVerifier(uint32 modelId, address verifier) external;

    /// @notice The aggregate verifier of model `modelId`; zero if none.
    /// @param modelId The model's identifier.
    /// @return The aggregate verifier's address.
    function aggregateVerifierOf(uint32 modelId) external view returns (address);

    /// @notice The record of `commitment`; all fields zero if it has never been recorded.
    /// @param commitment The commitment to look up.
    /// @return The record.
    function recordOf(uint256 commitment) external view returns (Record memory);

    /// @notice Whether `commitment` has been proven to be classified as `digit` by model `modelId`, a model that is
    ///         still active: the question an integrator should ask. A record of another model, or of a model the
    ///         owner has since deactivated (a broken circuit or a leaked key), does not count.
    /// @dev The model's current active flag is read, and a deactivated model is never reactivated, so its records
    ///      stop counting for good. Integrators that also need freshness compare `recordOf`'s timestamp.
    /// @param commitment The commitment to look up.
    /// @param modelId The model the classification must have been proven with.
    /// @param digit The digit to check.
    /// @return True if the commitment is recorded with this model and digit and the model is active.
    function isProven(uint256 commitment, uint32 modelId, uint8 digit) external view returns (bool);

    /// @notice The model registered under `modelId`; all fields zero if none.
    /// @param modelId The model's identifier.
    /// @return The model.
    function modelOf(uint32 modelId) external view returns (Model memory);
}
