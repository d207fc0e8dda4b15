pragma circom 2.2.3;

include "circomlib/circuits/poseidon_constants.circom";

// circomlib's Poseidon(nInputs) (PoseidonEx with initialState 0 and one output), the same permutation and
// constants, written as one template whose round keys and mixing layers stay linear expressions instead of
// signals. Under circom --O2 both compile alike; under --O1, which keeps every linear constraint, circomlib's
// version costs about one linear constraint per state element per round (500 for Poseidon(5)) and this one none:
// only its (8·t + partial rounds) x^5 S-boxes, three constraints each, and its output.
template PoseidonFlat(nInputs) {
    signal input inputs[nInputs];
    signal output out;

    var N_ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var t = nInputs + 1;
    var nRoundsF = 8;
    var nRoundsP = N_ROUNDS_P[t - 2];
    var C[t * nRoundsF + nRoundsP] = POSEIDON_C(t);
    var S[N_ROUNDS_P[t - 2] * (t * 2 - 1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);

    var SBOXES = nRoundsF * t + nRoundsP;
    signal x2[SBOXES];
    signal x4[SBOXES];
    signal x5[SBOXES];
    var box = 0;

    var state[t];
    var mixed[t];
    state[0] = C[0];  // initialState 0
    for (var j = 1; j < t; j++) {
        state[j] = inputs[j - 1] + C[j];
    }

    // First half of the full rounds: S-boxes, round keys, then M (P after the last one).
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) {
            x2[box] <== state[j] * state[j];
            x4[box] <== x2[box] * x2[box];
            x5[box] <== x4[box] * state[j];
            state[j] = x5[box] + C[(r + 1) * t + j];
            box++;
        }
        for (var i = 0; i < t; i++) {
            mixed[i] = 0;
            for (var j = 0; j < t; j++) {
                mixed[i] += (r < nRoundsF \ 2 - 1 ? M[j][i] : P[j][i]) * state[j];
            }
        }
        state = mixed;
    }

    // Partial rounds: one S-box, its round key, then the sparse matrix S (circomlib's MixS).
    for (var r = 0; r < nRoundsP; r++) {
        x2[box] <== state[0] * state[0];
        x4[box] <== x2[box] * x2[box];
        x5[box] <== x4[box] * state[0];
        state[0] = x5[box] + C[(nRoundsF \ 2 + 1) * t + r];
        box++;
        mixed[0] = 0;
        for (var i = 0; i < t; i++) {
            mixed[0] += S[(t * 2 - 1) * r + i] * state[i];
        }
        for (var i = 1; i < t; i++) {
            mixed[i] = state[i] + state[0] * S[(t * 2 - 1) * r + t + i - 1];
        }
        state = mixed;
    }

    // Second half of the full rounds: S-boxes, round keys and M, the last without a round key.
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) {
            x2[box] <== state[j] * state[j];
            x4[box] <== x2[box] * x2[box];
            x5[box] <== x4[box] * state[j];
            state[j] = r < nRoundsF \ 2 - 1 ? x5[box] + C[(nRoundsF \ 2 + 1) * t + nRoundsP + r * t + j] : x5[box];
            box++;
        }
        if (r < nRoundsF \ 2 - 1) {
            for (var i = 0; i < t; i++) {
                mixed[i] = 0;
                for (var j = 0; j < t; j++) {
                    mixed[i] += M[j][i] * state[j];
                }
            }
            state = mixed;
        }
    }

    var result = 0;
    for (var j = 0; j < t; j++) {
        result += M[j][0] * state[j];
    }
    out <== result;
}
