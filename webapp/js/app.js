// The page: drawing pad and samples → 28×28 pixels → integer network → Groth16 proof → registry.
// While a proof or a submission runs, the inputs are locked: what is shown and submitted is always the
// proof of the pixels on screen.
import {
  ChainError, Unreachable, decodeRecord, decodeRevert, encodeCall, httpTransport, revertData, toHex,
  waitForReceipt, walletTransport,
} from "./chain.js";
import { classify, loadNetwork, margin, probabilities, provenPixels, seenPixels } from "./net.js";
import { Pad, pixelCanvas } from "./pad.js";
import { SIDE, inkOf, toMnist } from "./preprocess.js";
import { percentDone, stageNamed } from "./progress.js";
import { proofFile, randomSalt, startProver } from "./prove.js";

const $ = (id) => document.getElementById(id);
const WIDE_SCREEN = matchMedia("(min-width: 600px)"); // the proof's JSON starts open only there
const TICK_MS = 200;

const state = {
  config: null,
  network: null,
  prover: null, // {ready, prove} of the prover worker
  samples: [],
  sample: null, // the held-out sample shown, until the user draws over it
  pixels: null, // 784 ints, or null for an empty pad
  digit: null,
  margin: null, // top probability minus the runner-up's
  proof: null, // the proof of `pixels` and its salt, with `recorded` once the registry has it
  request: null, // JSON-RPC request(method, params) of the node or wallet
  mode: "node",
  accounts: [],
  trustedNode: null, // a node other than config.json's that the user chose to prove for anyway ("Prove anyway")
  busy: false, // proving or submitting: the inputs are locked
};
window.zkmnist = { state, classify: (pixels) => classify(state.network, pixels).digit };

let pad = null; // the drawing pad, once the network is there to classify what is drawn

function show(element, kind, text) {
  element.className = `status ${kind}`;
  element.textContent = text;
}

const short = (hex) => `${hex.slice(0, 8)}…${hex.slice(-6)}`;
const points = (fraction) => `${(100 * fraction).toFixed(1)} points`;

// ------------------------------------------------------------------ inputs

function setUpPad() {
  pad = new Pad($("pad"), () => {
    state.sample = null;
    update();
  });
  $("clear").addEventListener("click", () => {
    state.sample = null;
    pad.clear();
    update();
  });
}

function showSamples() {
  const box = $("samples");
  for (const sample of state.samples) {
    const button = document.createElement("button");
    const name = `held-out digit #${sample.index}, labelled ${sample.label}`;
    button.type = "button";
    button.className = "sample";
    button.dataset.index = sample.index;
    button.setAttribute("aria-label", name);
    button.title = name;
    button.append(pixelCanvas(sample.pixels, true));
    button.addEventListener("click", () => {
      state.sample = sample;
      pad.showImage(sample.pixels);
      update();
    });
    box.append(button);
  }
}

/** Lock (busy) or unlock every input that could change the pixels, the account or the proof. */
function setBusy(busy) {
  state.busy = busy;
  pad.lock(busy);
  refreshButtons();
}

function refreshButtons() {
  const { busy, proof } = state;
  for (const id of ["prove", "prove-anyway", "clear", "reconnect", "account"]) $(id).disabled = busy;
  for (const button of document.querySelectorAll(".sample")) button.disabled = busy;
  $("submit").disabled = busy || !proof || proof.recorded || !$("account").value;
}

// ------------------------------------------------------------------ classification

function update() {
  state.pixels = state.sample
    ? state.sample.pixels.slice()
    : toMnist(inkOf(pad.imageData()), pad.canvas.width, pad.canvas.height);
  state.proof = null;
  for (const id of ["proof-result", "proof-save", "proof-details", "record", "prove-confirm"]) $(id).hidden = true;
  show($("prove-status"), "", "");
  show($("submit-status"), "", "");
  refreshButtons();

  const preview = $("preview").getContext("2d");
  preview.fillStyle = "#000";
  preview.fillRect(0, 0, SIDE, SIDE);
  $("bars").replaceChildren();
  if (!state.pixels) {
    state.digit = state.margin = null;
    $("digit").textContent = "–";
    showMargin();
    return;
  }
  preview.drawImage(pixelCanvas(seenPixels(state.network, state.pixels)), 0, 0);
  const { digit, scores } = classify(state.network, state.pixels);
  const probs = probabilities(state.network, scores);
  state.digit = digit;
  state.margin = margin(state.network, scores);
  $("digit").textContent = digit;
  $("bars").append(...probs.map((p, d) => bar(d, p, d === digit)));
  showMargin(probs);
}

