pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";
include "poseidon_flat.circom";

// Each of the n inputs is an integer in 0..2^bits-1.
template RangeCheck(n, bits) {
    signal input in[n];
    component check[n];
    for (var i = 0; i < n; i++) {
        check[i] = Num2Bits(bits);
        check[i].in <== in[i];
    }
}

// Packs n values of `bits` bits each, `perElement` to a field element, lowest first (linear: no constraints).
template Pack(n, bits, perElement) {
    var count = (n + perElement - 1) \ perElement;
    signal input in[n];
    signal output out[count];
    for (var j = 0; j < count; j++) {
        var acc = 0;
        var weight = 1;
        for (var k = 0; k < perElement && j * perElement + k < n; k++) {
            acc += in[j * perElement + k] * weight;
            weight *= 1 << bits;
        }
        out[j] <== acc;
    }
}

// Poseidon over n inputs as a chain: h = Poseidon(in[0..15]); h = Poseidon(h, next 15 inputs); ...
template PoseidonChain(n) {
    signal input in[n];
    signal output out;
    var first = n < 16 ? n : 16;
    var links = 1 + (n - first + 14) \ 15;
    component hash[links];
    hash[0] = Poseidon(first);
    for (var i = 0; i < first; i++) {
        hash[0].inputs[i] <== in[i];
    }
    var used = first;
    for (var link = 1; link < links; link++) {
        var take = n - used < 15 ? n - used : 15;
        hash[link] = Poseidon(take + 1);
        hash[link].inputs[0] <== hash[link - 1].out;
        for (var i = 0; i < take; i++) {
            hash[link].inputs[i + 1] <== in[used + i];
        }
        used += take;
    }
    out <== hash[links - 1].out;
}

// Hiding commitment to an image: every pixel range-checked to 0..2^bits-1, the pixels packed
// perElement to a field element, then Poseidon over the packed pixels followed by the salt.
template ImageCommitment(nPixels, bits, perElement) {
    var PACKED = (nPixels + perElement - 1) \ perElement;
    signal input pixels[nPixels];
    signal input salt;
    signal output commitment;

    component range = RangeCheck(nPixels, bits);
    range.in <== pixels;

    component pack = Pack(nPixels, bits, perElement);
    pack.in <== pixels;

    component hash = PoseidonChain(PACKED + 1);
    for (var i = 0; i < PACKED; i++) {
        hash.in[i] <== pack.out[i];
    }
    hash.in[PACKED] <== salt;
    commitment <== hash.out;
}

// The same commitment hashed with PoseidonFlat (no linear constraints under --O1: explicit wiring), for images
// whose packed pixels and salt fit one Poseidon (at most 16 inputs: pixels of up to 4 bits).
template FlatImageCommitment(nPixels, bits, perElement) {
    var PACKED = (nPixels + perElement - 1) \ perElement;
    assert(PACKED + 1 <= 16);
    signal input pixels[nPixels];
    signal input salt;
    signal output commitment;

    component range = RangeCheck(nPixels, bits);
    range.in <== pixels;

    component pack = Pack(nPixels, bits, perElement);
    pack.in <== pixels;

    component hash = PoseidonFlat(PACKED + 1);
    for (var i = 0; i < PACKED; i++) {
        hash.inputs[i] <== pack.out[i];
    }
    hash.inputs[PACKED] <== salt;
    commitment <== hash.out;
}
