pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";

// Max pooling, and max pooling fused with a ReLU, from sign bits of exact bounds. Tensors are flat arrays in
// channel-major (C, H, W) order, as ONNX lays them out.

// The larger of a and b, for |a - b| < 2^n: bit n of a - b + 2^n (n + 1 bits) is 1 exactly when a ≥ b.
// Inputs past the bound leave no decomposition: fail closed.
template Max2(n) {
    assert(n >= 1 && n <= 252);
    signal input a;
    signal input b;
    signal output out;
    component sign = Num2Bits(n + 1);
    sign.in <== a - b + (1 << n);
    out <== b + sign.out[n] * (a - b);
}

// max(x, 0) for |x| < 2^n: bit n of x + 2^n is 1 exactly when x ≥ 0.
template Relu1(n) {
    assert(n >= 1 && n <= 252);
    signal input in;
    signal output out;
    component sign = Num2Bits(n + 1);
    sign.in <== in + (1 << n);
    out <== sign.out[n] * in;
}

// K×K windows with stride S over a C×H×W input padded by P before and PE after (padding never wins: ONNX's −∞;
// rows and columns past the last whole window are not read, ceil_mode 0). Each window's maximum is a tournament
// of Max2(diffBits[c]) (channel c's values differ by less than 2^diffBits[c]); then, where signBits[c] > 0, a
// ReLU on it with Relu1(signBits[c]) (|value| < 2^signBits[c]): max of the window and 0, one ReLU per pooled
// value. signBits[c] = 0 leaves channel c's maxima as they are (no ReLU, or one that cannot change them).
template MaxPool2D(C, H, W, K, S, P, PE, diffBits, signBits) {
    var OH = (H + P + PE - K) \ S + 1;
    var OW = (W + P + PE - K) \ S + 1;
    signal input in[C * H * W];
    signal output out[C * OH * OW];

    var comparisons = 0;
    var relus = 0;
    for (var c = 0; c < C; c++) {
        for (var y = 0; y < OH; y++) {
            for (var x = 0; x < OW; x++) {
                var taken = 0;
                for (var ky = 0; ky < K; ky++) {
                    for (var kx = 0; kx < K; kx++) {
                        var iy = y * S + ky - P;
                        var ix = x * S + kx - P;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                            taken++;
                        }
                    }
                }
                comparisons += taken - 1;
                if (signBits[c] > 0) {
                    relus++;
                }
            }
        }
    }

    component larger[comparisons];
    component floor[relus];
    signal best[C * OH * OW];
    var used = 0;
    var floored = 0;
    for (var c = 0; c < C; c++) {
        for (var y = 0; y < OH; y++) {
            for (var x = 0; x < OW; x++) {
                var first = 1;
                var running = 0;
                for (var ky = 0; ky < K; ky++) {
                    for (var kx = 0; kx < K; kx++) {
                        var iy = y * S + ky - P;
                        var ix = x * S + kx - P;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                            var at = (c * H + iy) * W + ix;
                            if (first == 1) {
                                running = at;
                                first = 0;
                            } else {
                                larger[used] = Max2(diffBits[c]);
                                if (running >= 0) {
                                    larger[used].a <== in[running];
                                } else {
                                    larger[used].a <== larger[used - 1].out;
                                }
                                larger[used].b <== in[at];
                                running = -1;
                                used++;
                            }
                        }
                    }
                }
                var o = (c * OH + y) * OW + x;
                if (running >= 0) {
                    best[o] <== in[running];
                } else {
                    best[o] <== larger[used - 1].out;
                }
                if (signBits[c] > 0) {
                    floor[floored] = Relu1(signBits[c]);
                    floor[floored].in <== best[o];
                    out[o] <== floor[floored].out;
                    floored++;
                } else {
                    out[o] <== best[o];
                }
            }
        }
    }
}
