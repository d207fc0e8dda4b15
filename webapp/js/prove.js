// Groth16 in the browser with snarkjs (its browser build, loaded as the global `snarkjs`): the witness from
// the committed circuit wasm, the proof from the committed zkey, then a local check with the verification key.

const ADDRESS_BITS = 160n;

/** Fetch a file into memory, reporting (bytesSoFar, totalBytes) as it arrives. */
async function download(url, onBytes) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onBytes(received, total);
  }
  const data = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return data;
}

let artifacts = null;

/** The circuit's wasm, zkey and verification key, downloaded once per page. */
export async function loadArtifacts(urls, onProgress) {
  if (artifacts) return artifacts;
  const sizes = {};
  const report = (name) => (got, total) => {
    sizes[name] = [got, total];
    const [sumGot, sumTotal] = Object.values(sizes).reduce(([a, b], [c, d]) => [a + c, b + d], [0, 0]);
    onProgress(`downloading the circuit: ${(sumGot / 1e6).toFixed(1)} of ${(sumTotal / 1e6).toFixed(1)} MB`);
  };
  const [wasm, zkey, vkey] = await Promise.all([
    download(urls.wasm, report("wasm")),
    download(urls.zkey, report("zkey")),
    fetch(urls.vkey).then((r) => {
      if (!r.ok) throw new Error(`cannot load ${urls.vkey}: HTTP ${r.status}`);
      return r.json();
    }),
  ]);
  artifacts = { wasm, zkey, vkey };
  return artifacts;
}

/** A random salt: 31 random bytes, always below the field modulus. */
export function randomSalt() {
  const bytes = crypto.getRandomValues(new Uint8Array(31));
  return BigInt("0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
}

export const bindingOf = (digit, submitter) => (BigInt(digit) << ADDRESS_BITS) + BigInt(submitter);

/**
 * Prove that `pixels` are classified as `digit`, bound to `submitter`.
 * Returns {proof, publicSignals, words, commitment, binding, times, verified}.
 */
export async function prove({ pixels, digit, submitter, salt }, urls, onProgress) {
  const { wasm, zkey, vkey } = await loadArtifacts(urls, onProgress);
  const binding = bindingOf(digit, submitter);
  const input = { pixels: Array.from(pixels), salt: salt.toString(), submitter: BigInt(submitter).toString(),
    binding: binding.toString() };

  const started = performance.now();
  onProgress("computing the witness (the network, in the circuit's wasm)");
  const witness = { type: "mem" };
  try {
    await snarkjs.wtns.calculate(input, wasm, witness);
  } catch (error) {
    throw new Error(`the circuit refused the input (is ${digit} really the network's digit?): ${error.message}`);
  }
  const witnessDone = performance.now();
  const logger = { debug: (m) => onProgress(`proving: ${m}`), info: (m) => onProgress(`proving: ${m}`),
    warn: () => {}, error: (m) => onProgress(`proving: ${m}`) };
  const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, witness, logger);
  const proved = performance.now();
  onProgress("checking the proof with the verification key");
  const verified = await snarkjs.groth16.verify(vkey, publicSignals, proof);

  if (BigInt(publicSignals[1]) !== binding) throw new Error("the proof's binding is not the expected one");
  return {
    proof,
    publicSignals,
    commitment: BigInt(publicSignals[0]),
    binding,
    words: proofWords(proof),
    verified,
    times: { witness: (witnessDone - started) / 1000, proof: (proved - witnessDone) / 1000 },
  };
}

/** The proof as the registry takes it: [a0, a1, b00, b01, b10, b11, c0, c1] (pi_b's coordinates swapped). */
export function proofWords({ pi_a: a, pi_b: b, pi_c: c }) {
  return [a[0], a[1], b[0][1], b[0][0], b[1][1], b[1][0], c[0], c[1]].map(BigInt);
}
