// The prover, off the page's main thread: a classic Web Worker (so it can importScripts snarkjs's browser build)
// that downloads the circuit once, computes the witness from the committed wasm, makes the Groth16 proof from
// the committed zkey and checks it with the verification key. prove.js is the page's side of it.
//
// Messages in:  {id, input, urls}  (input: the circuit's signals as decimal strings; urls: {wasm, zkey, vkey})
// Messages out: {ready: true} or {fatal: text} once, on start;
//               {id, stage, fraction} while working (stage: download, witness, proof, check; fraction 0..1);
//               {id, result: {proof, publicSignals, verified, times}} or {id, error: text} at the end.
/* global snarkjs */
"use strict";

const SNARKJS_URL = "/vendor/snarkjs/snarkjs.min.js";

// Milestones of snarkjs's groth16.prove log (its debug lines, in order) → how far into the proof each one is,
// from timing a proof of this circuit: the curve set-up, the QAP and FFTs, then five multi-exponentiations.
const PROOF_MILESTONES = [
  ["Reading Wtns", 0.2],
  ["Building ABC", 0.22],
  ["IFFT_A", 0.35],
  ["Join ABC", 0.47],
  ["Reading A Points", 0.48],
  ["Reading B1 Points", 0.53],
  ["Reading B2 Points", 0.57],
  ["Reading C Points", 0.69],
  ["Reading H Points", 0.73],
];

let artifacts = null; // {wasm, zkey, vkey}, downloaded on the first proof

/** The body of a fetched response, calling onBytes(count) for each chunk as it arrives. */
async function readBody(response, onBytes) {
  const reader = response.body.getReader();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onBytes(value.length);
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/** Fetch files into memory; `onFraction` gets the share of all their bytes received so far (never less). */
async function downloadAll(urls, onFraction) {
  const responses = await Promise.all(urls.map(async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
    return response;
  }));
  const total = responses.reduce((sum, response) => sum + Number(response.headers.get("content-length")), 0);
  let received = 0;
  return Promise.all(responses.map((response) => readBody(response, (count) => {
    received += count;
    if (total) onFraction(Math.min(1, received / total));
  })));
}

/** The wasm, zkey and verification key, downloaded once per worker. */
async function loadArtifacts(urls, onFraction) {
  if (!artifacts) {
    const [wasm, zkey, vkey] = await downloadAll([urls.wasm, urls.zkey, urls.vkey], onFraction);
    artifacts = { wasm, zkey, vkey: JSON.parse(new TextDecoder().decode(vkey)) };
  }
  return artifacts;
}

/** A snarkjs logger that turns the proof's milestones into fractions of the proof stage. */
function proofLogger(onFraction) {
  const debug = (message) => {
    const milestone = PROOF_MILESTONES.find(([prefix]) => String(message).startsWith(prefix));
    if (milestone) onFraction(milestone[1]);
  };
  return { debug, info: debug, warn: () => {}, error: () => {} };
}

/** Witness, proof and check for one input; `report(stage, fraction)` follows the way. */
async function prove(input, urls, report) {
  report("download", 0);
  const { wasm, zkey, vkey } = await loadArtifacts(urls, (fraction) => report("download", fraction));

  report("witness", 0);
  const started = performance.now();
  const witness = { type: "mem" };
  try {
    await snarkjs.wtns.calculate(input, wasm, witness);
  } catch (error) {
    throw new Error(`the circuit refused the input (is the digit really the network's?): ${error.message}`);
  }
  const witnessDone = performance.now();

  report("proof", 0);
  const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, witness,
    proofLogger((fraction) => report("proof", fraction)));
  const proved = performance.now();

  report("check", 0);
  const verified = await snarkjs.groth16.verify(vkey, publicSignals, proof);
  report("check", 1);
  return { proof, publicSignals, verified,
    times: { witness: (witnessDone - started) / 1000, proof: (proved - witnessDone) / 1000 } };
}

self.onmessage = async ({ data: { id, input, urls } }) => {
  try {
    const result = await prove(input, urls, (stage, fraction) => postMessage({ id, stage, fraction }));
    postMessage({ id, result });
  } catch (error) {
    postMessage({ id, error: error.message || String(error) });
  }
};

try {
  importScripts(SNARKJS_URL);
  postMessage({ ready: true });
} catch (error) {
  postMessage({ fatal: `snarkjs did not load (${SNARKJS_URL}): ${error.message}` });
}
