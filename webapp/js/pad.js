// The drawing pad: strokes of about MNIST's width drawn with pointer events (mouse, pen or touch), a held-out
// digit drawn in at full size, and a lock that refuses new strokes while the page is proving or submitting.

const STROKE = 24; // px on the 280 px pad: about MNIST's stroke once the digit is fitted to 20×20

/** A square image (side² pixels, white ink on black) as a side × side canvas; `invert` gives dark ink on white. */
export function pixelCanvas(pixels, invert = false) {
  const canvas = document.createElement("canvas");
  const side = Math.sqrt(pixels.length);
  canvas.width = canvas.height = side;
  const image = canvas.getContext("2d").createImageData(side, side);
  pixels.forEach((p, i) => {
    const v = invert ? 255 - p : p;
    image.data.set([v, v, v, 255], 4 * i);
  });
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

export class Pad {
  /** `onDrawn()` runs at the end of each stroke. */
  constructor(canvas, onDrawn) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.last = null; // the previous point of the stroke in progress
    this.locked = false;
    this.clear();
    canvas.addEventListener("pointerdown", (event) => this.start(event));
    canvas.addEventListener("pointermove", (event) => this.extend(event));
    const end = () => {
      if (!this.last) return;
      this.last = null;
      onDrawn();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** True while a stroke is being drawn: the pixels are not final yet. */
  get drawing() {
    return this.last !== null;
  }

  /** Refuse (true) or accept (false) new strokes. */
  lock(locked) {
    this.locked = locked;
    this.canvas.classList.toggle("locked", locked);
  }

  clear() {
    this.ctx.fillStyle = "#fff";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Draw a square image (white ink on black) over the whole pad, as dark ink on white. */
  showImage(pixels) {
    this.clear();
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(pixelCanvas(pixels, true), 0, 0, this.canvas.width, this.canvas.height);
  }

  imageData() {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (this.canvas.width / box.width),
      (event.clientY - box.top) * (this.canvas.height / box.height)];
  }

  start(event) {
    if (this.locked) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.ctx.beginPath();
    this.ctx.arc(this.last[0], this.last[1], STROKE / 2, 0, 2 * Math.PI);
    this.ctx.fillStyle = "#000";
    this.ctx.fill();
  }

  extend(event) {
    if (!this.last) return;
    const point = this.point(event);
    this.ctx.lineCap = this.ctx.lineJoin = "round";
    this.ctx.lineWidth = STROKE;
    this.ctx.strokeStyle = "#000";
    this.ctx.beginPath();
    this.ctx.moveTo(...this.last);
    this.ctx.lineTo(...point);
    this.ctx.stroke();
    this.last = point;
  }
}
