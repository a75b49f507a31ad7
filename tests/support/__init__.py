"""What the tests share: constants, component-tree walkers, the command-line runner and browser helpers.

Test modules import shared helpers from here only, never from another test module or from conftest.py;
fixtures live in tests/conftest.py, which takes its constants from here too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from dash import dcc

from callbacks import chronic, districts, drg, quality, referrals, settlement, visits
from callbacks.panels import render
from dashboard.core.state import parse_query
from dashboard.ui.words import t, tell
from queries.selection import View

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"

# The demo warehouse of the test session: its last month and seed
TEST_LAST_MONTH = dt.date(2026, 10, 1)
TEST_SEED = 2025
# the administrator every test session has in its scratch application database (tests/conftest.py)
TEST_USER = "tester"
TEST_PASSWORD = "tests-only-password-42"

CONSORTIUM = "?district=990122&consortium=C04"  # 平湖县紧密型医共体
ERROR_TEXTS = {t("error", "zh"), t("draw_error", "zh"), t("compute_error", "zh")}

# The command line's CSV columns after the key (and grain) columns, in DOMAIN.md §13's order
CSV_COLUMNS = ["name", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]

# One [[policy]] entry of a policy file, to .format(year=…, k_high=…, days=…)
POLICY_ENTRY = """
[[policy]]
region = "测试市"
year = {year}
grouper_version = "test-v1"
base_rate = 10000
k_high = {k_high}
k_low = 0.5
high_outlier_top_up = 0.9
readmission_days = {days}
risk_cut_points = [-1.0, 0.0, 1.0]
level_coefficients = {{ tertiary = 1.0, secondary = 1.0, chc = 1.0, thc = 1.0, village = 1.0 }}
"""


# --- Dash component trees ----------------------------------------------------------------------------------


def texts(component) -> str:
    """Every string in a component tree, in document order, joined by single spaces."""
    out, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, str | int | float):
            out.append(str(node))
        elif isinstance(node, list | tuple):
            stack.extend(reversed(node))
        elif hasattr(node, "children"):
            stack.append(node.children)
    return " ".join(out)


def graphs(component) -> list:
    """Every dcc.Graph in a component tree."""
    out, stack = [], [component]
    while stack:
        node = stack.pop()
        if isinstance(node, dcc.Graph):
            out.append(node)
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "children"):
            stack.append(node.children)
    return out


# --- the command line --------------------------------------------------------------------------------------


def run_kpi_cli(url: str, *args: str, env: dict | None = None, check: bool = False):
    """`python -m dashboard kpi … --database-url url`, run for real (a CompletedProcess with its text)."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "kpi", *args, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        env=env,
    )


def cli_json(url: str, *args: str) -> pd.DataFrame:
    """`python -m dashboard kpi … --format json`, run for real."""
    return pd.DataFrame(json.loads(run_kpi_cli(url, *args, "--format", "json", check=True).stdout))


def plan_or_none(kpi, request):
    """The KPI's query plan for a request, or None where the KPI does not apply to it."""
    from queries.kpi.builder import NotApplicable, build_plan

    try:
        return build_plan(kpi, request)
    except NotApplicable:
        return None


# --- a real browser (dash_duo) -----------------------------------------------------------------------------


def login_form(client, username: str, password: str, host: str = "localhost", next_path: str = ""):
    """Post the login form as a browser would (its CSRF token read from the page): the response."""
    import re

    query = f"?next={next_path}" if next_path else ""
    page = client.get(f"/login{query}", headers={"Host": host})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        f"/login{query}",
        data={"username": username, "password": password, "csrf_token": token},
        headers={"Host": host},
    )


def logged_in(client, username: str = TEST_USER, password: str = TEST_PASSWORD, host: str = "localhost"):
    """``client`` with a session of ``username`` (the tests' administrator by default)."""
    response = login_form(client, username, password, host)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def browser_login(dash_duo, path: str = "/", username: str = TEST_USER, password: str = TEST_PASSWORD):
    """Log in through the real login form in the browser, then open ``path``."""
    from urllib.parse import quote

    dash_duo.driver.get(dash_duo.server_url + "/login?next=" + quote(path, safe=""))
    dash_duo.wait_for_element("#username", timeout=20).send_keys(username)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_element("#react-entry-point", timeout=30)


def start_app(dash_duo, app, path: str = "/", username: str = TEST_USER, password: str = TEST_PASSWORD):
    """Serve ``app``, log in as ``username`` in the browser and open ``path``."""
    dash_duo.start_server(app, navigate=False)
    # the server's address without dash_duo's own first visit (it would wait for a Dash page at /login)
    dash_duo._url = dash_duo.server.url
    dash_duo.driver.set_window_size(1400, 2200)  # tall enough that the whole scorecard is on screen
    browser_login(dash_duo, path, username, password)


def start_home(dash_duo, url, path="/"):
    """The app on ``url``, logged in and opened at ``path``, once the home page's first card shows a value."""
    from dashboard.app import create_app
    from dashboard.core.settings import Settings

    start_app(dash_duo, create_app(Settings(database_url=url)), path)
    dash_duo.wait_for_element("#card-primary_care_visit_share .kpi-value", timeout=30)


def open_page(dash_duo, url, path):
    """The app on ``url``, logged in and opened at ``path`` (without waiting for anything)."""
    from dashboard.app import create_app
    from dashboard.core.settings import Settings

    start_app(dash_duo, create_app(Settings(database_url=url)), path)


