pragma circom 2.2.3;

// 2-D cross-correlation with square K×K kernels, stride S, zero padding P before and PE after (both axes), and one
// bias per output value (O × OH × OW): an imported first layer whose input offset reaches the padded border
// differently at every position. Linear: no constraints beyond its outputs'.
template Conv2DMap(C, H, W, O, K, S, P, PE, weight, bias) {
    var OH = (H + P + PE - K) \ S + 1;
    var OW = (W + P + PE - K) \ S + 1;
    signal input in[C * H * W];
    signal output out[O * OH * OW];
    for (var o = 0; o < O; o++) {
        for (var y = 0; y < OH; y++) {
            for (var x = 0; x < OW; x++) {
                var acc = bias[o][y][x];
                for (var c = 0; c < C; c++) {
                    for (var ky = 0; ky < K; ky++) {
                        for (var kx = 0; kx < K; kx++) {
                            var iy = y * S + ky - P;
                            var ix = x * S + kx - P;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                                acc += weight[o][c][ky][kx] * in[(c * H + iy) * W + ix];
                            }
                        }
                    }
                }
                out[(o * OH + y) * OW + x] <== acc;
            }
        }
    }
}