/** One row of the bars: the digit, a bar as wide as its probability, the percentage. */
function bar(digit, probability, top) {
  const percent = `${(100 * probability).toFixed(1)}%`;
  const row = document.createElement("div");
  row.className = top ? "bar top" : "bar";
  const fill = document.createElement("span");
  fill.className = "fill";
  fill.style.width = percent; // CSSOM, not a style attribute: the page's CSP allows no inline styles
  const label = document.createElement("span");
  label.textContent = digit;
  const value = document.createElement("span");
  value.className = "pct";
  value.textContent = percent;
  row.append(label, fill, value);
  return row;
}

/** The most probable digit other than `digit`. */
function runnerUp(probs, digit) {
  let best = digit === 0 ? 1 : 0;
  probs.forEach((p, d) => {
    if (d !== digit && p > probs[best]) best = d;
  });
  return best;
}

/** The margin under the digit, and the warning when it is as low as the least reliable held-out digits'. */
function showMargin(probs) {
  const warning = $("low-margin");
  if (state.margin === null) {
    $("margin").textContent = "";
    show(warning, "", "");
    return;
  }
  const second = runnerUp(probs, state.digit);
  $("margin").textContent = `margin ${points(state.margin)} over ${second} (top minus runner-up)`;
  const { threshold, minAccuracy } = state.config.lowMargin;
  show(warning, state.margin <= threshold ? "warn" : "", state.margin <= threshold
    ? `Low confidence: the network barely prefers ${state.digit} to ${second} (a margin of ` +
      `${points(state.margin)}). Held-out digits with a margin of ${points(threshold)} or less are read right ` +
      `less than ${100 * minAccuracy}% of the time, so this may be no clear digit. A proof would still be valid: ` +
      `it says the network reads a ${state.digit}, not that you drew one.`
    : "");
}

// ------------------------------------------------------------------ proving

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
  if (pad.drawing) return; // a stroke still in progress (a second finger on Prove): the pixels are not final
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

function showProof(proof) {
  const { times, seconds } = proof;
  show($("prove-status"), proof.verified ? "ok" : "error", proof.verified
    ? `Proof made in ${seconds.toFixed(1)} s and checked with the verification key.`
    : "The proof does not verify with the verification key.");
  $("proof-digit").textContent = proof.digit;
  $("proof-submitter").textContent = proof.submitter;
  $("proof-commitment").textContent = `0x${proof.commitment.toString(16).padStart(64, "0")}`;
  $("proof-binding").textContent = `${proof.digit} · 2^${state.config.addressBits} + ${proof.submitter}`;
  $("proof-time").textContent = `${seconds.toFixed(1)} s in all: witness ${times.witness.toFixed(2)} s, ` +
    `Groth16 ${times.proof.toFixed(2)} s (the rest: download and verification)`;
  $("proof-json").textContent = JSON.stringify({ publicSignals: proof.publicSignals, proof: proof.proof }, null, 1);
  $("proof-details").open = WIDE_SCREEN.matches;
  $("proof-result").hidden = $("proof-save").hidden = $("proof-details").hidden = false;
}

/** Save the proof with its salt as the project's proof file (a download: nothing leaves the browser). */
function onDownload() {
  const { proof } = state;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([proofFile({ ...proof, model: state.config.model })],
    { type: "application/json" }));
  link.download = `zkmnist-proof-${proof.digit}-${proof.commitment.toString(16).padStart(64, "0").slice(0, 8)}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

// ------------------------------------------------------------------ whose node

/** The node the page talks to: `?rpc=URL`, else config.json's. */
const nodeUrl = () => new URLSearchParams(location.search).get("rpc") || state.config.rpcUrl;

/** Whether `url` is config.json's node (compared as URLs, so a trailing slash makes no other node). */
function isOwnNode(url) {
  try {
    return new URL(url).href === new URL(state.config.rpcUrl).href;
  } catch {
    return false;
  }
}

/** Whether a proof may be made for the listed accounts: they come from the page's own node, from a browser
 * wallet, or from another node that the user chose to prove for anyway. */
const nodeTrusted = () => state.mode !== "node" || isOwnNode(nodeUrl()) || state.trustedNode === nodeUrl();

/** Say plainly, under the chain status, when a link has pointed the page at another node than its own. */
function showNodeWarning() {
  const url = nodeUrl();
  const warning = $("node-warning");
  warning.hidden = state.mode !== "node" || isOwnNode(url);
  warning.textContent = warning.hidden ? "" : `Not this page's node: the link (?rpc=) points the page at ${url}, ` +
    `not at ${state.config.rpcUrl}, the node it was set up for. That node chooses the accounts listed here, and a ` +
    "proof is bound to the account it is made for: a link from someone else can have you prove for their account. " +
    "Prove only if you chose this node yourself.";
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

