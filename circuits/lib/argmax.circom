pragma circom 2.2.3;

include "circomlib/circuits/comparators.circom";

// Index of the largest of N signed inputs of `bits` bits; ties go to the lowest index (as numpy).
// A running maximum: the candidate replaces the best only when strictly larger.
template ArgMax(N, bits) {
    assert(bits <= 252);
    signal input in[N];
    signal output index;
    signal best[N];
    signal bestIndex[N];
    component larger[N - 1];
    best[0] <== in[0];
    bestIndex[0] <== 0;
    for (var i = 1; i < N; i++) {
        // Inputs lie in (-2^(bits-1), 2^(bits-1)), so differences lie in (-2^bits, 2^bits): what LessThan(bits) needs.
        larger[i - 1] = LessThan(bits);
        larger[i - 1].in[0] <== best[i - 1];
        larger[i - 1].in[1] <== in[i];
        best[i] <== best[i - 1] + larger[i - 1].out * (in[i] - best[i - 1]);
        bestIndex[i] <== bestIndex[i - 1] + larger[i - 1].out * (i - bestIndex[i - 1]);
    }
    index <== bestIndex[N - 1];
}
