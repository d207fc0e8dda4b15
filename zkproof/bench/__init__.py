"""zkproof.bench: benchmarks: one digit, batches."""
