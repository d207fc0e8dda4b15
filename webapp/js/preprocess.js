// A drawing → an MNIST-style digit of side × side pixels, the same idea as zkproof/model/preprocess.py (its sizes
// come from config.json: imageSide, inkBox, inkThreshold): white ink on black, cropped to the ink, fitted into an
// inkBox² box (area-averaging resize), scaled so the brightest pixel is 255, centred, then shifted so its centre
// of mass is the image centre.

/** Ink (0..255 per pixel, Float64Array) of dark strokes on a light canvas, from its ImageData. */
export function inkOf(imageData) {
  const { data, width, height } = imageData;
  const ink = new Float64Array(width * height);
  for (let i = 0; i < ink.length; i++) {
    const gray = (data[4 * i] + data[4 * i + 1] + data[4 * i + 2]) / 3;
    ink[i] = 255 - gray;
  }
  return ink;
}

/** side × side ints 0..255 (row-major), or null when there is no ink. */
export function toMnist(ink, width, height, { imageSide: side, inkBox, inkThreshold }) {
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > inkThreshold) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return null;
  const cropW = right - left + 1, cropH = bottom - top + 1;
  const scale = inkBox / Math.max(cropW, cropH);
  const outW = Math.max(1, Math.round(cropW * scale)), outH = Math.max(1, Math.round(cropH * scale));
  const small = resize(ink, width, left, top, cropW, cropH, outW, outH);

  const peak = Math.max(1, ...small);
  const canvas = new Float64Array(side * side);
  const offY = Math.floor((side - outH) / 2), offX = Math.floor((side - outW) / 2);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      canvas[(offY + y) * side + offX + x] = Math.min(255, (small[y * outW + x] * 255) / peak);
    }
  }
  return Array.from(centreByMass(canvas, side), (v) => Math.min(255, Math.max(0, Math.round(v))));
}

/** Area-averaging resize of the crop (left, top, w, h) of `src` (row stride `stride`) to outW × outH. */
function resize(src, stride, left, top, w, h, outW, outH) {
  const cols = taps(w, outW), rows = taps(h, outH);
  const out = new Float64Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (const [sy, wy] of rows[y]) {
        for (const [sx, wx] of cols[x]) sum += src[(top + sy) * stride + left + sx] * wy * wx;
      }
      out[y * outW + x] = sum;
    }
  }
  return out;
}

/** For each of dstLen output cells, the source cells it covers and their weights (summing to 1). */
function taps(srcLen, dstLen) {
  const step = srcLen / dstLen;
  return Array.from({ length: dstLen }, (_, d) => {
    const start = d * step, end = start + step, cell = [];
    for (let s = Math.floor(start); s < Math.min(Math.ceil(end), srcLen); s++) {
      const overlap = Math.min(end, s + 1) - Math.max(start, s);
      if (overlap > 0) cell.push([s, overlap / step]);
    }
    return cell;
  });
}

function centreByMass(canvas, side) {
  let total = 0, sumY = 0, sumX = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = canvas[y * side + x];
      total += v; sumY += y * v; sumX += x * v;
    }
  }
  const shiftY = Math.round((side - 1) / 2 - sumY / total), shiftX = Math.round((side - 1) / 2 - sumX / total);
  const shifted = new Float64Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sy = y - shiftY, sx = x - shiftX;
      if (sy >= 0 && sy < side && sx >= 0 && sx < side) shifted[y * side + x] = canvas[sy * side + sx];
    }
  }
  return shifted;
}
