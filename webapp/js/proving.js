// Step 3, the proving flow: checks before proving (an input, an account, a trusted node), the progress bar,
// the proof shown, and its download. The proof itself is made by prove.js's worker.
import { nodeUrl, nodeTrusted } from "./connection.js";
import { provenPixels } from "./net.js";
import { percentDone, stageNamed } from "./progress.js";
import { proofFile, randomSalt } from "./prove.js";
import { $, refreshButtons, setBusy, show, state } from "./ui.js";

const WIDE_SCREEN = matchMedia("(min-width: 600px)"); // the proof's JSON starts open only there
const TICK_MS = 200;

const hex64 = (n) => `0x${n.toString(16).padStart(64, "0")}`;

/** Forget the proof (the input changed): hide it and what depends on it. */
export function clearProof() {
  state.proof = null;
  for (const id of ["proof-result", "proof-save", "proof-details", "record", "prove-confirm"]) $(id).hidden = true;
  show($("prove-status"), "", "");
  show($("submit-status"), "", "");
  refreshButtons();
}

/** The progress bar and elapsed time of one proof; the status line changes only with the stage. */
function startProgress() {
  const status = $("prove-status");
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const tick = () => { $("prove-elapsed").textContent = `${seconds().toFixed(1)} s`; };
  const timer = setInterval(tick, TICK_MS);
  let current = null;
  tick();
  $("prove-bar").value = 0;
  $("prove-percent").textContent = "0%";
  $("prove-progress").hidden = false;
  return {
    stage(name, fraction) {
      if (name !== current) {
        current = name;
        $("prove-progress").dataset.stage = name;
        show(status, "busy", `${stageNamed(name).label} …`);
      }
      const percent = percentDone(name, fraction);
      if ($("prove-bar").value === percent) return;
      $("prove-bar").value = percent;
      $("prove-percent").textContent = `${percent}%`;
    },
    seconds,
    stop() {
      clearInterval(timer);
      $("prove-progress").hidden = true;
    },
  };
}

async function onProve() {
  const status = $("prove-status");
  if (state.pad.drawing) return; // a stroke still in progress (a second finger on Prove): the pixels are not final
  if (!state.pixels) {
    show(status, "error", "The canvas is empty: draw a digit or pick a sample first. No proof was made.");
    return;
  }
  const submitter = $("account").value;
  if (!submitter) {
    show(status, "error", "No account to bind the proof to: the registry only accepts a proof from the account " +
      "it was made for. Connect to the chain first (step 4).");
    return;
  }
  if (!nodeTrusted()) {
    askAboutNode(submitter);
    return;
  }
  const statement = { pixels: provenPixels(state.network, state.pixels), digit: state.digit, submitter,
    salt: randomSalt(state.config.saltBits) };
  setBusy(true);
  const progress = startProgress();
  try {
    await state.prover.ready;
    const result = await state.prover.prove(statement, state.config.artifacts, progress.stage);
    state.proof = { ...result, digit: statement.digit, submitter, salt: statement.salt, seconds: progress.seconds(),
      recorded: false };
    showProof(state.proof);
  } catch (error) {
    show(status, "error", `No proof: ${error.message}`);
  } finally {
    progress.stop();
    setBusy(false);
  }
}

/** Ask before proving for an account that another node than the page's own listed. */
function askAboutNode(submitter) {
  $("prove-confirm-text").textContent = `Prove for ${submitter}? That account was listed by ${nodeUrl()}, which is ` +
    `not this page's node (${state.config.rpcUrl}). Whoever holds the account can record your digit as theirs.`;
  $("prove-confirm").hidden = false;
  $("prove-anyway").focus();
}

function onProveAnyway() {
  state.trustedNode = nodeUrl();
  $("prove-confirm").hidden = true;
  onProve();
}

function showProof(proof) {
  const { times, seconds } = proof;
  show($("prove-status"), proof.verified ? "ok" : "error", proof.verified
    ? `Proof made in ${seconds.toFixed(1)} s and checked with the verification key.`
    : "The proof does not verify with the verification key.");
  $("proof-digit").textContent = proof.digit;
  $("proof-submitter").textContent = proof.submitter;
  $("proof-commitment").textContent = hex64(proof.commitment);
  $("proof-binding").textContent = `${proof.digit} · 2^${state.config.addressBits} + ${proof.submitter}`;
  $("proof-time").textContent = `${seconds.toFixed(1)} s in all: witness ${times.witness.toFixed(2)} s, ` +
    `Groth16 ${times.proof.toFixed(2)} s (the rest: download and verification)`;
  $("proof-json").textContent = JSON.stringify({ publicSignals: proof.publicSignals, proof: proof.proof }, null, 1);
  $("proof-details").open = WIDE_SCREEN.matches;
  $("proof-result").hidden = $("proof-save").hidden = $("proof-details").hidden = false;
}

/** Save the proof with its salt as the project's proof file (a download: nothing leaves the browser). */
function onDownload() {
  const { proof, config } = state;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([proofFile({ ...proof, model: config.model }, config.proofLayout)],
    { type: "application/json" }));
  link.download = `zkmnist-proof-${proof.digit}-${hex64(proof.commitment).slice(2, 10)}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** Prove, Prove anyway and Download. */
export function setUpProving() {
  $("prove").addEventListener("click", onProve);
  $("prove-anyway").addEventListener("click", onProveAnyway);
  $("download-proof").addEventListener("click", onDownload);
}
