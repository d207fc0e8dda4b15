// The page: drawing pad and samples → 28×28 pixels → integer network → Groth16 proof → registry.
import {
  ChainError, Unreachable, decodeRecord, decodeRevert, encodeCall, httpTransport, revertData, toHex,
  waitForReceipt, walletTransport,
} from "./chain.js";
import { classify, loadNetwork, probabilities } from "./net.js";
import { SIDE, inkOf, toMnist } from "./preprocess.js";
import { prove, randomSalt } from "./prove.js";

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true });
const STROKE = 24; // px on the 280 px pad: about MNIST's stroke once the digit is fitted to 20×20

const state = {
  config: null,
  network: null,
  samples: [],
  sample: null, // the held-out sample shown, until the user draws over it
  pixels: null, // 784 ints, or null for an empty pad
  digit: null,
  proof: null,
  request: null, // JSON-RPC request(method, params) of the node or wallet
  mode: "node",
  accounts: [],
  busy: false,
};
window.zkmnist = { state, classify: (pixels) => classify(state.network, pixels).digit };

function show(element, kind, text) {
  element.className = `status ${kind}`;
  element.textContent = text;
}

const short = (hex) => `${hex.slice(0, 8)}…${hex.slice(-6)}`;

// ------------------------------------------------------------------ drawing pad

function clearPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
}

function setUpPad() {
  clearPad();
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.lineWidth = STROKE;
  ctx.strokeStyle = ctx.fillStyle = "#000";
  let last = null;
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    state.sample = null;
    last = padPoint(event);
    ctx.beginPath();
    ctx.arc(last[0], last[1], STROKE / 2, 0, 2 * Math.PI);
    ctx.fillStyle = "#000";
    ctx.fill();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const point = padPoint(event);
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...point);
    ctx.stroke();
    last = point;
  });
  const end = () => {
    if (!last) return;
    last = null;
    update();
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => {
    state.sample = null;
    clearPad();
    update();
  });
}

/** An image of 784 pixels (white ink on black) as a 28×28 canvas; `invert` gives dark ink on white. */
function pixelCanvas(pixels, invert = false) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIDE;
  const image = canvas.getContext("2d").createImageData(SIDE, SIDE);
  pixels.forEach((p, i) => {
    const v = invert ? 255 - p : p;
    image.data.set([v, v, v, 255], 4 * i);
  });
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

function showSamples() {
  const box = $("samples");
  for (const sample of state.samples) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sample";
    button.dataset.index = sample.index;
    button.title = `held-out digit #${sample.index}, labelled ${sample.label}`;
    button.append(pixelCanvas(sample.pixels, true));
    button.addEventListener("click", () => {
      state.sample = sample;
      clearPad();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(pixelCanvas(sample.pixels, true), 0, 0, pad.width, pad.height);
      update();
    });
    box.append(button);
  }
}

// ------------------------------------------------------------------ classification

function update() {
  state.pixels = state.sample
    ? state.sample.pixels.slice()
    : toMnist(inkOf(ctx.getImageData(0, 0, pad.width, pad.height)), pad.width, pad.height);
  state.proof = null;
  $("proof-result").hidden = $("proof-details").hidden = $("record").hidden = true;
  show($("prove-status"), "", "");
  show($("submit-status"), "", "");
  refreshButtons();

  const preview = $("preview").getContext("2d");
  preview.fillStyle = "#000";
  preview.fillRect(0, 0, SIDE, SIDE);
  const bars = $("bars");
  bars.replaceChildren();
  if (!state.pixels) {
    state.digit = null;
    $("digit").textContent = "–";
    return;
  }
  preview.drawImage(pixelCanvas(state.pixels), 0, 0);
  const { digit, scores } = classify(state.network, state.pixels);
  state.digit = digit;
  $("digit").textContent = digit;
  probabilities(state.network, scores).forEach((p, d) => {
    const row = document.createElement("div");
    row.className = d === digit ? "bar top" : "bar";
    row.innerHTML = `<span>${d}</span><span class="fill" style="width:${(100 * p).toFixed(1)}%"></span>` +
      `<span class="pct">${(100 * p).toFixed(1)}%</span>`;
    bars.append(row);
  });
}

