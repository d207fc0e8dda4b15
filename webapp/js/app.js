// The page: drawing pad and samples → pixels → integer network → Groth16 proof → registry. This module
// only starts it: the state and DOM helpers are ui.js's; the input inputs.js's; the verdict verdict.js's; the
// proving flow proving.js's; the accounts connection.js's; the submission submission.js's (relay.js's without
// gas). While a proof or a submission runs, the inputs are locked: what is shown and submitted is always the proof
// of the pixels on screen.
import { connectNode, setUpConnection } from "./connection.js";
import { currentPixels, setUpInputs } from "./inputs.js";
import { classify, loadNetwork } from "./net.js";
import { startProver } from "./prove.js";
import { clearProof, setUpProving } from "./proving.js";
import { Registry } from "./registry.js";
import { setUpRelay } from "./relay.js";
import { setUpSubmission } from "./submission.js";
import { $, showFatal, state } from "./ui.js";
import { showVerdict } from "./verdict.js";

window.zkmnist = { state, classify: (pixels) => classify(state.network, pixels).digit };

/** The input changed: new pixels, no proof yet, a new verdict. */
function update() {
  state.pixels = currentPixels();
  clearProof();
  showVerdict();
}

async function loadJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

async function main() {
  try {
    state.config = await loadJson("/data/config.json");
    state.registry = new Registry(state.config.abi);
    [state.network, state.samples] = await Promise.all([
      loadNetwork(state.config.weights, state.config.imageBits), loadJson(state.config.samples)]);
  } catch (error) {
    showFatal(`The page cannot start: ${error.message}. Serve it with \`make web\`.`);
    return;
  }
  const { addressBits, proofLayout, publicSignals, imageSide, inkBox } = state.config;
  $("preview").width = $("preview").height = imageSide;
  $("image-size").textContent = `${imageSide}×${imageSide}`;
  $("ink-box").textContent = `${inkBox}×${inkBox}`;
  state.prover = startProver("js/prove-worker.js", { addressBits, layout: proofLayout, publicSignals });
  state.prover.ready.catch((error) => showFatal(`${error.message}: proving is unavailable.`));
  setUpInputs(update);
  $("pixel-bits").textContent = state.network.pixelBits;
  update();
  setUpProving();
  setUpSubmission();
  setUpRelay();
  setUpConnection();
  document.body.dataset.ready = "true";
  await connectNode();
}

main();
