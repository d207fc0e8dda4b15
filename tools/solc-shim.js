#!/usr/bin/env node
// Native-solc command line over the npm `solc` package (solc compiled to WebAssembly).
// py-solc-x (and so ape-solidity) only needs `--version` and `--standard-json`;
// `make setup` installs this as `solc-v<version>` in the folder SOLCX_BINARY_PATH names.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

function optionValues(argv, name) {
  const values = [];
  argv.forEach((arg, i) => {
    if (arg === name && i + 1 < argv.length) values.push(argv[i + 1]);
    else if (arg.startsWith(name + "=")) values.push(arg.slice(name.length + 1));
  });
  return values.flatMap((v) => v.split(","));
}

function importResolver(roots) {
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function main(argv) {
  if (argv.includes("--version")) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (argv.includes("--standard-json")) {
    const input = fs.readFileSync(0, "utf8");
    const roots = [...optionValues(argv, "--base-path"), ...optionValues(argv, "--include-path"), process.cwd()];
    process.stdout.write(solc.compile(input, { import: importResolver(roots) }) + "\n");
    return 0;
  }
  process.stderr.write("solc-shim: only --version and --standard-json are supported\n");
  return 1;
}

process.exitCode = main(process.argv.slice(2));
