// The stages of a proof, as the progress bar and the status line show them. Each stage's share of the bar is
// about its share of the time a first proof takes in headless Chromium here (5.6 s: 0.6 s for the witness,
// 4.4 s for the Groth16 proof); later proofs skip the download.

export const STAGES = [
  { name: "download", label: "Downloading the circuit (wasm and proving key)", share: 0.08 },
  { name: "witness", label: "Computing the witness (the network, in the circuit's wasm)", share: 0.12 },
  { name: "proof", label: "Making the Groth16 proof", share: 0.77 },
  { name: "check", label: "Checking the proof with the verification key", share: 0.03 },
];

/** The stage called `name`. */
export function stageNamed(name) {
  const stage = STAGES.find((s) => s.name === name);
  if (!stage) throw new Error(`unknown proof stage ${name}`);
  return stage;
}

/** Whole percent of the proof done when `fraction` (0..1) of stage `name` is done. */
export function percentDone(name, fraction) {
  const stage = stageNamed(name);
  const before = STAGES.slice(0, STAGES.indexOf(stage)).reduce((sum, s) => sum + s.share, 0);
  return Math.min(100, Math.floor(100 * (before + stage.share * fraction)));
}
