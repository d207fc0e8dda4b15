// The registry's call data, return values and custom errors, encoded and decoded from its compiled ABI
// (config.json's `abi`, from zkproof/chain/web_config.py) by ethers' Interface (webapp/vendor/, the version pinned
// in package.json): nothing here knows a selector, a type or an argument order of its own.
import { Interface } from "../vendor/ethers.min.js";

const SMALL = 2n ** 53n; // integers below this are shown and returned as Numbers, larger ones as BigInt / hex

/** One decoded ABI value as a plain one: numbers, lowercase addresses, arrays, structs as objects by field name. */
function plain(param, value) {
  if (param.baseType === "tuple") {
    return Object.fromEntries(param.components.map((field, i) => [field.name || i, plain(field, value[i])]));
  }
  if (param.baseType === "array") return Array.from(value, (item) => plain(param.arrayChildren, item));
  if (param.type === "address") return value.toLowerCase();
  if (typeof value === "bigint" && value < SMALL && value > -SMALL) return Number(value);
  return value;
}

/** A decoded value as text: big numbers (commitments) in hex, strings quoted. */
function text(param, value) {
  if (param.baseType === "tuple") return `(${param.components.map((c, i) => text(c, value[i])).join(", ")})`;
  if (param.baseType === "array") return `[${Array.from(value, (v) => text(param.arrayChildren, v)).join(", ")}]`;
  if (param.type === "address") return value.toLowerCase();
  if (param.type === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return value < 2n ** 64n ? value.toString() : `0x${value.toString(16).padStart(64, "0")}`;
  return String(value);
}

export class Registry {
  /** `abi`: the registry's ABI fragments as the compiler wrote them. */
  constructor(abi) {
    this.interface = Interface.from(abi);
  }

  function(name) {
    const fragment = this.interface.getFunction(name);
    if (!fragment) throw new Error(`the registry's ABI has no function ${name}`);
    return fragment;
  }

  /** Call data of function `name`; `args` by the ABI's parameter names, e.g. {modelId, digit, commitment, proof}. */
  encode(name, args) {
    const fragment = this.function(name);
    const missing = fragment.inputs.filter((input) => !(input.name in args)).map((input) => input.name);
    if (missing.length) throw new Error(`${name} needs ${missing.join(", ")}`);
    return this.interface.encodeFunctionData(fragment, fragment.inputs.map((input) => args[input.name]));
  }

  /** The return value of function `name` from its hex data (one output: that value; several: an object by name). */
  decode(name, hex) {
    const fragment = this.function(name);
    let result;
    try {
      result = this.interface.decodeFunctionResult(fragment, hex);
    } catch {
      throw new Error(`${name} returned ${hex.length > 80 ? `${hex.slice(0, 80)}…` : hex}: is this the registry?`);
    }
    const values = fragment.outputs.map((output, i) => plain(output, result[i]));
    return values.length === 1 ? values[0]
      : Object.fromEntries(fragment.outputs.map((output, i) => [output.name || i, values[i]]));
  }

  /**
   * {name, args, text} of revert data: a custom error of the ABI, or Solidity's Error(string) / Panic(uint256);
   * `args` by the error's parameter names, `text` like `AlreadyRecorded(commitment=0x…)`.
   */
  decodeRevert(data) {
    let error = null;
    try {
      error = this.interface.parseError(data);
    } catch {
      // a known selector with malformed arguments: named below as unknown, with its selector
    }
    if (!error) return { name: null, args: {}, text: `unknown error ${data.slice(0, 10)}` };
    const inputs = error.fragment.inputs;
    const args = Object.fromEntries(inputs.map((input, i) => [input.name || i, plain(input, error.args[i])]));
    const shown = inputs.map((input, i) => (input.name ? `${input.name}=` : "") + text(input, error.args[i]));
    return { name: error.name, args, text: `${error.name}(${shown.join(", ")})` };
  }
}
