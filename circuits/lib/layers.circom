pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";

// Tensors are flat arrays in channel-major (C, H, W) order, as ONNX lays them out.
// Weights are template parameters, so the linear layers below cost no constraints.

// 2-D cross-correlation with square K×K kernels, stride S and zero padding P, plus bias.
template Conv2D(C, H, W, O, K, S, P, weight, bias) {
    var OH = (H + 2 * P - K) \ S + 1;
    var OW = (W + 2 * P - K) \ S + 1;
    signal input in[C * H * W];
    signal output out[O * OH * OW];
    for (var o = 0; o < O; o++) {
        for (var y = 0; y < OH; y++) {
            for (var x = 0; x < OW; x++) {
                var acc = bias[o];
                for (var c = 0; c < C; c++) {
                    for (var ky = 0; ky < K; ky++) {
                        var iy = y * S + ky - P;
                        var row = (c * H + iy) * W + x * S - P;
                        for (var kx = 0; kx < K; kx++) {
                            if (P == 0 || (iy >= 0 && iy < H && x * S + kx - P >= 0 && x * S + kx - P < W)) {
                                acc += weight[o][c][ky][kx] * in[row + kx];
                            }
                        }
                    }
                }
                out[(o * OH + y) * OW + x] <== acc;
            }
        }
    }
}

// Fully connected layer: out = weight · in + bias, weight of shape M × N.
template Dense(N, M, weight, bias) {
    signal input in[N];
    signal output out[M];
    for (var m = 0; m < M; m++) {
        var acc = bias[m];
        for (var n = 0; n < N; n++) {
            acc += weight[m][n] * in[n];
        }
        out[m] <== acc;
    }
}

// Average pooling without the division: K×K window sums with stride S (the divisor folds into the next scale).
template SumPool(C, H, W, K, S) {
    var OH = (H - K) \ S + 1;
    var OW = (W - K) \ S + 1;
    signal input in[C * H * W];
    signal output out[C * OH * OW];
    for (var c = 0; c < C; c++) {
        for (var y = 0; y < OH; y++) {
            for (var x = 0; x < OW; x++) {
                var acc = 0;
                for (var ky = 0; ky < K; ky++) {
                    for (var kx = 0; kx < K; kx++) {
                        acc += in[(c * H + y * S + ky) * W + x * S + kx];
                    }
                }
                out[(c * OH + y) * OW + x] <== acc;
            }
        }
    }
}

// x ↦ x²: one constraint per value.
template Square(N) {
    signal input in[N];
    signal output out[N];
    for (var i = 0; i < N; i++) {
        out[i] <== in[i] * in[i];
    }
}

// x ↦ max(x, 0) for inputs known to lie in [-2^(bits-1), 2^(bits-1)): the top bit of x + 2^(bits-1) is the sign.
template ReLU(N, bits) {
    assert(bits <= 252);
    signal input in[N];
    signal output out[N];
    component sign[N];
    for (var i = 0; i < N; i++) {
        sign[i] = Num2Bits(bits);
        sign[i].in <== in[i] + (1 << (bits - 1));
        out[i] <== sign[i].out[bits - 1] * in[i];
    }
}

// x ↦ (x - shift)²: the square of a value its producer shifted by `shift` (explicit wiring), one constraint.
template ShiftedSquare(N, shift) {
    signal input in[N];
    signal output out[N];
    for (var i = 0; i < N; i++) {
        out[i] <== (in[i] - shift) * (in[i] - shift);
    }
}