def click(dash_duo, element):
    """A real click, retried while a loading overlay still covers the element."""
    from selenium.common.exceptions import ElementClickInterceptedException

    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    deadline = time.time() + 10
    while True:
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if time.time() > deadline:
                dash_duo.driver.save_screenshot("/tmp/click-failure.png")
                raise
            time.sleep(0.2)


def settle(dash_duo, quiet: float = 0.4, timeout: float = 20):
    """Wait until no callback has been running for ``quiet`` seconds (Dash marks loading components)."""
    deadline, calm_since = time.time() + timeout, None
    while time.time() < deadline:
        busy = dash_duo.driver.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
        )
        if busy:
            calm_since = None
        elif calm_since is None:
            calm_since = time.time()
        elif time.time() - calm_since >= quiet:
            return
        time.sleep(0.05)
    raise AssertionError("the page kept loading")


def click_row(dash_duo, code):
    """Click the name cell of the AG Grid row whose id is ``code``."""
    selector = f'.ag-row[row-id="{code}"] .ag-cell[col-id="name"]'
    dash_duo.wait_for_element(selector, timeout=20)
    settle(dash_duo)
    click(dash_duo, dash_duo.find_element(selector))


def wait_url(dash_duo, fragment):
    """Wait until the browser's URL contains ``fragment``."""
    deadline = time.time() + 20
    while time.time() < deadline:
        if fragment in dash_duo.driver.current_url:
            return
        time.sleep(0.1)
    raise AssertionError(f"{fragment} not in {dash_duo.driver.current_url}")


def chart(dash_duo, panel: str, selector: str = ".main-svg"):
    """The first ``selector`` inside a panel's chart, once the chart is drawn."""
    dash_duo.wait_for_element(f"#panel-{panel} .js-plotly-plot {selector}", timeout=30)
    settle(dash_duo)
    found = dash_duo.find_element(f"#panel-{panel} .js-plotly-plot {selector}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", found)
    return found


def click_until(dash_duo, panel: str, selector: str, fragment):
    """A real mouse click on a chart mark (Plotly reads clicks from the layer above its marks), repeated
    until the URL shows ``fragment`` (or satisfies it, if it is a function of the URL): a click landing
    while Plotly still lays out the chart is ignored."""
    from selenium.webdriver.common.action_chains import ActionChains

    done = fragment if callable(fragment) else (lambda url: fragment in url)
    for _attempt in range(4):
        element = chart(dash_duo, panel, selector)
        time.sleep(0.3)  # let the scroll finish before the mouse moves
        ActionChains(dash_duo.driver).move_to_element(element).pause(0.3).click().perform()
        deadline = time.time() + 5
        while time.time() < deadline:
            if done(dash_duo.driver.current_url):
                return
            time.sleep(0.1)
    raise AssertionError(f"clicking {selector} in {panel} never led to {fragment}")


# --- user-facing errors ----------------------------------------------------------------------------------


@contextlib.contextmanager
def raises_saying(kind: type[Exception], fragment: str):
    """Like pytest.raises, for errors meant for people: the English sentence holds ``fragment``, and the
    message renders in Chinese too (its key is in both catalogues)."""
    with pytest.raises(kind) as caught:
        yield caught
    said = tell(caught.value, "en")
    assert fragment in said, said
    assert tell(caught.value, "zh")


# --- views and panels --------------------------------------------------------------------------------------


def one_of_each_level(url: str) -> list[str]:
    """The query string of the first institution of each level (tertiary … village) of a warehouse."""
    from queries.kpi.catalog import get_catalog

    parents = get_catalog(url).parents["institution"]
    first = {}
    for code in sorted(parents):
        first.setdefault(parents[code][2], code)
    return [f"?institution={code}" for code in first.values()]


def view(url: str, query: str = "") -> View:
    """The view a URL's query string asks for, of the warehouse at ``url`` (every scope: no login yet)."""
    return View(url, parse_query(query)[0])


def _panel_book() -> dict:
    book = {}
    for module in (visits, referrals, chronic, drg, settlement, districts, quality):
        book.update(module.SPECS)
    return book


PANEL_BOOK = _panel_book()  # what create_app registers: every page's panels by key


def draw_panel(key: str, query: str, url: str):
    """A panel's body as the MATCH callback draws it for the URL's query string."""
    return render(PANEL_BOOK[key], key, query, url)


def panel_data(key: str, query: str, url: str):
    """A panel's data (what its download holds) for the URL's query string."""
    return PANEL_BOOK[key].data(view(url, query))


@contextlib.contextmanager
def served_app(database_url: str, extra_env: dict | None = None):
    """``python app.py`` in a process of its own on a free port; yields (base URL, process)."""
    import os
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DASHBOARD_DATABASE_URL": database_url,
        "DASHBOARD_PORT": str(port),
        **(extra_env or {}),
    }
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the app did not start: {process.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)


def health(base: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
        return json.loads(response.read())


def wait_for_version(base: str, old: str, timeout: float = 20) -> tuple[str, float]:
    """Poll /healthz until it serves a data version other than ``old``; returns it and the seconds taken."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        version = health(base)["data_version"]
        if version != old:
            return version, time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"still serving {old} after {timeout} s")
