// The page's state and its DOM helpers: one state object (also `window.zkmnist.state`, which the tests read),
// status lines, and the lock that keeps every input still while a proof or a submission runs.

export const $ = (id) => document.getElementById(id);

export const state = {
  config: null,
  network: null,
  registry: null, // the registry's calls and errors, from its compiled ABI (registry.js)
  prover: null, // {ready, prove} of the prover worker
  pad: null, // the drawing pad, once the network is there to classify what is drawn
  samples: [],
  sample: null, // the held-out sample shown, until the user draws over it
  pixels: null, // imageSide² ints, or null for an empty pad
  digit: null,
  margin: null, // top probability minus the runner-up's
  proof: null, // the proof of `pixels` and its salt, with `recorded` once the registry has it
  request: null, // JSON-RPC request(method, params) of the node or wallet
  mode: "node",
  accounts: [],
  trustedNode: null, // a node other than config.json's that the user chose to prove for anyway ("Prove anyway")
  busy: false, // proving or submitting: the inputs are locked
};

/** Set a status line's kind (ok, error, busy, warn or none) and text. */
export function show(element, kind, text) {
  element.className = `status ${kind}`;
  element.textContent = text;
}

export function showFatal(text) {
  show($("fatal"), "error", text);
  $("fatal").hidden = false;
}

export const short = (hex) => `${hex.slice(0, 8)}…${hex.slice(-6)}`;
export const points = (fraction) => `${(100 * fraction).toFixed(1)} points`;

/** Lock (busy) or unlock every input that could change the pixels, the account or the proof. */
export function setBusy(busy) {
  state.busy = busy;
  state.pad.lock(busy);
  refreshButtons();
}

export function refreshButtons() {
  const { busy, proof } = state;
  for (const id of ["prove", "prove-anyway", "clear", "reconnect", "account"]) $(id).disabled = busy;
  for (const button of document.querySelectorAll(".sample")) button.disabled = busy;
  $("submit").disabled = busy || !proof || proof.recorded || !$("account").value;
  $("relay-submit").disabled = $("submit").disabled;
}
