#!/usr/bin/env node
// Rewrites a Groth16 H query from arkworks' basis into snarkjs's (what groth16py proves with for a zkey).
// Usage: h-query-lagrange.js IN OUT
//   IN: the 2^k - 1 points [τ^i·Z(τ)/δ]₁, i = 0..2^k - 2, of an arkworks setup (LibsnarkReduction);
//   OUT: the 2^k points [-½·L_j(τ)·Z(τ)/δ]₁, L_j the Lagrange basis of the odd coset x_j = ω_{2n}^{2j+1}, which
//        snarkjs's witness map (the odd-coset evaluations of A·B - C) multiplies;
//   both as affine G1 points, x then y, 32 bytes each, little-endian Montgomery form (a zkey's own encoding).
// H_j = -1/(2n) Σ_i x_j^{-i}·P_i = ifft_j(-½·g^{-i}·P_i) with g = ω_{2n}: one group IFFT (ffjavascript, all cores).
// The missing P_{n-1} counts as zero: h = (A·B - C)/Z has degree at most n - 2, so its τ^{n-1} coefficient is 0.
"use strict";
const fs = require("fs");
const { buildBn128 } = require("ffjavascript");

async function main([input, output]) {
  const curve = await buildBn128(false);
  const { G1, Fr } = curve;
  const monomial = fs.readFileSync(input);
  const pointBytes = G1.F.n8 * 2;
  const bits = Math.ceil(Math.log2(monomial.length / pointBytes + 1));
  const n = 2 ** bits;
  if ((n - 1) * pointBytes !== monomial.length) throw new Error(`${input}: expected 2^k - 1 points of ${pointBytes} bytes`);
  const points = new Uint8Array(n * pointBytes);  // P_{n-1} = 0 (the zero point is all zero bytes)
  points.set(monomial);
  const log = (message) => process.stderr.write(`${message}\n`);
  const started = Date.now();
  log(`H query: 2^${bits} points to the odd-coset Lagrange basis (scale, then a group IFFT) ...`);
  const shiftInverse = Fr.inv(Fr.w[bits + 1]);
  const scaled = await G1.batchApplyKey(points, Fr.neg(Fr.inv(Fr.e(2))), shiftInverse, "affine", "jacobian");
  log(`H query: scaled in ${((Date.now() - started) / 1000).toFixed(0)} s, group IFFT ...`);
  const lagrange = await G1.ifft(scaled, "jacobian", "affine");
  fs.writeFileSync(output, lagrange);
  log(`H query: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await curve.terminate();
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
