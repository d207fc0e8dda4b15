"""zkproof.relay: the relayer stage: proofs checked and queued for others, recorded in batches by `submitMany` from
the relayer's account (it pays the gas, the records credit each proof's submitter), behind a loopback HTTP API."""
