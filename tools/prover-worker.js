#!/usr/bin/env node
// A persistent Node process that keeps a circuit's witness calculator and zkey loaded.
// Usage: prover-worker.js CIRCUIT.wasm [CIRCUIT.zkey]   (without a zkey it only computes witnesses)
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout.
//   {"op": "witness", "input": {...}, "wtns": "/path/out.wtns"} -> {"ok": true}
//   {"op": "prove", "input": {...}}                            -> {"ok": true, "proof": {...}, "publicSignals": [...]}
// Failures answer {"ok": false, "error": "..."} and the worker keeps serving.
"use strict";
const fs = require("fs");
const readline = require("readline");
const { WitnessCalculatorBuilder } = require("circom_runtime");
const snarkjs = require("snarkjs");

async function main([wasmPath, zkeyPath]) {
  const wasm = fs.readFileSync(wasmPath);
  let calculator = await WitnessCalculatorBuilder(wasm);
  // circom_runtime appends every refusal's messages to all later ones: after a refusal, start a calculator afresh.
  async function witnessOf(input) {
    try {
      return await calculator.calculateWTNSBin(input, 0);
    } catch (error) {
      calculator = await WitnessCalculatorBuilder(wasm);
      throw error;
    }
  }
  const zkey = zkeyPath && { type: "mem", data: new Uint8Array(fs.readFileSync(zkeyPath)) };
  const handlers = {
    async witness({ input, wtns }) {
      fs.writeFileSync(wtns, await witnessOf(input));
      return {};
    },
    async prove({ input }) {
      if (!zkey) throw new Error("this worker was started without a zkey: it only computes witnesses");
      return snarkjs.groth16.prove(zkey, { type: "mem", data: await witnessOf(input) });
    },
  };
  const lines = readline.createInterface({ input: process.stdin });
  process.stdout.write(JSON.stringify({ ok: true, ready: true }) + "\n");
  for await (const line of lines) {
    let answer;
    try {
      const request = JSON.parse(line);
      const handler = handlers[request.op];
      if (!handler) throw new Error(`unknown op ${request.op}`);
      answer = { ok: true, ...(await handler(request)) };
    } catch (error) {
      answer = { ok: false, error: String(error.message || error).split("\n").filter(Boolean).join(" ") };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  process.exit(0);
}

main(process.argv.slice(2)).catch((error) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error.message || error) }) + "\n");
  process.exit(1);
});
