// Where the pixels come from: the drawing pad, or a picked held-out sample, preprocessed as in MNIST.
import { Pad, pixelCanvas } from "./pad.js";
import { inkOf, toMnist } from "./preprocess.js";
import { $, state } from "./ui.js";

/** Set up the pad, Clear and the sample picker; `onChange()` runs whenever the input changes. */
export function setUpInputs(onChange) {
  state.pad = new Pad($("pad"), () => {
    state.sample = null;
    onChange();
  });
  $("clear").addEventListener("click", () => {
    state.sample = null;
    state.pad.clear();
    onChange();
  });
  const box = $("samples");
  for (const sample of state.samples) {
    const button = document.createElement("button");
    const name = `held-out digit #${sample.index}, labelled ${sample.label}`;
    button.type = "button";
    button.className = "sample";
    button.dataset.index = sample.index;
    button.setAttribute("aria-label", name);
    button.title = name;
    button.append(pixelCanvas(sample.pixels, true));
    button.addEventListener("click", () => {
      state.sample = sample;
      state.pad.showImage(sample.pixels);
      onChange();
    });
    box.append(button);
  }
}

/** The input's imageSide² pixels (a sample's own, or the drawing's after preprocessing), or null for an empty pad. */
export function currentPixels() {
  const { pad, sample } = state;
  return sample ? sample.pixels.slice() : toMnist(inkOf(pad.imageData()), pad.canvas.width, pad.canvas.height,
    state.config);
}
