"""zkproof.chain: the chain stage: deployment records, one client per contract, the scripts' console, the web config."""
