// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Generated from zkproof/statement.py by `ape run build_circuit`. Do not edit.

/// @title Statement
/// @notice The facts of the proven statement that the circuit, the prover and the contracts share.
library Statement {
    /// @notice BN254's scalar field: every public signal of the circuit is below it.
    uint256 internal constant SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Width of the submitter in `binding = digit << ADDRESS_BITS | submitter`.
    uint256 internal constant ADDRESS_BITS = 160;

    /// @notice The number of classes: a record's digit is below it.
    uint8 internal constant CLASSES = 10;

    /// @notice The most digits in one batch proof.
    uint256 internal constant MAX_BATCH = 16;

    /// @notice Bits per digit in a batch's binding and record.
    uint256 internal constant DIGIT_BITS = 4;
}
