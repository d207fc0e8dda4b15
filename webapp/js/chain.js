// Talking to the chain: JSON-RPC over HTTP (a local anvil, whose dev accounts are unlocked) or through an
// injected EIP-1193 wallet, with timeouts; hand-made ABI encoding of the registry's two static calls; and
// decoding of revert data with the error selectors from the generated config.

export class ChainError extends Error {}

/** The node or wallet could not be reached or did not answer in time. */
export class Unreachable extends ChainError {}

/** The node answered with a JSON-RPC error (e.g. a revert during gas estimation). */
export class RpcError extends ChainError {
  constructor(message, code, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

const READ_TIMEOUT_MS = 8000;
const USER_TIMEOUT_MS = 300000; // a wallet waiting for the user to approve

/** `request(method, params)` against a JSON-RPC URL; every call gives up after `timeoutMs`. */
export function httpTransport(url, timeoutMs = READ_TIMEOUT_MS) {
  let id = 0;
  return async (method, params = []) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let answer;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
        signal: controller.signal,
      });
      if (!response.ok) throw new Unreachable(`the node at ${url} answered HTTP ${response.status} to ${method}`);
      answer = await response.json();
    } catch (error) {
      if (error instanceof ChainError) throw error;
      throw new Unreachable(error.name === "AbortError"
        ? `no answer from ${url} within ${timeoutMs / 1000} s (${method})`
        : `cannot reach the node at ${url} (${error.message})`);
    } finally {
      clearTimeout(timer);
    }
    if (answer.error) throw new RpcError(answer.error.message, answer.error.code, answer.error.data);
    return answer.result;
  };
}

/** `request(method, params)` through an injected wallet (window.ethereum). */
export function walletTransport(ethereum) {
  const waitsForUser = new Set(["eth_requestAccounts", "eth_sendTransaction", "wallet_switchEthereumChain"]);
  return async (method, params = []) => {
    const limit = waitsForUser.has(method) ? USER_TIMEOUT_MS : READ_TIMEOUT_MS;
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Unreachable(`the wallet did not answer ${method} within ${limit / 1000} s`)), limit);
    });
    try {
      return await Promise.race([ethereum.request({ method, params }), timeout]);
    } catch (error) {
      if (error instanceof ChainError) throw error;
      throw new RpcError(error.message || String(error), error.code, error.data);
    } finally {
      clearTimeout(timer);
    }
  };
}

// ------------------------------------------------------------------ ABI (static types only)

const word = (value) => BigInt(value).toString(16).padStart(64, "0");

/** Call data: a selector (0x + 8 hex) followed by static arguments, one 32-byte word each. */
export function encodeCall(selector, args) {
  return selector + args.map(word).join("");
}

/** The 32-byte words of hex return or revert data (without a selector). */
export function words(hex) {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  return Array.from({ length: Math.floor(body.length / 64) }, (_, i) => BigInt("0x" + body.slice(64 * i, 64 * i + 64)));
}

const asAddress = (value) => "0x" + value.toString(16).padStart(40, "0");

/** recordOf's return value: (uint8 digit, address submitter, uint32 modelId, uint48 timestamp). */
export function decodeRecord(hex) {
  const [digit, submitter, modelId, timestamp] = words(hex);
  if (timestamp === undefined) throw new ChainError(`recordOf returned ${hex}: is this the registry?`);
  return { digit: Number(digit), submitter: asAddress(submitter), modelId: Number(modelId), timestamp: Number(timestamp) };
}

// ------------------------------------------------------------------ revert reasons

/** The revert data hidden somewhere in a node's or wallet's error (shapes differ between them). */
export function revertData(error) {
  const seen = new Set();
  const queue = [error];
  while (queue.length) {
    const item = queue.shift();
    if (item == null || seen.has(item)) continue;
    if (typeof item === "string") {
      if (/^0x[0-9a-fA-F]{8}/.test(item)) return item;
      continue;
    }
    if (typeof item !== "object") continue;
    seen.add(item);
    queue.push(item.data, item.error, item.originalError, item.cause);
  }
  return null;
}

/** {name, args, text} of revert data, by the selectors in `errors` (selector → {name, inputs}). */
export function decodeRevert(data, errors) {
  const known = errors[data.slice(0, 10).toLowerCase()];
  if (!known) return { name: null, args: [], text: `unknown error ${data.slice(0, 10)}` };
  const values = words(data.slice(10));
  const args = known.inputs.map((input, i) => ({ name: input.name, value: decodeValue(input.type, values, i, data) }));
  const text = `${known.name}(${args.map((a) => `${a.name}=${a.value}`).join(", ")})`;
  return { name: known.name, args, text };
}

function decodeValue(type, values, index, data) {
  const value = values[index];
  if (value === undefined) return "?";
  if (type === "address") return asAddress(value);
  if (type === "bool") return String(value !== 0n);
  if (type === "string") {
    const start = 10 + Number(value) * 2;
    const length = Number(BigInt("0x" + data.slice(start, start + 64)));
    const bytes = data.slice(start + 64, start + 64 + 2 * length).match(/../g) || [];
    return JSON.stringify(new TextDecoder().decode(new Uint8Array(bytes.map((b) => parseInt(b, 16)))));
  }
  return value < 2n ** 64n ? value.toString() : "0x" + value.toString(16).padStart(64, "0"); // big numbers (commitments) in hex
}

// ------------------------------------------------------------------ transactions

export const toHex = (n) => "0x" + BigInt(n).toString(16);

/** Resolves the receipt of `hash`, polling until `timeoutMs`. */
export async function waitForReceipt(request, hash, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await request("eth_getTransactionReceipt", [hash]);
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Unreachable(`transaction ${hash} not mined within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}
