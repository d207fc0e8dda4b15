"""The web demo end to end in a real browser (Debian's Chromium, driven by Playwright), on an anvil.

`make test-web` runs `ape test tests/test_web.py --network ethereum:local:foundry`: the registry is deployed by the
shared fixtures, the page is served by tools/web_server.py with a config from zkproof/web_config.py, and everything
the page claims is checked from Python (the digit against `quantize.predict`, the record with `record_of`).
Elsewhere (e.g. `ape test` on Ape's in-process chain, which the browser cannot reach) the module is skipped;
with ZKMNIST_WEB_TEST=1 (set by `make test-web`) a missing browser or Playwright fails instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import ape
import numpy as np
import pytest

from zkproof import quantize, web_config
from zkproof import registry as client
from zkproof.data import load_split
from zkproof.paths import BUILD, ROOT

REQUIRED = os.environ.get("ZKMNIST_WEB_TEST") == "1"
CHROMIUM = Path(os.environ.get("ZKMNIST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
SCREENSHOT = BUILD / "test-web" / "page.png"
PROOF_TIMEOUT_MS = 180_000
STATUS_TIMEOUT_MS = 30_000
TWIN_SAMPLES = 500  # held-out digits classified by the page's BigInt twin and by Python (about 4 s)


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
def site(rpc_url, deployment, tmp_path_factory):
    """The page's data for the test registry, served on a free port; yields the URL."""
    data = web_config.write(tmp_path_factory.mktemp("web"), deployment, rpc_url)
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
def open_page(site, browser):
    """`open_page(query="")` loads the page (after its own start-up) and collects uncaught page errors."""
    pages, errors = [], []

    def _open(query: str = ""):
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site + query)
        page.wait_for_selector("body[data-ready]")
        settled(page, "#chain-status")
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def settled(page, selector: str, timeout: int = STATUS_TIMEOUT_MS) -> str:
    """Wait until a status line is done (ok or error, not busy); returns its text."""
    page.wait_for_function(f"document.querySelector('{selector}').className.match(/\\b(ok|error)\\b/)",
                           timeout=timeout)
    return page.inner_text(selector)


def draw_seven(page) -> None:
    """A 7 in two mouse strokes: the bar, then the leg."""
    box = page.locator("#pad").bounding_box()

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    page.mouse.move(*at(0.72, 0.2), steps=12)
    page.mouse.up()
    page.mouse.move(*at(0.72, 0.2))
    page.mouse.down()
    page.mouse.move(*at(0.42, 0.85), steps=16)
    page.mouse.up()


def page_pixels(page) -> np.ndarray:
    return np.array(page.evaluate("zkmnist.state.pixels"), dtype=np.uint8).reshape(28, 28)


def python_digit(pixels: np.ndarray) -> int:
    return int(quantize.predict(quantize.load(), pixels[None])[0])


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
    assert in_page == quantize.predict(quantize.load(), images).tolist()


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

    draw_seven(page)  # classification needs no chain, but a proof needs an account to be bound to
    assert page.inner_text("#digit") == str(python_digit(page_pixels(page)))
    page.click("#prove")
    assert "No account" in settled(page, "#prove-status")
    assert page.locator("#proof-result").is_hidden()

    page.click("#clear")
    assert page.evaluate("zkmnist.state.pixels") is None
    assert page.inner_text("#digit") == "–"


def test_draw_prove_and_record_on_chain(open_page, registry, accounts):
    # Not the session fixtures alice and bob: a session fixture first requested here makes Ape rebuild the
    # module's fixtures (isolation), and with them the browser.
    page = open_page()
    alice, bob = accounts[1], accounts[2]  # #1 is the page's default account
    assert page.locator("#account").input_value() == str(alice.address).lower()

    draw_seven(page)
    pixels = page_pixels(page)
    digit = python_digit(pixels)
    assert int(page.inner_text("#digit")) == digit
    assert digit == 7, "a clearly drawn 7 should be read as a 7 (preprocessing)"

    page.click("#prove")
    assert "Proof made" in settled(page, "#prove-status", PROOF_TIMEOUT_MS)
    commitment = int(page.evaluate("zkmnist.state.proof.commitment.toString()"))
    assert page.inner_text("#proof-digit") == str(digit)

    # From the wrong account: the registry's InvalidProof, decoded, and nothing recorded.
    page.select_option("#account", str(bob.address).lower())
    page.click("#submit")
    assert "InvalidProof" in settled(page, "#submit-status")
    assert client.record_of(registry, commitment) is None

    # From the proof's account: recorded, and the page shows what the chain says.
    page.select_option("#account", str(alice.address).lower())
    page.click("#submit")
    assert "Recorded on chain" in settled(page, "#submit-status")
    record = client.record_of(registry, commitment)
    assert record is not None
    assert (record.digit, record.submitter, record.model_id) == (digit, str(alice.address), 1)
    tx_hash = page.inner_text("#record-tx").split()[0]
    receipt = ape.chain.provider.get_receipt(tx_hash)
    assert page.inner_text("#record-gas").replace(",", "") == str(receipt.gas_used)

    # The same proof again: the registry's AlreadyRecorded, decoded.
    page.click("#submit")
    assert "AlreadyRecorded" in settled(page, "#submit-status")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
