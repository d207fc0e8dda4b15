"""What a model's ONNX file says of itself in its metadata (`onnx.helper.set_model_props`): the pixel depth it was
trained for, and the circuit's wiring. The float model, the integer twin and the circuit all read them from the one
file."""

PIXEL_BITS_KEY = "pixel_bits"
WIRING_KEY = "circuit_wiring"
INLINE = "inline"  # linear layers folded into the products that use them (circom --O2); models without the key
EXPLICIT = "explicit"  # every linear output its own signal (circom --O1): a few more constraints, a far smaller key
WIRINGS = (INLINE, EXPLICIT)
