"""The app in a real browser: `streamlit run` (as `leakline app` starts it) on the demo lakehouse,
driven by headless Debian Chromium through Playwright, as a new analyst and a viewer would use it.
Screenshots of every page go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app.conftest import PASSWORD, REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(app_env, tmp_path):
    """`streamlit run app/streamlit_app.py` with the command line and env `leakline app` builds."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium chromium-driver")
    from app.cli import app_command
    from jobs.cli import make_context

    port = _free_port()
    args = argparse.Namespace(env="local", conf_dir=str(REPO / "conf"), lakehouse=str(app_env.root), port=port,
                              address="127.0.0.1", headless=True)
    argv, env = app_command(args, make_context(args))
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _sign_in(page, url: str, user: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Leakage detected").wait_for(timeout=60_000)


def _settle(page) -> None:
    """Wait until the script run finished (Streamlit's running indicator is gone) and charts drew."""
    page.wait_for_timeout(400)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1200)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_analyst_works_a_case_and_viewer_sees_masked_numbers(server, app_env):
    from playwright.sync_api import sync_playwright

    demo = app_env.demo
    case = next(c for c in demo.cases if c["category"] == "simbox")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1800})
            page.goto(server)
            page.get_by_label("User name").wait_for(timeout=60_000)
            _shot(page, "01_sign_in")
            _sign_in(page, server, "alice")
            _settle(page)
            assert page.locator("[data-testid='stVegaLiteChart']").count() >= 5
            _shot(page, "02_overview")

            page.get_by_role("link", name="Case queue").click()
            page.get_by_text(f"{len(demo.cases)} cases", exact=False).wait_for(timeout=60_000)
            _settle(page)
            _shot(page, "03_queue")

            page.get_by_role("combobox", name="Open case").click()
            page.keyboard.type(case["case_id"])
            page.keyboard.press("Enter")
            page.get_by_role("button", name="Open case").click()
            page.get_by_text("Why this case").wait_for(timeout=60_000)
            _settle(page)
            assert page.get_by_text(case["title"]).count() >= 1
            _shot(page, "04_case_fraud")

            page.get_by_role("button", name="Start investigation").click()
            page.get_by_text("Case moved from open to investigating.").wait_for(timeout=60_000)
            _settle(page)
            note = page.get_by_label("Add a note")
            note.fill("Called the dealer: SIM box confirmed on site.")
            note.press("Control+Enter")
            page.wait_for_timeout(500)
            page.get_by_role("button", name="Add note", exact=True).click()
            page.get_by_text("Note added.").wait_for(timeout=60_000)
            _settle(page)
            _shot(page, "05_case_worked")
            events = [(e.case_id, e.actor, e.action, e.from_status, e.to_status, e.note)
                      for e in app_env.store.events()]
            assert events == [
                (case["case_id"], "alice", "transition", "open", "investigating", None),
                (case["case_id"], "alice", "note", None, None, "Called the dealer: SIM box confirmed on site."),
            ]

            leak_case = next(c for c in demo.cases if c["kind"] == "leakage" and c["item_count"] >= 3)
            page.get_by_label("Case id").fill(leak_case["case_id"])
            page.get_by_label("Case id").press("Enter")
            page.get_by_text("Expected vs billed charge per day").wait_for(timeout=60_000)
            _settle(page)
            _shot(page, "06_case_leakage")

            for link, marker, name in (("Data quality", "Recent runs", "07_quality"),
                                       ("Models", "Drift", "08_models")):
                page.get_by_role("link", name=link).click()
                page.get_by_role("heading", name=marker).wait_for(timeout=90_000)
                _settle(page)
                _shot(page, name)
            assert page.get_by_text("champion — version 1").count() == 1

            viewer = browser.new_page(viewport={"width": 1440, "height": 1400})
            _sign_in(viewer, server, "vera")
            viewer.get_by_role("link", name="Case queue").click()
            viewer.get_by_text(f"{len(demo.cases)} cases", exact=False).wait_for(timeout=60_000)
            viewer.get_by_role("combobox", name="Open case").click()
            viewer.keyboard.type(demo.msisdn_case)
            viewer.keyboard.press("Enter")
            viewer.get_by_role("button", name="Open case").click()
            viewer.get_by_text("Read-only: your role (viewer) cannot work cases.").wait_for(timeout=60_000)
            _settle(viewer)
            _shot(viewer, "09_viewer_case_masked")
            text = viewer.locator("body").inner_text()
            numbers = {s["msisdn"] for s in demo.subscribers}
            assert not [n for n in numbers if n in text]
            assert re.search(r"\b49\d{3}\*{4,}\d{2}\b", text)
            assert viewer.get_by_role("button", name="Start investigation").count() == 0
        finally:
            browser.close()
