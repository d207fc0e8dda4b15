"""The web demo end to end in a real browser (Debian's Chromium, driven by Playwright), on an anvil.

`make test-web` runs `ape test tests/e2e/test_web.py --network ethereum:local:foundry`: the registry is deployed by
the shared fixtures, the page is served by tools/web_server.py with a config from zkproof/chain/web_config.py
(carrying the registry's compiled ABI, from which the page encodes calls and decodes reverts), and everything
the page claims is checked from Python (the digit against `quantize.predict`, the margin against
`zkproof.model.confidence`, the record with `record_of`). Every page is also checked for Content-Security-Policy
violations in its console and its workers'. Elsewhere (e.g. `ape test` on Ape's in-process chain, which the browser
cannot reach) the module is skipped; with ZKMNIST_WEB_TEST=1 (set by `make test-web`) a missing browser or
Playwright fails instead. With `-s`, the browser's proof time is printed; it is also written next to the
screenshots in build/test-web/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import ape
import numpy as np
import pytest
from eth_abi import encode
from eth_utils import keccak

from zkproof.bench.local_relay import Relayer
from zkproof.chain import web_config
from zkproof.model import confidence, quantize
from zkproof.model.data import load_split
from zkproof.paths import BUILD, ROOT
from zkproof.proving import prover
from zkproof.proving.proof import Proof
from zkproof.statement import check_salt

REQUIRED = os.environ.get("ZKMNIST_WEB_TEST") == "1"
CHROMIUM = Path(os.environ.get("ZKMNIST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
SCREENSHOTS = BUILD / "test-web"
PROOF_TIMEOUT_MS = 180_000
STATUS_TIMEOUT_MS = 30_000
TWIN_SAMPLES = 500  # held-out digits classified by the page's BigInt twin and by Python (about 4 s)
PROOF_STAGES = ["download", "witness", "proof", "check"]
TICK_S = int(re.search(r"TICK_MS = (\d+);", (ROOT / "webapp" / "js" / "proving.js").read_text())[1]) / 1000
LONGEST_FRAME_GAP_MS = 250  # the main thread while proving in a worker (it stalled 0.6–2 s when proving itself)
PHONE_WIDTHS = (390, 360)

Stroke = list[tuple[float, float]]  # points as fractions of the pad's width and height
SEVEN: list[Stroke] = [[(0.25, 0.2), (0.72, 0.2)], [(0.72, 0.2), (0.42, 0.85)]]
ONE: list[Stroke] = [[(0.5, 0.15), (0.5, 0.85)]]
SCRIBBLE: list[Stroke] = [[(0.2, 0.2), (0.8, 0.8)], [(0.8, 0.2), (0.2, 0.8)]]  # a cross: no digit


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def rpc_url() -> str:
    provider = ape.chain.provider
    uri = getattr(provider, "http_uri", None)
    if provider.name != "foundry" or not uri:
        _unavailable("the browser test needs an anvil: run `make test-web`")
    return uri


@pytest.fixture(scope="module")
def relayer(rpc_url, client, deployments, tmp_path_factory):
    """`ape run relay` for the test registry (anvil's TEST::9 pays), sending what waits after a second."""
    folder = tmp_path_factory.mktemp("relayer")
    relayer = Relayer(rpc_url, deployments, str(folder / "relay.sqlite"), folder / "relay.log", "--wait", "1")
    yield relayer.start()
    relayer.stop()


@pytest.fixture(scope="module")
def site(rpc_url, client, relayer, tmp_path_factory):
    """The page's data for the test registry and its relayer, served on a free port; yields the URL."""
    data = web_config.write(tmp_path_factory.mktemp("web"), client, rpc_url, relayer_url=relayer.url)
    command = [sys.executable, str(ROOT / "tools" / "web_server.py"), "--data", str(data), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"the web server did not start (exit code {server.poll()})"
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium with a fresh profile."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: run `make setup-web`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: run `make setup-web`")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1200, "height": 1000})
        yield context
        context.close()


