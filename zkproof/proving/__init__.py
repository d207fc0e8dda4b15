"""zkproof.proving: the proof stage: circuit inputs, witnesses, Groth16 proofs and their codec, batch proofs."""
