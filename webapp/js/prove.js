// Groth16 proofs for the page, made off its main thread by prove-worker.js (snarkjs's browser build in a Web
// Worker), so drawing, timers and screen updates go on while it works. Here: starting the worker, one
// request per proof, the proof's binding and salt, the words the registry takes, and the proof file. Where each
// word sits in snarkjs's proof and in the proof file is config.json's `proofLayout`, read off zkproof/proving/proof.py.

/** A random salt of 31 bytes (below the field modulus) that is at least 2^saltBits, as the statement requires. */
export function randomSalt(saltBits) {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(31));
    const salt = BigInt("0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
    if (salt >= 1n << BigInt(saltBits)) return salt;
  }
}

/** digit · 2^addressBits + submitter: the public signal the registry rebuilds from msg.sender. */
export const bindingOf = (digit, submitter, addressBits) => (BigInt(digit) << BigInt(addressBits)) + BigInt(submitter);

/** The proof as the registry takes it: each word read from snarkjs's proof at its path in `layout.words`. */
export function proofWords(proof, layout) {
  return layout.words.map((path) => BigInt(path.reduce((node, key) => node[key], proof)));
}

/** `indices` (nested arrays of word indices) with each index replaced by that word as a decimal string. */
const fill = (indices, words) => (Array.isArray(indices) ? indices.map((i) => fill(i, words)) : String(words[indices]));

/**
 * The project's proof file (zkproof/proving/proof.py's `to_json`: what `python -m zkproof verify` and `open` read),
 * with the salt: field elements as decimal strings, a, b and c laid out as `layout.file` says.
 */
export function proofFile({ model, digit, submitter, commitment, binding, words, salt }, layout) {
  const points = Object.fromEntries(Object.entries(layout.file).map(([name, indices]) => [name, fill(indices, words)]));
  return JSON.stringify({ model, digit, submitter, commitment: String(commitment), binding: String(binding),
    ...points, salt: String(salt) }, null, 1);
}

/** Resolves when the worker has loaded snarkjs; rejects with the reason when it cannot. */
function whenReady(worker) {
  return new Promise((resolve, reject) => {
    const onMessage = ({ data }) => {
      if (!("ready" in data || "fatal" in data)) return;
      worker.removeEventListener("message", onMessage);
      if (data.ready) resolve();
      else reject(new Error(data.fatal));
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", (event) => reject(new Error(event.message || "the prover did not start")));
  });
}

/**
 * Start the prover worker (`workerUrl`, a classic script) for a statement whose binding puts the digit above
 * `addressBits` bits of address, whose public signals are named `publicSignals` in order (config.json's, from
 * zkproof/statement.py), and whose proofs the registry takes as `layout` says. Returns {ready, prove}:
 * `ready` settles once snarkjs is loaded there; `prove(statement, urls, onStage)` makes one proof, calling
 * onStage(stage, fraction) on the way.
 */
export function startProver(workerUrl, { addressBits, layout, publicSignals }) {
  const worker = new Worker(workerUrl);
  const jobs = new Map(); // id → {resolve, reject, onStage}
  let lastId = 0;
  worker.addEventListener("message", ({ data }) => {
    const job = jobs.get(data.id);
    if (!job) return;
    if (data.stage) {
      job.onStage(data.stage, data.fraction);
      return;
    }
    jobs.delete(data.id);
    if (data.error) job.reject(new Error(data.error));
    else job.resolve(data.result);
  });
  worker.addEventListener("error", (event) => {
    for (const job of jobs.values()) job.reject(new Error(event.message || "the prover stopped"));
    jobs.clear();
  });

  /**
   * Prove that `pixels` (the proven pixels, at the model's depth) are classified as `digit`, bound to
   * `submitter`, with `salt`.
   * Resolves {proof, publicSignals, words, commitment, binding, times, verified}.
   */
  async function prove({ pixels, digit, submitter, salt }, urls, onStage) {
    const binding = bindingOf(digit, submitter, addressBits);
    const input = { pixels: Array.from(pixels), salt: salt.toString(), submitter: BigInt(submitter).toString(),
      binding: binding.toString() };
    const id = ++lastId;
    const result = await new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject, onStage });
      worker.postMessage({ id, input, urls });
    });
    const signal = Object.fromEntries(publicSignals.map((name, i) => [name, BigInt(result.publicSignals[i])]));
    if (signal.binding !== binding) throw new Error("the proof's binding is not the expected one");
    return { ...result, commitment: signal.commitment, binding, words: proofWords(result.proof, layout) };
  }

  return { ready: whenReady(worker), prove };
}
