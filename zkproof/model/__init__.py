"""zkproof.model: data, training, ONNX export and import, the integer twin, preprocessing, evaluation."""