// ------------------------------------------------------------------ proving

async function onProve() {
  const status = $("prove-status");
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
  const digit = state.digit;
  const started = performance.now();
  let stage = "starting";
  const tick = () => show(status, "busy", `${stage} … ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const timer = setInterval(tick, 200);
  tick();
  state.busy = true;
  refreshButtons();
  try {
    const result = await prove({ pixels: state.pixels, digit, submitter, salt: randomSalt() },
      state.config.artifacts, (message) => { stage = message; tick(); });
    state.proof = { ...result, digit, submitter };
    showProof(state.proof, (performance.now() - started) / 1000);
  } catch (error) {
    show(status, "error", `No proof: ${error.message}`);
  } finally {
    clearInterval(timer);
    state.busy = false;
    refreshButtons();
  }
}

function showProof(proof, seconds) {
  const { times } = proof;
  show($("prove-status"), proof.verified ? "ok" : "error", proof.verified
    ? `Proof made in ${seconds.toFixed(1)} s and checked with the verification key.`
    : "The proof does not verify with the verification key.");
  $("proof-digit").textContent = proof.digit;
  $("proof-submitter").textContent = proof.submitter;
  $("proof-commitment").textContent = `0x${proof.commitment.toString(16).padStart(64, "0")}`;
  $("proof-binding").textContent = `${proof.digit} · 2^160 + ${proof.submitter}`;
  $("proof-time").textContent = `${seconds.toFixed(1)} s in all: witness ${times.witness.toFixed(2)} s, ` +
    `Groth16 ${times.proof.toFixed(2)} s (the rest: download and verification)`;
  $("proof-json").textContent = JSON.stringify({ publicSignals: proof.publicSignals, proof: proof.proof }, null, 1);
  $("proof-result").hidden = $("proof-details").hidden = false;
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
  const url = new URLSearchParams(location.search).get("rpc") || state.config.rpcUrl;
  const status = $("chain-status");
  state.mode = "node";
  state.request = httpTransport(url);
  setAccounts([]);
  show(status, "busy", `connecting to ${url} …`);
  try {
    const block = await checkChain(state.request, `the node at ${url}`);
    const accounts = await state.request("eth_accounts");
    if (!accounts.length) throw new ChainError(`the node at ${url} has no unlocked accounts: use a browser wallet`);
    setAccounts(accounts, state.config.defaultAccount);
    show(status, "ok", `Local node ${url}, chain ${state.config.chainId} (block ${block} on connecting); ` +
      `registry ${state.config.registry}, model #${state.config.modelId} (${state.config.model}).`);
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
  state.busy = true;
  refreshButtons();
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
    showRecord(record, hash, receipt);
    show(status, record.digit === proof.digit ? "ok" : "error", record.digit === proof.digit
      ? `Recorded on chain: the registry now says commitment ${short(toHex(proof.commitment))} is a ${record.digit}.`
      : `The registry recorded digit ${record.digit}, not ${proof.digit}.`);
  } catch (error) {
    show(status, "error", error instanceof Unreachable ? `Cannot reach the chain: ${error.message}.`
      : `The transaction failed: ${error.message}`);
  } finally {
    state.busy = false;
    refreshButtons();
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

function refreshButtons() {
  $("prove").disabled = state.busy;
  $("submit").disabled = state.busy || !state.proof || !$("account").value;
  $("reconnect").disabled = state.busy;
}

// ------------------------------------------------------------------ start

async function loadJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  return response.json();
}

async function main() {
  setUpPad();
  try {
    state.config = await loadJson("/data/config.json");
    [state.network, state.samples] = await Promise.all([loadNetwork(state.config.network), loadJson(state.config.samples)]);
  } catch (error) {
    show($("fatal"), "error", `The page cannot start: ${error.message}. Serve it with \`make web\`.`);
    $("fatal").hidden = false;
    return;
  }
  if (typeof snarkjs === "undefined") {
    show($("fatal"), "error", "snarkjs did not load (/vendor/snarkjs/snarkjs.min.js): proving is unavailable.");
    $("fatal").hidden = false;
  }
  showSamples();
  update();
  $("prove").addEventListener("click", onProve);
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