@pytest.fixture
def new_page(browser):
    """`new_page(width=1200, height=1000)`: a tab, watched for uncaught errors and CSP violations (its own and
    its workers'), which fail the test at the end; nothing loaded yet."""
    pages, errors, violations = [], [], []

    def watch_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def _new(width: int = 1200, height: int = 1000):
        page = browser.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", watch_console)
        page.on("worker", lambda worker: worker.on("console", watch_console))
        pages.append(page)
        return page

    yield _new
    for page in pages:
        page.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def open_page(site, new_page):
    """`open_page(query="", width=1200)` loads the page and waits until it has tried to connect to the chain."""

    def _open(query: str = "", width: int = 1200):
        page = new_page(width)
        page.goto(site + query)
        page.wait_for_selector("body[data-ready]")
        settled(page, "#chain-status")
        return page

    return _open


def settled(page, selector: str, timeout: int = STATUS_TIMEOUT_MS) -> str:
    """Wait until a status line is done (ok or error, not busy); returns its text. (A CSS selector: the page's
    CSP forbids the eval behind Playwright's wait_for_function.)"""
    page.wait_for_selector(f"{selector}.ok, {selector}.error", timeout=timeout)
    return page.inner_text(selector)


def draw(page, strokes: list[Stroke]) -> None:
    """Mouse strokes on the pad."""
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        (x, y), *rest = stroke
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()


def page_pixels(page) -> np.ndarray:
    return np.array(page.evaluate("zkmnist.state.pixels"), dtype=np.uint8).reshape(28, 28)


def pad_image(page) -> str:
    """What the pad's canvas shows, as a data: URL."""
    return page.evaluate("document.getElementById('pad').toDataURL()")


twin = cache(quantize.load)  # the committed integer network, read once


def python_digit(pixels: np.ndarray) -> int:
    return int(quantize.predict(twin(), pixels[None])[0])


def python_margin(pixels: np.ndarray) -> float:
    return confidence.margin(twin(), quantize.forward(twin(), pixels[None])[0])


def sample_button(page, label: int):
    """The first sample button of a held-out digit labelled `label`."""
    labels = load_split().held_out.labels
    indices = [int(i) for i in page.locator(".sample").evaluate_all("buttons => buttons.map(b => b.dataset.index)")]
    return page.locator(f".sample[data-index='{next(i for i in indices if labels[i] == label)}']")


def prove(page, timeout: int = PROOF_TIMEOUT_MS) -> str:
    page.click("#prove")
    return settled(page, "#prove-status", timeout)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


# Low-contrast text (WCAG 1.4.3: 4.5:1, large text 3:1) and control boundaries (1.4.11: 3:1 against what is
# around them), from computed styles; backgrounds are composited from the root down; disabled controls are exempt.
CONTRAST_PROBLEMS = """() => {
  const rgba = (css) => { const v = css.match(/[\\d.]+/g).map(Number); return [v[0], v[1], v[2], v[3] ?? 1]; };
  const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const background = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255]);
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => (v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (high + 0.05) / (low + 0.05);
  };
  const name = (e) => e.id ? `#${e.id}` : `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}"`;
  const problems = [];
  for (const element of document.querySelectorAll("body *")) {
    if (!element.getClientRects().length || element.closest(":disabled")) continue;
    const style = getComputedStyle(element);
    const back = background(element);
    if ([...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) {
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const found = ratio(over(rgba(style.color), back), back);
      if (found < (large ? 3 : 4.5)) problems.push(`text of ${name(element)}: ${found.toFixed(2)}:1`);
    }
    if (element.matches("button, select")) {
      const around = background(element.parentElement);
      const edge = over(rgba(style.borderTopColor), around);
      const found = Math.max(ratio(edge, around), ratio(back, around));
      if (found < 3) problems.push(`boundary of ${name(element)}: ${found.toFixed(2)}:1`);
    }
  }
  return problems;
}"""


def contrast_problems(page) -> list[str]:
    return page.evaluate(CONTRAST_PROBLEMS)


