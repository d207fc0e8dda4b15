// Which node or wallet the page talks to, and whose accounts it lists: connecting (chain id and registry
// checked), the account list, and the warning when a link (?rpc=) points the page at another node than its own.
import { ChainError, Unreachable, httpTransport, toHex, walletTransport } from "./chain.js";
import { $, refreshButtons, show, state } from "./ui.js";

/** The node the page talks to: `?rpc=URL`, else config.json's. */
export const nodeUrl = () => new URLSearchParams(location.search).get("rpc") || state.config.rpcUrl;

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
export const nodeTrusted = () => state.mode !== "node" || isOwnNode(nodeUrl()) || state.trustedNode === nodeUrl();

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

export async function connectNode() {
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

export async function connectWallet() {
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

/** The connection's controls: Reconnect, the account list, and "Use browser wallet" when there is one. */
export function setUpConnection() {
  $("account").addEventListener("change", refreshButtons);
  $("reconnect").addEventListener("click", () => (state.mode === "wallet" ? connectWallet() : connectNode()));
  if (window.ethereum) {
    $("use-wallet").hidden = false;
    $("use-wallet").addEventListener("click", connectWallet);
    window.ethereum.on?.("accountsChanged", (accounts) => state.mode === "wallet" && setAccounts(accounts, 0));
  }
}
