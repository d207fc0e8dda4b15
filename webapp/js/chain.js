// Talking to the chain: JSON-RPC over HTTP (a local anvil, whose dev accounts are unlocked) or through an
// injected EIP-1193 wallet, with timeouts; finding the revert data in a node's or wallet's error; waiting for a
// receipt. What the call data and revert data mean is registry.js's (from the compiled ABI).

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
