// The integer twin of the network (zkproof/model/quantize.py) in BigInt: the same layers from
// models/<model>.quant.json, the same exact arithmetic as the circuit, the same argmax (ties → lowest index).
// A tensor is {data: BigInt[], shape: [C, H, W] or [N]}, row-major like numpy. The depths come from data:
// the stored pixels' (`imageBits`, config.json's, from zkproof/statement.py) and the model's (its `pixel_bits`).

/**
 * Load the integer network for pixels stored at `imageBits` bits (0..2^imageBits - 1); weights are flattened to
 * BigInt arrays once.
 */
export async function loadNetwork(url, imageBits) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load the network ${url}: HTTP ${response.status}`);
  return networkFrom(await response.json(), imageBits, url);
}

/** The integer network of a parsed quant.json (`source` names it in errors), as `loadNetwork` returns it. */
export function networkFrom(doc, imageBits, source = doc.model) {
  if (!Number.isInteger(imageBits) || !Number.isInteger(doc.pixel_bits) || doc.pixel_bits < 1
    || doc.pixel_bits > imageBits) {
    throw new Error(`the network ${source} proves ${doc.pixel_bits}-bit pixels of ${imageBits}-bit images`);
  }
  const unknown = doc.layers.find((layer) => !(layer.op in STEPS));
  if (unknown) throw new Error(`layer ${unknown.name}: op ${unknown.op} is not supported here`);
  const layers = doc.layers.map((layer) => ({
    ...layer,
    weight: layer.weight && layer.weight.flat(Infinity).map(BigInt),
    weightShape: layer.weight && shapeOf(layer.weight),
    bias: layer.bias && layer.bias.flat(Infinity).map(BigInt),
  }));
  return { model: doc.model, inputShape: doc.input_shape, imageBits, pixelBits: doc.pixel_bits, layers };
}

function shapeOf(nested) {
  const shape = [];
  for (let x = nested; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

/** The image as the model's statement covers it: each pixel's top `pixelBits` bits (zkproof/statement.py). */
export const provenPixels = (network, pixels) =>
  Array.from(pixels, (p) => p >> (network.imageBits - network.pixelBits));

/** The proven pixels as canvas grey levels (0..255): what the network sees, as an image. */
export const seenPixels = (network, pixels) => {
  const top = 2 ** network.pixelBits - 1;
  return provenPixels(network, pixels).map((p) => Math.round((p * 255) / top));
};

/** Integer scores (BigInt[]) for the stored pixels (0..255 for 8 bits), row-major, read at the model's depth. */
export function forward(network, pixels) {
  if (pixels.length !== network.inputShape.reduce((a, b) => a * b)) throw new Error("wrong number of pixels");
  let x = { data: provenPixels(network, pixels).map(BigInt), shape: network.inputShape };
  for (const layer of network.layers) x = STEPS[layer.op](layer, x);
  return x.data;
}

/** Index of the highest score; ties go to the lowest index, as in the circuit. */
export function argmax(scores) {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

export function classify(network, pixels) {
  const scores = forward(network, pixels);
  return { digit: argmax(scores), scores };
}

const STEPS = {
  conv(layer, { data, shape: [channels, height, width] }) {
    // Cross-correlation of weight (O, C, K, K) with zero padding (`pad` before, `pad_end` after, on both axes),
    // plus a bias per output channel, or per output value (O, OH, OW): an imported first layer's input map.
    const [outChannels, , k] = layer.weightShape;
    const { stride, pad, pad_end: padEnd = pad } = layer;
    const outH = Math.floor((height + pad + padEnd - k) / stride) + 1;
    const outW = Math.floor((width + pad + padEnd - k) / stride) + 1;
    const out = new Array(outChannels * outH * outW);
    const perValue = layer.bias.length === out.length;
    for (let o = 0; o < outChannels; o++) {
      for (let y = 0; y < outH; y++) {
        for (let x = 0; x < outW; x++) {
          let sum = layer.bias[perValue ? (o * outH + y) * outW + x : o];
          for (let c = 0; c < channels; c++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = y * stride + ky - pad;
              if (iy < 0 || iy >= height) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = x * stride + kx - pad;
                if (ix < 0 || ix >= width) continue;
                sum += data[(c * height + iy) * width + ix] * layer.weight[((o * channels + c) * k + ky) * k + kx];
              }
            }
          }
          out[(o * outH + y) * outW + x] = sum;
        }
      }
    }
    return { data: out, shape: [outChannels, outH, outW] };
  },

  // An average pool of the float network: a k×k sum (its scale is k² times the input's), no padding.
  sumpool: (layer, x) => windows(x, { kernel: layer.kernel, stride: layer.stride }, (a, b) => a + b),
  maxpool: (layer, x) => windows(x, layer, max),
  relumaxpool: (layer, x) => {
    const pooled = windows(x, layer, max);
    return { data: pooled.data.map((v) => max(v, 0n)), shape: pooled.shape };
  },

  dense(layer, { data }) {
    const [outputs, inputs] = layer.weightShape;
    const out = new Array(outputs);
    for (let j = 0; j < outputs; j++) {
      let sum = layer.bias[j];
      for (let i = 0; i < inputs; i++) sum += layer.weight[j * inputs + i] * data[i];
      out[j] = sum;
    }
    return { data: out, shape: [outputs] };
  },

  square: (layer, { data, shape }) => ({ data: data.map((v) => v * v), shape }),
  relu: (layer, { data, shape }) => ({ data: data.map((v) => max(v, 0n)), shape }),
  flatten: (layer, { data }) => ({ data, shape: [data.length] }),
};

const max = (a, b) => (a > b ? a : b);

/**
 * Each channel's k×k windows with stride S folded with `fold`, as zkproof/model/quantize.py's pools: `pad` before and
 * `pad_end` after (default `pad`) on both axes are never read (ONNX's −∞ for a max), and rows and columns past the
 * last whole window are not read either.
 */
function windows({ data, shape: [channels, height, width] }, { kernel: k, stride, pad = 0, pad_end: padEnd = pad },
  fold) {
  const outH = Math.floor((height + pad + padEnd - k) / stride) + 1;
  const outW = Math.floor((width + pad + padEnd - k) / stride) + 1;
  const out = [];
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        let folded;
        for (let dy = 0; dy < k; dy++) {
          const iy = y * stride + dy - pad;
          if (iy < 0 || iy >= height) continue;
          for (let dx = 0; dx < k; dx++) {
            const ix = x * stride + dx - pad;
            if (ix < 0 || ix >= width) continue;
            const v = data[(c * height + iy) * width + ix];
            folded = folded === undefined ? v : fold(folded, v);
          }
        }
        if (folded === undefined) throw new Error("a pooling window reads nothing but padding");
        out.push(folded);
      }
    }
  }
  return { data: out, shape: [channels, outH, outW] };
}

/**
 * Softmax of the float network's logits (integer score / final scale), summed left to right: the bars, and
 * the margin. zkproof/model/confidence.py computes the same numbers the same way.
 */
export function probabilities(network, scores) {
  const scale = network.layers[network.layers.length - 1].scale;
  const logits = scores.map((s) => Number(s) / scale);
  const top = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** How sure the network is: the top digit's probability minus the runner-up's (0 for a tie, near 1 when clear). */
export function margin(network, scores) {
  const [first, second] = probabilities(network, scores).sort((a, b) => b - a);
  return first - second;
}
