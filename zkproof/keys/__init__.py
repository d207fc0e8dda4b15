"""zkproof.keys: the key stage: powers of tau, phase-2 ceremonies, development keys, a model's artifacts, trust."""
