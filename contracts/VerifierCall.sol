// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGroth16Verifier} from "./interfaces/IDigitRegistry.sol";

/// @title VerifierCall
/// @notice How the registries ask a Groth16 verifier about a proof with two public signals.
library VerifierCall {
    /// @notice Calls `verifier.verifyProof(a, b, c, [signal0, signal1])` with the proof copied from call data.
    /// @dev `proof` is `[a0, a1, b00, b01, b10, b11, c0, c1]`, already laid out as the verifier's first three
    ///      arguments, so the call data is the selector, the 256 proof bytes copied from call data and the two
    ///      public signals, with no ABI re-encoding. Anything but a 32-byte `true` (a revert, no code, a short
    ///      answer) counts as a rejection.
    /// @param verifier The circuit's verifier.
    /// @param proof The proof `[a0, a1, b00, b01, b10, b11, c0, c1]`.
    /// @param signal0 The first public signal (the circuit's output: an image or batch commitment).
    /// @param signal1 The second public signal (the binding to the digits and the submitter).
    /// @return valid True if the verifier accepted the proof.
    function accepts(address verifier, uint256[8] calldata proof, uint256 signal0, uint256 signal1)
        internal
        view
        returns (bool valid)
    {
        bytes4 selector = IGroth16Verifier.verifyProof.selector;
        assembly ("memory-safe") {
            // Scratch memory past the free memory pointer, not moved: the input is dead once the call returns.
            let input := mload(0x40)
            mstore(input, selector)
            calldatacopy(add(input, 0x04), proof, 0x100)
            mstore(add(input, 0x104), signal0)
            mstore(add(input, 0x124), signal1)
            let success := staticcall(gas(), verifier, input, 0x144, 0x00, 0x20)
            valid := and(success, and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)))
        }
    }
}