// ------------------------------------------------------------------ chain

function setAccounts(accounts, preferred = 0) {
  state.accounts = accounts;
  const select = $("account");
  select.replaceChildren(...accounts.map((address, i) => new Option(`#${i} ${address}`, address.toLowerCase())));
  if (!accounts.length) select.append(new Option("no account (not connected)", ""));
  if (accounts.length) select.selectedIndex = Math.min(preferred, accounts.length - 1);
  refreshButtons();
}

async function checkChain(request, where) {
  const chainId = Number(await request("eth_chainId"));
  if (chainId !== state.config.chainId) {
    throw new ChainError(`${where} is on chain ${chainId}, but the registry was deployed on chain ${state.config.chainId}`);
  }
  const code = await request("eth_getCode", [state.config.registry, "latest"]);
  if (!code || code === "0x") {
    throw new ChainError(`no contract at ${state.config.registry} on chain ${chainId}: the config is stale (restart make web)`);
  }
  return Number(await request("eth_blockNumber"));
}

async function connectNode() {
  const url = nodeUrl();
  const status = $("chain-status");
  state.mode = "node";
  showNodeWarning();
  state.request = httpTransport(url);
  setAccounts([]);
  show(status, "busy", `connecting to ${url} …`);
  try {
    const block = await checkChain(state.request, `the node at ${url}`);
    const accounts = await state.request("eth_accounts");
    if (!accounts.length) throw new ChainError(`the node at ${url} has no unlocked accounts: use a browser wallet`);
    setAccounts(accounts, state.config.defaultAccount);
    const { chainId, registry, modelId, model } = state.config;
    show(status, "ok", `${isOwnNode(url) ? "Local node" : "Node"} ${url}, chain ${chainId} (block ${block} on ` +
      `connecting); registry ${registry}, model #${modelId} (${model}).`);
  } catch (error) {
    show(status, "error", error instanceof Unreachable
      ? `Cannot reach the chain: ${error.message}. Is \`make web\` still running? Drawing and classifying work ` +
        "without it; a proof needs the account it will be sent from. Reconnect when the node is up."
      : `Chain problem: ${error.message}`);
  }
}

async function connectWallet() {
  const status = $("chain-status");
  state.mode = "wallet";
  showNodeWarning();
  state.request = walletTransport(window.ethereum);
  setAccounts([]);
  show(status, "busy", "asking the browser wallet for an account …");
  try {
    const accounts = await state.request("eth_requestAccounts");
    const chainId = Number(await state.request("eth_chainId"));
    if (chainId !== state.config.chainId) {
      await state.request("wallet_switchEthereumChain", [{ chainId: toHex(state.config.chainId) }]);
    }
    const block = await checkChain(state.request, "the wallet");
    setAccounts(accounts, 0);
    show(status, "ok", `Browser wallet, chain ${state.config.chainId}, block ${block}; registry ${state.config.registry}.`);
  } catch (error) {
    show(status, "error", `Wallet problem: ${error.message}`);
  }
}

const HINTS = {
  AlreadyRecorded: () => "this commitment is already on chain; each image-and-salt is recorded once " +
    "(prove again: a new proof has a new salt, hence a new commitment).",
  InvalidProof: (proof, from) => (proof.submitter !== from
    ? `the proof is bound to ${proof.submitter}, but the transaction came from ${from}: ` +
      "the registry rebuilds the binding from the sender (choose the proof's account, or prove again)."
    : "the verifier rejected the proof."),
  UnknownModel: () => "this registry has no such model: the config is stale.",
  ModelInactive: () => "the owner has deactivated this model.",
};

async function rejection(error, proof, from) {
  if (error instanceof Unreachable) return `Cannot reach the chain: ${error.message}.`;
  const data = revertData(error);
  if (!data) return `The node refused the transaction: ${error.message}`;
  const reason = decodeRevert(data, state.config.errors);
  const hint = HINTS[reason.name] ? ` — ${HINTS[reason.name](proof, from)}` : "";
  return `The registry rejected the transaction: ${reason.text}${hint}`;
}

