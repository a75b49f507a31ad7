"""Benchmark of the home page in headless Chromium: ``python -m dashboard bench-ui [--database-url URL]``.

Cold = the first load in a freshly started app process (empty result cache; the browser keeps static files,
as for a returning user); warm = the same URL reloaded.
A page counts as rendered when every callback has finished: the cards and the scorecard are there and no
component has been marked loading for 300 ms (the quiet time itself is not counted).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from dashboard.core.errors import UserFacingError
from dashboard.core.settings import Settings

PAGES = {"city": "/", "consortium": "/?district=990122&consortium=C04"}
QUIET = 0.3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_options(*extra: str):
    """Selenium options for Debian's Chromium: headless, no network chatter, a tall window, Chinese locale.

    The tests (dash_duo) and this benchmark drive the same browser the same way.
    """
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,2200",
        "--lang=zh-CN",
        *extra,
    ):
        options.add_argument(arg)
    return options


def _browser():
    try:
        from selenium import webdriver
    except ImportError as exc:
        raise UserFacingError("bench_needs_test_extra") from exc
    chromium = shutil.which("chromium")
    if chromium is None or shutil.which("chromedriver") is None:
        raise UserFacingError("bench_needs_chromium")
    options = chromium_options(f"--user-data-dir={tempfile.mkdtemp()}")
    return webdriver.Chrome(options=options)


def _rendered_seconds(driver, url: str, timeout: float = 60) -> float:
    started = time.perf_counter()
    driver.get(url)
    calm_since = None
    while time.perf_counter() - started < timeout:
        state = driver.execute_script(
            "return [document.querySelectorAll('[data-dash-is-loading=\"true\"]').length,"
            " document.querySelectorAll('#card-cmi').length,"
            " document.querySelectorAll('.ag-row, #home-scorecard-container .alert').length]"
        )
        busy, cards, grid = state
        if busy or not cards or not grid:
            calm_since = None
        elif calm_since is None:
            calm_since = time.perf_counter()
        elif time.perf_counter() - calm_since >= QUIET:
            return calm_since - started
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not finish rendering in {timeout} s")


def _start_server(database_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, DASHBOARD_DATABASE_URL=database_url, DASHBOARD_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "app.py"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the app did not start")


def run_ui_benchmark(database_url: str | None = None, cold_runs: int = 3, warm_runs: int = 5) -> int:
    settings = Settings.from_env(database_url=database_url)
    driver = _browser()
    results = {}
    # One port for every run, so the browser keeps the app's static files cached as it would for a returning
    # user; "cold" is about the app's result cache, which each fresh process starts empty.
    port = _free_port()
    try:
        for label, path in PAGES.items():
            cold, warm = [], []
            for _ in range(cold_runs):
                server = _start_server(settings.database_url, port)
                try:
                    url = f"http://127.0.0.1:{port}{path}"
                    cold.append(_rendered_seconds(driver, url))
                    if len(warm) < warm_runs:
                        warm += [_rendered_seconds(driver, url) for _ in range(warm_runs - len(warm))]
                finally:
                    server.terminate()
                    server.wait(10)
            results[label] = (statistics.median(cold), statistics.median(warm))
            print(
                f"home ({label}): cold median {results[label][0]:.2f} s over {cold_runs} fresh app processes, "
                f"warm median {results[label][1]:.2f} s over {warm_runs} reloads"
            )
    finally:
        driver.quit()
    cold_max = max(c for c, _ in results.values())
    warm_max = max(w for _, w in results.values())
    ok = cold_max <= 2.0 and warm_max <= 0.5
    print(
        f"bench-ui: home fully rendered cold {cold_max:.2f} s (target 2 s), warm {warm_max:.2f} s "
        f"(target 0.5 s): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1
