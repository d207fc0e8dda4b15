pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";
include "poseidon_flat.circom";

// Root of a binary Merkle tree of 2^depth leaves: each node is Poseidon(left, right) (circomlib's, written flat: no
// linear constraints under --O1); depth 0 is the leaf itself.
template MerkleRoot(depth) {
    var LEAVES = 1 << depth;
    signal input leaves[LEAVES];
    signal output root;
    component node[LEAVES];  // node[1] is the root, node[k]'s children are 2k and 2k + 1 (leaves from LEAVES on)
    signal level[2 * LEAVES];  // level[0] is unused
    for (var i = 0; i < LEAVES; i++) {
        level[LEAVES + i] <== leaves[i];
    }
    for (var k = LEAVES - 1; k >= 1; k--) {
        node[k] = PoseidonFlat(2);
        node[k].inputs[0] <== level[2 * k];
        node[k].inputs[1] <== level[2 * k + 1];
        level[k] <== node[k].out;
    }
    root <== level[1];  // with depth 0, level[1] is the one leaf
}

// binding = Σ digits[i] · 2^(addressBits + digitBits·i) + submitter: every digit range-checked to digitBits bits and
// the submitter to addressBits bits, all of it below 2^252, so no other (digits, submitter) can produce it.
template BatchBinding(n, addressBits, digitBits) {
    assert(addressBits + digitBits * n <= 252);
    signal input digits[n];
    signal input submitter;
    signal input binding;
    component address = Num2Bits(addressBits);
    address.in <== submitter;
    component digit[n];
    var packed = submitter;
    for (var i = 0; i < n; i++) {
        digit[i] = Num2Bits(digitBits);
        digit[i].in <== digits[i];
        packed += digits[i] * (1 << (addressBits + digitBits * i));
    }
    binding === packed;
}
