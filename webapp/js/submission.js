// Step 4, the submission flow: the proof sent to the registry (gas estimated first, so a rejection is shown
// before anything is sent), the registry's custom errors decoded from its ABI with a hint, and the record read back.
import { Unreachable, revertData, toHex, waitForReceipt } from "./chain.js";
import { $, setBusy, short, show, state } from "./ui.js";

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

/** Why the node refused a call: the registry's error by name and arguments, and what to do about it. */
function rejection(error, proof, from) {
  if (error instanceof Unreachable) return `Cannot reach the chain: ${error.message}.`;
  const data = revertData(error);
  if (!data) return `The node refused the transaction: ${error.message}`;
  const reason = state.registry.decodeRevert(data);
  const hint = HINTS[reason.name] ? ` — ${HINTS[reason.name](proof, from)}` : "";
  return `The registry rejected the transaction: ${reason.text}${hint}`;
}

async function onSubmit() {
  const status = $("submit-status");
  const { config, registry, request, proof } = state;
  if (state.pad.drawing) return; // a stroke in progress would end mid-submission and replace the proof
  if (!proof) {
    show(status, "error", "Prove first (step 3).");
    return;
  }
  const from = $("account").value;
  const tx = {
    from,
    to: config.registry,
    data: registry.encode("submit", { modelId: config.modelId, digit: proof.digit, commitment: proof.commitment,
      proof: proof.words }),
  };
  setBusy(true);
  try {
    show(status, "busy", "estimating gas (a rejection shows here, before anything is sent) …");
    let gas;
    try {
      gas = BigInt(await request("eth_estimateGas", [tx]));
    } catch (error) {
      show(status, "error", rejection(error, proof, from));
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
        why = ` ${rejection(error, proof, from)}`;
      }
      show(status, "error", `Transaction ${hash} reverted.${why}`);
      return;
    }
    const record = await readRecord(proof.commitment);
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

/** The registry's record of `commitment`, read from the chain. */
export async function readRecord(commitment) {
  const { config, registry, request } = state;
  const call = { to: config.registry, data: registry.encode("recordOf", { commitment }) };
  return registry.decode("recordOf", await request("eth_call", [call, "latest"]));
}

/** The record on screen: digit and time, submitter, model, transaction and block, and the gas if known. */
export function showRecord(record, hash, receipt) {
  $("record-digit").textContent = `digit ${record.digit} at ${new Date(record.timestamp * 1000).toISOString()}`;
  $("record-submitter").textContent = record.submitter;
  $("record-model").textContent = `#${record.modelId}`;
  $("record-tx").textContent = `${hash} (block ${Number(receipt.blockNumber)})`;
  $("record-gas").textContent = receipt.gasUsed === null ? "paid by the relayer"
    : BigInt(receipt.gasUsed).toLocaleString("en");
  $("record").hidden = false;
}

export function setUpSubmission() {
  $("submit").addEventListener("click", onSubmit);
}
