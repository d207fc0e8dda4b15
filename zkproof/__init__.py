"""zkmnist: prove on-chain that a private handwritten digit is classified as *d* by a specific CNN."""
