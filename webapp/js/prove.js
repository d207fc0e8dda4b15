// Groth16 proofs for the page, made off its main thread by prove-worker.js (snarkjs's browser build in a Web
// Worker), so drawing, timers and screen updates go on while it works. Here: starting the worker, one
// request per proof, the proof's binding and salt, the words the registry takes, and the proof file.

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

/** The proof as the registry takes it: [a0, a1, b00, b01, b10, b11, c0, c1] (pi_b's coordinates swapped). */
export function proofWords({ pi_a: a, pi_b: b, pi_c: c }) {
  return [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]].map(BigInt);
}

/**
 * The project's proof file (zkproof/proof.py's `to_json`: what `python -m zkproof verify` and `open` read), with
 * the salt: field elements as decimal strings, b in the verifier's order.
 */
export function proofFile({ model, digit, submitter, commitment, binding, words, salt }) {
  const [a0, a1, b00, b01, b10, b11, c0, c1] = words.map(String);
  return JSON.stringify({ model, digit, submitter, commitment: String(commitment), binding: String(binding),
    a: [a0, a1], b: [[b00, b01], [b10, b11]], c: [c0, c1], salt: String(salt) }, null, 1);
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
 * `addressBits` bits of address. Returns {ready, prove}: `ready` settles once snarkjs is loaded there;
 * `prove(statement, urls, onStage)` makes one proof, calling onStage(stage, fraction) on the way.
 */
export function startProver(workerUrl, addressBits) {
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
    if (BigInt(result.publicSignals[1]) !== binding) throw new Error("the proof's binding is not the expected one");
    return { ...result, commitment: BigInt(result.publicSignals[0]), binding, words: proofWords(result.proof) };
  }

  return { ready: whenReady(worker), prove };
}