# Records, while a proof runs: the live status texts, the stages and percentages of the progress bar, the
# elapsed-time ticker, and the longest gap between animation frames of the main thread.
WATCH_PROVING = """() => {
  const seen = window.proving = { statuses: [], stages: [], percents: [], ticks: [], longestFrameGap: 0 };
  const byId = (id) => document.getElementById(id);
  const watch = (id, onChange, attributes = false) => byId(id) && new MutationObserver(onChange)
    .observe(byId(id), { childList: true, characterData: true, subtree: true, attributes });
  watch("prove-status", () => seen.statuses.push(byId("prove-status").textContent));
  watch("prove-elapsed", () => seen.ticks.push(byId("prove-elapsed").textContent));
  watch("prove-progress", () => {
    const stage = byId("prove-progress").dataset.stage;
    if (stage && seen.stages.at(-1) !== stage) seen.stages.push(stage);
    seen.percents.push(byId("prove-bar").value);
  }, true);
  let last = performance.now();
  const frame = (now) => {
    seen.longestFrameGap = Math.max(seen.longestFrameGap, now - last);
    last = now;
    if (!byId("prove-status").className.match(/\\b(ok|error)\\b/)) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""


def report_proof_time(page, longest_frame_gap_ms: float) -> None:
    """The browser's proof time, printed (visible with -s) and written to build/test-web/proof-time.txt."""
    total, witness, groth16 = page.evaluate(
        "[zkmnist.state.proof.seconds, zkmnist.state.proof.times.witness, zkmnist.state.proof.times.proof]")
    line = (f"browser proof (headless Chromium, prover in a Web Worker): {total:.1f} s in all, "
            f"witness {witness:.2f} s, Groth16 {groth16:.2f} s; longest main-thread frame gap "
            f"{longest_frame_gap_ms:.0f} ms")
    print(f"\n{line}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "proof-time.txt").write_text(line + "\n")


def hold_rpc(page, rpc_url: str, method: str) -> list:
    """Hold the page's JSON-RPC requests for `method` (the others go through); returns the held routes."""
    held = []

    def route(request_route) -> None:
        if f'"method":"{method}"' in (request_route.request.post_data or ""):
            held.append(request_route)
        else:
            request_route.continue_()

    page.route(lambda url: url.rstrip("/") == rpc_url.rstrip("/"), route)
    return held


def wait_until(page, condition: Callable[[], bool], what: str, timeout_ms: int = STATUS_TIMEOUT_MS) -> None:
    """Poll `condition` (a Python check) while the page runs; fail with `what` after the timeout."""
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    pytest.fail(f"timed out waiting for {what}")


def try_to_change_the_input(page) -> None:
    """What a user does to break a running operation: pick another sample, clear the pad, draw a 1."""
    sample_button(page, 1).click(force=True)  # force: a real click even on a disabled button
    page.click("#clear", force=True)
    draw(page, ONE)


# ------------------------------------------------------------------ tests


def test_samples_and_the_twin_agree_with_python(open_page):
    page = open_page()
    held_out = load_split().held_out
    # The picker: a held-out digit's own pixels, and Python's digit for them.
    sample = page.locator("#samples .sample").nth(13)
    sample.click()
    index = int(sample.get_attribute("data-index"))
    assert (page_pixels(page) == held_out.images[index]).all()
    assert int(page.inner_text("#digit")) == python_digit(held_out.images[index])
    # The BigInt twin on many held-out digits, image by image, against the Python twin.
    images = held_out.images[:TWIN_SAMPLES]
    in_page = page.evaluate("images => images.map(zkmnist.classify)", images.reshape(len(images), -1).tolist())
    assert in_page == quantize.predict(twin(), images).tolist()


def test_empty_canvas_and_unreachable_chain(open_page):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    page = open_page(f"?rpc={dead}")
    assert "Cannot reach the chain" in page.inner_text("#chain-status")
    assert page.locator("#submit").is_disabled()

    page.click("#prove")
    assert "canvas is empty" in settled(page, "#prove-status")
    assert page.locator("#proof-result").is_hidden()

    draw(page, SEVEN)  # classification needs no chain, but a proof needs an account to be bound to
    assert page.inner_text("#digit") == str(python_digit(page_pixels(page)))
    page.click("#prove")
    assert "No account" in settled(page, "#prove-status")
    assert page.locator("#proof-result").is_hidden()
    assert contrast_problems(page) == []  # with the error boxes shown

    page.click("#clear")
    assert page.evaluate("zkmnist.state.pixels") is None
    assert page.inner_text("#digit") == "–"


def test_draw_prove_and_record_on_chain(open_page, client, accounts):
    # Not the session fixtures alice and bob: a session fixture first requested here makes Ape rebuild the
    # module's fixtures (isolation), and with them the browser.
    page = open_page()
    alice, bob = accounts[1], accounts[2]  # #1 is the page's default account
    assert page.locator("#account").input_value() == str(alice.address).lower()

    draw(page, SEVEN)
    pixels = page_pixels(page)
    digit = python_digit(pixels)
    assert int(page.inner_text("#digit")) == digit
    assert digit == 7, "a clearly drawn 7 should be read as a 7 (preprocessing)"

    # Proving in a worker: the main thread keeps drawing frames, the ticker keeps ticking, the bar goes through
    # every stage to 100%, and the live status line changes with the stage only (a screen reader is not
    # flooded with a time every 200 ms).
    page.evaluate(WATCH_PROVING)
    assert "Proof made" in prove(page)
    seen = page.evaluate("window.proving")
    report_proof_time(page, seen["longestFrameGap"])
    assert seen["longestFrameGap"] < LONGEST_FRAME_GAP_MS, f"the main thread stalled {seen['longestFrameGap']} ms"
    # The counter ticks every TICK_MS (proving.js) while proving: one value per tick, whatever the proof's length.
    ticks_due = max(2, int(page.evaluate("zkmnist.state.proof.seconds") / TICK_S) - 1)
    assert len(set(seen["ticks"])) >= ticks_due, f"the elapsed time stopped ticking: {seen['ticks']}"
    assert seen["stages"] == PROOF_STAGES
    assert seen["percents"] == sorted(seen["percents"]) and seen["percents"][-1] == 100
    assert len(seen["statuses"]) == len(set(seen["statuses"])) == len(PROOF_STAGES) + 1, seen["statuses"]
    assert not any(re.search(r"\d s\b", status) for status in seen["statuses"][:-1]), seen["statuses"]
    commitment = int(page.evaluate("zkmnist.state.proof.commitment.toString()"))
    assert page.inner_text("#proof-digit") == str(digit)
    assert page.locator("#proof-details").evaluate("details => details.open"), "open on a wide screen"

    # From the wrong account: the registry's InvalidProof, decoded, and nothing recorded.
    page.select_option("#account", str(bob.address).lower())
    page.click("#submit")
    assert "InvalidProof" in settled(page, "#submit-status")
    assert client.record_of(commitment) is None

    # From the proof's account: recorded, and the page shows what the chain says.
    page.select_option("#account", str(alice.address).lower())
    page.click("#submit")
    assert "Recorded on chain" in settled(page, "#submit-status")
    record = client.record_of(commitment)
    assert record is not None
    assert (record.digit, record.submitter, record.model_id) == (digit, str(alice.address), 1)
    tx_hash = page.inner_text("#record-tx").split()[0]
    receipt = ape.chain.provider.get_receipt(tx_hash)
    assert page.inner_text("#record-gas").replace(",", "") == str(receipt.gas_used)
    assert contrast_problems(page) == []  # with the ok statuses shown

    # Recorded: Submit is off until a new proof. Forced back on, the replay is still the registry's to refuse.
    assert page.locator("#submit").is_disabled()
    page.evaluate("document.getElementById('submit').disabled = false")
    page.click("#submit")
    assert f"AlreadyRecorded(commitment=0x{commitment:064x})" in settled(page, "#submit-status")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page.png"), full_page=True)


def test_the_input_is_locked_while_proving_and_submitting(open_page, client, rpc_url):
    page = open_page()
    sample_button(page, 3).click()
    pixels = page_pixels(page)
    assert python_digit(pixels) == 3
    pad = pad_image(page)

    # Mid-proof: the pad, the samples and Clear do nothing, and the proof that comes is the 3's.
    page.click("#prove")
    try_to_change_the_input(page)
    assert page.evaluate("zkmnist.state.busy"), "the proof ended before the test could act: inconclusive"
    assert "Proof made" in settled(page, "#prove-status", PROOF_TIMEOUT_MS)
    assert page.inner_text("#digit") == page.inner_text("#proof-digit") == "3"
    assert (page_pixels(page) == pixels).all() and pad_image(page) == pad

    # Mid-submission (the transaction held on its way to the node): same, and the status line stays.
    held = hold_rpc(page, rpc_url, "eth_sendTransaction")
    page.click("#submit")
    wait_until(page, lambda: bool(held), "the page to send the transaction")
    status = page.inner_text("#submit-status")
    try_to_change_the_input(page)
    assert page.inner_text("#submit-status") == status and "sending" in status
    held[0].continue_()
    assert "Recorded on chain" in settled(page, "#submit-status")
    commitment = int(page.evaluate("zkmnist.state.proof.commitment.toString()"))
    assert client.record_of(commitment).digit == 3
    assert (page_pixels(page) == pixels).all() and pad_image(page) == pad
    assert page.inner_text("#digit") == "3"


def test_record_without_gas_through_the_relayer(open_page, client, accounts, relayer):
    page = open_page()
    alice = accounts[1]  # the page's default account: the proof is bound to it, the relayer pays
    sample_button(page, 4).click()
    assert "Proof made" in prove(page)
    commitment = int(page.evaluate("zkmnist.state.proof.commitment.toString()"))
    balance = alice.balance

    # Mid-way: the relayer's status is shown as it changes, and the input stays locked.
    page.click("#relay-submit")
    wait_until(page, lambda: "relayer" in page.inner_text("#submit-status"), "the relayer's status")
    assert "Recorded by the relayer" in settled(page, "#submit-status")
    record = client.record_of(commitment)
    assert (record.digit, record.submitter) == (4, str(alice.address))
    assert str(alice.address).lower() in page.inner_text("#submit-status").lower()
    assert page.inner_text("#record-gas") == "paid by the relayer"
    assert alice.balance == balance, "the proof's account paid nothing"

    # Acting twice: both buttons are off; forced back on, the relayer refuses it at the door with its reason.
    assert page.locator("#relay-submit").is_disabled() and page.locator("#submit").is_disabled()
    page.evaluate("document.getElementById('relay-submit').disabled = false")
    page.click("#relay-submit")
    refused = settled(page, "#submit-status")
    assert "refused" in refused and "recorded" in refused

    # A relayer that does not answer is named as such, and the proof stays to be sent another way.
    sample_button(page, 7).click()
    assert "Proof made" in prove(page)
    page.route(f"{relayer.url}/**", lambda request_route: request_route.abort())
    page.click("#relay-submit")
    assert "Cannot reach the relayer" in settled(page, "#submit-status")
    assert not page.locator("#submit").is_disabled()


def test_phone_layout(open_page):
    page = open_page(width=PHONE_WIDTHS[0])
    for width in PHONE_WIDTHS:  # connected: the account list is filled with full addresses
        page.set_viewport_size({"width": width, "height": 844})
        assert horizontal_overflow(page) <= 0, f"the page scrolls sideways at {width} px"
    sample_button(page, 5).click()
    assert "Proof made" in prove(page)
    assert not page.locator("#proof-details").evaluate("details => details.open"), "collapsed on a narrow screen"
    for width in reversed(PHONE_WIDTHS):  # with the proof shown
        page.set_viewport_size({"width": width, "height": 844})
        assert horizontal_overflow(page) <= 0, f"the page scrolls sideways at {width} px with a proof shown"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{PHONE_WIDTHS[0]}.png"), full_page=True)


def test_a_scribble_gets_a_low_margin_warning_and_a_clear_digit_none(open_page):
    page = open_page()
    threshold = page.evaluate("zkmnist.state.config.lowMargin.threshold")
    assert threshold == confidence.low_margin_threshold()

    draw(page, SCRIBBLE)
    pixels = page_pixels(page)
    assert page.evaluate("zkmnist.state.margin") == pytest.approx(python_margin(pixels), abs=1e-12)
    assert python_margin(pixels) <= threshold
    assert "Low confidence" in page.inner_text("#low-margin")
    assert "margin" in page.inner_text("#margin")
    assert contrast_problems(page) == []  # with the warning shown

    page.click("#clear")
    draw(page, SEVEN)
    assert python_margin(page_pixels(page)) > threshold
    assert page.evaluate("zkmnist.state.margin") == pytest.approx(python_margin(page_pixels(page)), abs=1e-12)
    assert page.locator("#low-margin").is_hidden()


def test_controls_are_named_and_the_fatal_error_is_an_alert(open_page, new_page, site):
    page = open_page()
    samples = page.locator(".sample")
    assert samples.count() == 20
    for i in range(samples.count()):
        name = samples.nth(i).get_attribute("aria-label")
        assert re.fullmatch(r"held-out digit #\d+, labelled \d", name or ""), name
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    assert page.get_by_role("progressbar", include_hidden=True).count() == 1
    assert contrast_problems(page) == []

    broken = new_page()
    broken.route("**/data/config.json", lambda route: route.fulfill(status=404, body="gone"))
    broken.goto(site)
    assert "cannot start" in broken.get_by_role("alert").inner_text()


# The page's registry codec (webapp/js/registry.js, built from config.json's ABI), run in the page on values given
# by Python: call data, recordOf's return value, and every error of the ABI, each as a string for the trip back.
PAGE_CODEC = """async ({ submit, record, errors }) => {
  const { Registry } = await import("/js/registry.js");
  const registry = new Registry(zkmnist.state.config.abi);
  const asText = (value) => (typeof value === "object" ? Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, String(v)])) : String(value));
  return {
    submit: registry.encode("submit",
      { ...submit, commitment: BigInt(submit.commitment), proof: submit.proof.map(BigInt) }),
    recordOf: registry.encode("recordOf", { commitment: BigInt(submit.commitment) }),
    record: asText(registry.decode("recordOf", record)),
    errors: errors.map((data) => { const { name, args, text } = registry.decodeRevert(data);
      return { name, args: asText(args), text }; }),
  };
}"""


def test_calls_and_reverts_are_coded_from_the_compiled_abi(open_page, client, accounts):
    """The page encodes `submit` and `recordOf` as Ape does from the same ABI, reads a record, and names every custom
    error of the ABI (and Solidity's Error and Panic) with its arguments, from revert data Python encodes."""
    page = open_page()
    abi = web_config.registry_abi()
    assert page.evaluate("zkmnist.state.config.abi") == abi
    samples = {"uint8": 9, "uint32": 4_000_000_000, "uint256": 2**255 + 7, "address": str(accounts[2].address),
               "bool": True, "string": "no such thing"}
    errors = [entry for entry in abi if entry["type"] == "error"]
    error_data = [
        "0x" + (selector(entry["name"], [i["type"] for i in entry["inputs"]])
                + encode([i["type"] for i in entry["inputs"]], [samples[i["type"]] for i in entry["inputs"]])).hex()
        for entry in errors
    ] + ["0x" + (selector("Error", ["string"]) + encode(["string"], ["boom"])).hex(),
         "0x" + (selector("Panic", ["uint256"]) + encode(["uint256"], [0x11])).hex(), "0xdeadbeef"]
    words = [2**254 + i for i in range(8)]
    submit = {"modelId": 3, "digit": 7, "commitment": str(2**250 + 1), "proof": [str(w) for w in words]}
    submitter = str(accounts[1].address)
    record = "0x" + encode(["(uint8,address,uint32,uint48)"], [(5, submitter, 2, 1_700_000_000)]).hex()
    coded = page.evaluate(PAGE_CODEC, {"submit": submit, "record": record, "errors": error_data})

    contract = client.contract
    expected = contract.submit.encode_input(3, 7, 2**250 + 1, words)
    assert coded["submit"] == "0x" + bytes(expected).hex()
    assert coded["recordOf"] == "0x" + bytes(contract.recordOf.encode_input(2**250 + 1)).hex()
    assert coded["record"] == {"digit": "5", "submitter": submitter.lower(), "modelId": "2", "timestamp": "1700000000"}

    shown = {"uint8": "9", "uint32": "4000000000", "uint256": f"0x{2**255 + 7:064x}",
             "address": samples["address"].lower(), "bool": "true", "string": '"no such thing"'}
    for entry, decoded in zip(errors, coded["errors"][:len(errors)], strict=True):
        arguments = ", ".join(f"{i['name']}={shown[i['type']]}" for i in entry["inputs"])
        assert decoded["name"] == entry["name"]
        assert decoded["text"] == f"{entry['name']}({arguments})"
        assert set(decoded["args"]) == {i["name"] for i in entry["inputs"]}
    assert [decoded["text"] for decoded in coded["errors"][len(errors):]] == [
        'Error("boom")', "Panic(17)", "unknown error 0xdeadbeef"]
    assert {"AlreadyRecorded", "InvalidProof", "UnknownModel", "ModelInactive"} <= {e["name"] for e in errors}


def selector(name: str, types: list[str]) -> bytes:
    return keccak(text=f"{name}({','.join(types)})")[:4]


def test_a_foreign_node_is_named_and_proving_for_it_asks_first(open_page, rpc_url):
    """`?rpc=` to another node than config.json's (here the same anvil under another name): the page says so and
    proves for its accounts only after "Prove anyway"; `?rpc=` to its own node is no other node."""
    assert "127.0.0.1" in rpc_url
    for same in (rpc_url, rpc_url + "/"):
        assert open_page(f"?rpc={same}").locator("#node-warning").is_hidden()
    foreign = rpc_url.replace("127.0.0.1", "localhost")
    page = open_page(f"?rpc={foreign}")
    warning = page.locator("#node-warning")
    assert warning.is_visible() and "Not this page's node" in warning.inner_text() and foreign in warning.inner_text()
    assert page.get_by_role("alert").filter(has_text="Not this page's node").count() == 1

    sample_button(page, 4).click()
    account = page.locator("#account").input_value()
    for _ in range(2):  # asked each time, and nothing proven meanwhile
        page.click("#prove")
        assert page.locator("#prove-confirm").is_visible()
        assert account in page.inner_text("#prove-confirm") and foreign in page.inner_text("#prove-confirm")
        page.wait_for_timeout(500)
        assert page.evaluate("zkmnist.state.proof") is None and not page.evaluate("zkmnist.state.busy")
        assert page.locator("#prove-progress").is_hidden() and page.locator("#proof-result").is_hidden()
    assert contrast_problems(page) == []  # with both warnings shown

    page.click("#prove-anyway")
    assert "Proof made" in settled(page, "#prove-status", PROOF_TIMEOUT_MS)
    assert page.locator("#prove-confirm").is_hidden()
    assert page.inner_text("#proof-submitter") == account


def test_the_proof_downloads_with_its_salt_as_a_proof_file(open_page):
    page = open_page()
    sample_button(page, 2).click()
    pixels = page_pixels(page)
    assert page.locator("#download-proof").is_hidden()
    assert "Proof made" in prove(page)
    with page.expect_download() as download:
        page.click("#download-proof")
    proof = Proof.from_json(Path(download.value.path()).read_text())
    assert prover.verify(proof)
    assert (proof.digit, proof.submitter, proof.model) == (python_digit(pixels),
                                                          page.locator("#account").input_value(), twin().model)
    assert proof.commitment == int(page.evaluate("zkmnist.state.proof.commitment.toString()"))
    assert check_salt(proof.salt).bit_length() > 200  # a full-size random salt, at least 2^128
    assert prover.commitment_of(pixels, proof.salt) == proof.commitment  # the salt and the image open it
    assert prover.commitment_of(pixels, proof.salt + 1) != proof.commitment
    page.click("#clear")  # a new input: no proof, nothing to download
    assert page.locator("#download-proof").is_hidden()
