// Step 4 without gas: the proof handed to the relayer of config.json (`relayer`), which checks it, records it with
// others in one transaction and reports its status; the page polls that status until the record is on chain and
// then reads the record back from the registry itself. The record credits the proof's account, whoever pays.
import { Unreachable } from "./chain.js";
import { readRecord, showRecord } from "./submission.js";
import { $, refreshButtons, setBusy, short, show, state } from "./ui.js";

const POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 10000;
const RECORD_TIMEOUT_MS = 180000; // the relayer waits for a full transaction or its time limit (seconds)

/** `method` on the relayer's `path`, JSON in and out; a relayer that does not answer is Unreachable. */
async function relayerCall(method, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(new URL(path, state.config.relayer), {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: controller.signal,
    });
    const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    return { status: response.status, answer };
  } catch (error) {
    throw new Unreachable(error.name === "AbortError" ? "the relayer did not answer in time"
      : `cannot reach the relayer at ${state.config.relayer}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The proof as the relayer takes it: numbers as decimal strings. */
const relayed = (proof) => ({
  model: state.config.model,
  digit: proof.digit,
  commitment: BigInt(proof.commitment).toString(),
  submitter: proof.submitter,
  proof: proof.words.map((word) => BigInt(word).toString()),
});

/** What a status means to the person waiting. */
function describe(status) {
  if (status.status === "queued") return "queued at the relayer: it sends when enough proofs wait or its time is up …";
  if (status.status === "sent") return `in transaction ${short(status.transaction)}, waiting for it to be mined …`;
  return status.status;
}

async function onRelay() {
  const status = $("submit-status");
  const { proof } = state;
  if (state.pad.drawing || !proof) return;
  setBusy(true);
  try {
    show(status, "busy", "handing the proof to the relayer (it checks it first) …");
    const sent = await relayerCall("POST", "/v1/proofs", relayed(proof));
    if (sent.status !== 202) {
      show(status, "error", `The relayer refused the proof: ${sent.answer.error}`);
      return;
    }
    const deadline = Date.now() + RECORD_TIMEOUT_MS;
    for (let current = sent.answer; ; ) {
      if (current.status === "refused") {
        show(status, "error", `The relayer could not record the proof: ${current.reason}`);
        return;
      }
      if (current.status === "recorded") {
        const record = await readRecord(proof.commitment);
        proof.recorded = true;
        showRecord(record, current.transaction, { blockNumber: current.block, gasUsed: null });
        show(status, record.digit === proof.digit ? "ok" : "error", record.digit === proof.digit
          ? `Recorded by the relayer in block ${current.block}: commitment ${short("0x" + BigInt(proof.commitment)
            .toString(16))} is a ${record.digit}, credited to ${record.submitter}.`
          : `The registry recorded digit ${record.digit}, not ${proof.digit}.`);
        return;
      }
      show(status, "busy", describe(current));
      if (Date.now() > deadline) {
        show(status, "error", `Not recorded within ${RECORD_TIMEOUT_MS / 1000} s; the relayer still has it ` +
          `(id ${sent.answer.id}): try Reconnect later to see the record.`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const polled = await relayerCall("GET", `/v1/proofs/${encodeURIComponent(sent.answer.id)}`);
      if (polled.status !== 200) throw new Error(polled.answer.error);
      current = polled.answer;
    }
  } catch (error) {
    show(status, "error", error instanceof Unreachable ? `Cannot reach the relayer: ${error.message}.`
      : `The relayer failed: ${error.message}`);
  } finally {
    setBusy(false);
    refreshButtons();
  }
}

export function setUpRelay() {
  $("relay-submit").hidden = !state.config.relayer;
  $("relay-submit").addEventListener("click", onRelay);
}
