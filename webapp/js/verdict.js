// What the network sees and says: the preview of its input, the digit, the probability bars, the margin and its warning.
import { classify, margin, probabilities, seenPixels } from "./net.js";
import { pixelCanvas } from "./pad.js";
import { $, points, show, state } from "./ui.js";

/** Classify state.pixels and show it (or the empty state); sets state.digit and state.margin. */
export function showVerdict() {
  const preview = $("preview").getContext("2d");
  preview.fillStyle = "#000";
  preview.fillRect(0, 0, preview.canvas.width, preview.canvas.height);
  $("bars").replaceChildren();
  if (!state.pixels) {
    state.digit = state.margin = null;
    $("digit").textContent = "–";
    showMargin();
    return;
  }
  preview.drawImage(pixelCanvas(seenPixels(state.network, state.pixels)), 0, 0);
  const { digit, scores } = classify(state.network, state.pixels);
  const probs = probabilities(state.network, scores);
  state.digit = digit;
  state.margin = margin(state.network, scores);
  $("digit").textContent = digit;
  $("bars").append(...probs.map((p, d) => bar(d, p, d === digit)));
  showMargin(probs);
}

/** One row of the bars: the digit, a bar as wide as its probability, the percentage. */
function bar(digit, probability, top) {
  const percent = `${(100 * probability).toFixed(1)}%`;
  const row = document.createElement("div");
  row.className = top ? "bar top" : "bar";
  const fill = document.createElement("span");
  fill.className = "fill";
  fill.style.width = percent; // CSSOM, not a style attribute: the page's CSP allows no inline styles
  const label = document.createElement("span");
  label.textContent = digit;
  const value = document.createElement("span");
  value.className = "pct";
  value.textContent = percent;
  row.append(label, fill, value);
  return row;
}

/** The most probable digit other than `digit`. */
function runnerUp(probs, digit) {
  let best = digit === 0 ? 1 : 0;
  probs.forEach((p, d) => {
    if (d !== digit && p > probs[best]) best = d;
  });
  return best;
}

/** The margin under the digit, and the warning when it is as low as the least reliable held-out digits'. */
function showMargin(probs) {
  const warning = $("low-margin");
  if (state.margin === null) {
    $("margin").textContent = "";
    show(warning, "", "");
    return;
  }
  const second = runnerUp(probs, state.digit);
  $("margin").textContent = `margin ${points(state.margin)} over ${second} (top minus runner-up)`;
  const { threshold, minAccuracy } = state.config.lowMargin;
  show(warning, state.margin <= threshold ? "warn" : "", state.margin <= threshold
    ? `Low confidence: the network barely prefers ${state.digit} to ${second} (a margin of ` +
      `${points(state.margin)}). Held-out digits with a margin of ${points(threshold)} or less are read right ` +
      `less than ${100 * minAccuracy}% of the time, so this may be no clear digit. A proof would still be valid: ` +
      `it says the network reads a ${state.digit}, not that you drew one.`
    : "");
}
