"""What proving a circuit of so many constraints takes on this machine, extrapolated from measured groth16py runs,
and whether the machine can do it at all.

Calibration (linear in the constraints, through measured points): groth16py proves the batch circuit of 16
digits (121,807 constraints) in 2.78 s at a peak of 252 MB and one digit (7,537) at 81 MB
(`python -m zkproof bench-batch --sizes 1,16`); snarkjs zkeys of explicit wiring take about 531 bytes per
constraint (`mnist_cnn_v2`: 7,532 constraints, 4.0 MB; `python -m zkproof bench`).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from zkproof.keys.ceremony import domain_power
from zkproof.statement import PUBLIC_SIGNALS

PROVE_S_PER_CONSTRAINT = 2.78 / 121_807
PEAK_MB_BASE = 81 - 7_537 * (252 - 81) / (121_807 - 7_537)
PEAK_MB_PER_CONSTRAINT = (252 - 81) / (121_807 - 7_537)
ZKEY_BYTES_PER_CONSTRAINT = 4_030_989 / 7_532
SETUP_S_PER_CONSTRAINT = 220 / 121_807
"""The development key (groth16py's setup, written as a zkey): 220 s at N = 16 (`bench-batch`)."""
MAX_DOMAIN_POWER = 22
"""Beyond 2^22 a development key's setup and its group IFFT take hours on two cores."""
MEMORY_SHARE = 0.8
"""The share of the available memory a proof may take."""


@dataclass(frozen=True)
class Forecast:
    constraints: int
    domain_power: int
    zkey_mb: float
    prove_s: float
    peak_mb: float
    setup_s: float
    available_mb: float

    @property
    def provable(self) -> bool:
        """Whether this machine can set up and prove the circuit."""
        return self.domain_power <= MAX_DOMAIN_POWER and self.peak_mb <= MEMORY_SHARE * self.available_mb

    def as_dict(self) -> dict:
        return asdict(self) | {"provable": self.provable}

    def lines(self) -> list[str]:
        return [f"constraints: {self.constraints:,} (domain 2^{self.domain_power})",
                f"development key: about {self.zkey_mb:,.0f} MB, set up in about {self.setup_s / 60:.0f} min",
                f"prove (groth16py): about {self.prove_s:.1f} s, peak memory about {self.peak_mb:,.0f} MB "
                f"(this machine has {self.available_mb:,.0f} MB available)"]


def available_mb() -> float:
    """Memory available to a new process, from /proc/meminfo (MemAvailable), in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def forecast(constraints: int) -> Forecast:
    return Forecast(constraints=constraints, domain_power=domain_power(constraints, len(PUBLIC_SIGNALS)),
                    zkey_mb=round(constraints * ZKEY_BYTES_PER_CONSTRAINT / 1e6, 1),
                    prove_s=round(constraints * PROVE_S_PER_CONSTRAINT, 2),
                    peak_mb=round(PEAK_MB_BASE + constraints * PEAK_MB_PER_CONSTRAINT),
                    setup_s=round(constraints * SETUP_S_PER_CONSTRAINT), available_mb=round(available_mb()))
