"""Witnesses from a circuit's wasm, in-process (wasmtime): circom 2's witness calculator without Node.

The same protocol as circom_runtime's `witness_calculator.js`: each input signal is found by the FNV-1a hash of its
name and set element by element through the shared read/write memory; the witness is read back the same way and
written as a snarkjs `.wtns` file (version 2), byte for byte what the Node worker writes (tested). This is how an
installed package computes witnesses where the native generator (`native_witness`) was never built.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import wasmtime

RUNTIME_ERRORS = {1: "Signal not found.", 2: "Too many signals set.", 3: "Signal already set.", 4: "Assert Failed.",
                  5: "Not enough memory.", 6: "Input signal array access exceeds the size."}
"""circom_runtime's words for the codes its wasm passes to `exceptionHandler`."""


class InputsRefused(ValueError):
    """The circuit refused the inputs (a failed constraint or assert, a missing or extra signal)."""


def _fnv1a64(name: str) -> int:
    digest = 0xCBF29CE484222325
    for byte in name.encode():
        digest = ((digest ^ byte) * 0x100000001B3) % (1 << 64)
    return digest


def _flat(value: object) -> Iterator[int]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flat(item)
    else:
        yield int(value)  # type: ignore[call-overload]


@cache
def _module(wasm: Path) -> tuple[wasmtime.Engine, wasmtime.Module]:
    engine = wasmtime.Engine()
    return engine, wasmtime.Module.from_file(engine, str(wasm))


class _Calculator:
    """One instance of the circuit's wasm (instances are not reused: a refusal leaves one in a failed state)."""

    def __init__(self, wasm: Path) -> None:
        engine, module = _module(wasm)
        self.store = wasmtime.Store(engine)
        self.errors: list[str] = []
        imports = {
            "exceptionHandler": wasmtime.Func(self.store, wasmtime.FuncType([wasmtime.ValType.i32()], []),
                                              self._exception),
            "printErrorMessage": wasmtime.Func(self.store, wasmtime.FuncType([], []),
                                               lambda: self.errors.append(self._message().strip())),
            "writeBufferMessage": wasmtime.Func(self.store, wasmtime.FuncType([], []), self._message),
            "showSharedRWMemory": wasmtime.Func(self.store, wasmtime.FuncType([], []), lambda: None),
        }
        instance = wasmtime.Instance(self.store, module, [imports[i.name] for i in module.imports])
        exports = instance.exports(self.store)
        self.functions = {e.name: exports[e.name] for e in module.exports if isinstance(exports[e.name], wasmtime.Func)}
        self.memory: wasmtime.Memory = exports["memory"]  # type: ignore[assignment]
        self.n32 = self._call("getFieldNumLen32")
        self.shared = self._call("getSharedRWMemoryStart")

    def _call(self, name: str, *arguments: int) -> int:
        return self.functions[name](self.store, *arguments)  # type: ignore[return-value]

    def _message(self) -> str:
        characters = iter(lambda: self._call("getMessageChar"), 0)
        return "".join(map(chr, characters))

    def _exception(self, code: int) -> None:
        """circom's runtime error: raised through the wasm call that hit it (wasmtime re-raises it)."""
        raise InputsRefused(" ".join([RUNTIME_ERRORS.get(code, f"Runtime error {code}."), *self.errors]))

    def _write(self, value: int) -> None:
        self.memory.write(self.store, value.to_bytes(4 * self.n32, "little"), self.shared)

    def _read_words(self) -> bytes:
        return self.memory.read(self.store, self.shared, self.shared + 4 * self.n32)

    def wtns(self, inputs: dict[str, object]) -> bytes:
        """The witness of `inputs` as the contents of a snarkjs `.wtns` file."""
        self._call("getRawPrime")
        prime_bytes = self._read_words()
        prime = int.from_bytes(prime_bytes, "little")
        self._call("init", 0)
        count = 0
        for name, value in inputs.items():
            digest = _fnv1a64(name)
            msb, lsb = digest >> 32, digest & 0xFFFFFFFF
            values = list(_flat(value))
            size = self._call("getInputSignalSize", msb, lsb)
            if size != len(values):
                raise InputsRefused(f"{name} is not an input signal of the circuit" if size <= 0 else
                                    f"input signal {name} takes {size} values, not {len(values)}")
            for i, element in enumerate(values):
                self._write(element % prime)
                self._call("setInputSignal", msb, lsb, i)  # computes whatever the signal completes
                count += 1
        if count < self._call("getInputSize"):
            raise InputsRefused(f"only {count} of the circuit's {self._call('getInputSize')} inputs were given")
        size = self._call("getWitnessSize")
        wires = []
        for i in range(size):
            self._call("getWitness", i)
            wires.append(self._read_words())
        n8 = 4 * self.n32
        header = b"wtns" + struct.pack("<II", 2, 2) + struct.pack("<IQI", 1, 8 + n8, n8) + prime_bytes
        return header + struct.pack("<IIQ", size, 2, n8 * size) + b"".join(wires)


def calculate(wasm: Path, inputs: dict[str, object], wtns: Path) -> Path:
    """Compute the witness of `inputs` with the circuit's `wasm` into the snarkjs `.wtns` file `wtns`;
    InputsRefused if the circuit refuses them."""
    wtns.write_bytes(_Calculator(wasm).wtns(inputs))
    return wtns