async function onSubmit() {
  const status = $("submit-status");
  const proof = state.proof;
  if (pad.drawing) return; // a stroke in progress would end mid-submission and replace the proof
  if (!proof) {
    show(status, "error", "Prove first (step 3).");
    return;
  }
  const { config, request } = state;
  const from = $("account").value;
  const tx = {
    from,
    to: config.registry,
    data: encodeCall(config.functions.submit, [config.modelId, proof.digit, proof.commitment, ...proof.words]),
  };
  setBusy(true);
  try {
    show(status, "busy", "estimating gas (a rejection shows here, before anything is sent) …");
    let gas;
    try {
      gas = BigInt(await request("eth_estimateGas", [tx]));
    } catch (error) {
      show(status, "error", await rejection(error, proof, from));
      return;
    }
    show(status, "busy", state.mode === "wallet" ? "confirm the transaction in your wallet …" : "sending …");
    const hash = await request("eth_sendTransaction", [{ ...tx, gas: toHex((gas * 6n) / 5n) }]);
    show(status, "busy", `waiting for ${hash} to be mined …`);
    const receipt = await waitForReceipt(request, hash);
    if (receipt.status !== "0x1") {
      let why = "";
      try {
        await request("eth_call", [tx, receipt.blockNumber]);
      } catch (error) {
        why = ` ${await rejection(error, proof, from)}`;
      }
      show(status, "error", `Transaction ${hash} reverted.${why}`);
      return;
    }
    const call = { to: config.registry, data: encodeCall(config.functions.recordOf, [proof.commitment]) };
    const record = decodeRecord(await request("eth_call", [call, "latest"]));
    proof.recorded = true; // Submit stays off until a new proof: a second time would only be refused
    showRecord(record, hash, receipt);
    show(status, record.digit === proof.digit ? "ok" : "error", record.digit === proof.digit
      ? `Recorded on chain: the registry now says commitment ${short(toHex(proof.commitment))} is a ${record.digit}.`
      : `The registry recorded digit ${record.digit}, not ${proof.digit}.`);
  } catch (error) {
    show(status, "error", error instanceof Unreachable ? `Cannot reach the chain: ${error.message}.`
      : `The transaction failed: ${error.message}`);
  } finally {
    setBusy(false);
  }
}

function showRecord(record, hash, receipt) {
  $("record-digit").textContent = `digit ${record.digit} at ${new Date(record.timestamp * 1000).toISOString()}`;
  $("record-submitter").textContent = record.submitter;
  $("record-model").textContent = `#${record.modelId}`;
  $("record-tx").textContent = `${hash} (block ${Number(receipt.blockNumber)})`;
  $("record-gas").textContent = BigInt(receipt.gasUsed).toLocaleString("en");
  $("record").hidden = false;
}

// ------------------------------------------------------------------ start

async function loadJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

function showFatal(text) {
  show($("fatal"), "error", text);
  $("fatal").hidden = false;
}

async function main() {
  try {
    state.config = await loadJson("/data/config.json");
    [state.network, state.samples] = await Promise.all([loadNetwork(state.config.weights), loadJson(state.config.samples)]);
  } catch (error) {
    showFatal(`The page cannot start: ${error.message}. Serve it with \`make web\`.`);
    return;
  }
  state.prover = startProver("js/prove-worker.js", state.config.addressBits);
  state.prover.ready.catch((error) => showFatal(`${error.message}: proving is unavailable.`));
  setUpPad();
  $("pixel-bits").textContent = state.network.pixelBits;
  showSamples();
  update();
  $("prove").addEventListener("click", onProve);
  $("prove-anyway").addEventListener("click", onProveAnyway);
  $("download-proof").addEventListener("click", onDownload);
  $("submit").addEventListener("click", onSubmit);
  $("account").addEventListener("change", refreshButtons);
  $("reconnect").addEventListener("click", () => (state.mode === "wallet" ? connectWallet() : connectNode()));
  if (window.ethereum) {
    $("use-wallet").hidden = false;
    $("use-wallet").addEventListener("click", connectWallet);
    window.ethereum.on?.("accountsChanged", (accounts) => state.mode === "wallet" && setAccounts(accounts, 0));
  }
  document.body.dataset.ready = "true";
  await connectNode();
}

main();
