"""zkproof.circuit: the circuit stage: generation from the integer twin, compilation, native witness generators."""
