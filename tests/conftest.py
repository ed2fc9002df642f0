"""Session fixtures: tiny models built from configs, the app launched on 127.0.0.1, a headless browser."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# never wait on the network: the hub is unreachable where the tests run
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# one torch thread in each test process and each app it launches: tiny models gain nothing from more, and the
# test workers (pytest -n, see pyproject.toml) and the apps share the cores, where threads that spin wait on each other
os.environ.setdefault("OMP_NUM_THREADS", "1")
# models converted for CTranslate2 during the tests go to a throwaway folder, not the user's cache
os.environ.setdefault("TRANSLATOR_CTRANSLATE2_DIR", tempfile.mkdtemp(prefix="ct2-tests-"))

from servers import ROOT, RunningApp, api_client, launch_app, stop  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Paths of the tiny models and of a registry.toml that names them tiny-*, built once per session."""
    import builders  # here, not at the top: pytest -n's controller process loads this file too, and runs no test

    return builders.build_all(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def tiny(tiny_models) -> dict[str, Path]:
    """The tiny models' paths, with their registry made current (offline) for one test, then the old settings back."""
    import translator
    from translator import get_settings

    before = get_settings()
    translator.configure(before.replace(registry_file=str(tiny_models["registry"]), offline=True))
    yield tiny_models
    translator.configure(before)


@pytest.fixture
def settings_with(tiny):
    """Change settings for one test (on top of the tiny registry), then put the old ones back."""
    import translator
    from translator import get_settings

    before = get_settings()
    yield lambda **changes: translator.configure(before.replace(**changes))
    translator.configure(before)


@pytest.fixture(scope="session")
def app_server(tiny_models, tmp_path_factory) -> Iterator[RunningApp]:
    """The app on 127.0.0.1 with the tiny models in its registry, offline, launched once for every test that needs
    these flags (its process and log too: the load test measures its memory, another test reads its log)."""
    log = tmp_path_factory.mktemp("app") / "app.log"
    process, url = launch_app(["--offline", "--registry", str(tiny_models["registry"])], log_path=log)
    yield RunningApp(process, url, log)
    stop(process)


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def client(app_url):
    return api_client(app_url)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import expect, sync_playwright

    # a loaded machine (two test workers, their apps, the browser) answers slower than expect's 5 s default
    expect.set_options(timeout=20_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """The context of the browser tests' page (the app keeps nothing in the browser)."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, app_url, request):
    """The app freshly loaded for one test, in the page the tests share: loading it again in the same page takes
    half the CPU of a new page (its renderer and compiled scripts stay). What a test changed on the page is reset
    here (a new page if it closed it), but handlers it adds with page.on() stay: remove them in the test.

    The page's requests and console messages are kept for the report of a test that fails."""
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_viewport_size(VIEWPORT)
    page.set_default_timeout(60_000)
    started = time.monotonic()
    events: list[str] = []
    request.node.browser_events = events

    def record_request(sent) -> None:
        if "/gradio_api/" in sent.url and "/heartbeat/" not in sent.url:  # calls, not assets or keep-alive
            events.append(f"{time.monotonic() - started:7.2f}s {sent.method} {sent.url} {(sent.post_data or '')[:200]}")

    def record_console(message) -> None:
        events.append(f"{time.monotonic() - started:7.2f}s console {message.type}: {message.text[:300]}")

    page.on("request", record_request)
    page.on("console", record_console)
    page.goto(app_url)
    from playwright.sync_api import expect

    expect(page.locator("#status-line")).to_contain_text("Hub:")  # mounted: a click before that would be lost
    yield page
    if not page.is_closed():
        page.remove_listener("request", record_request)
        page.remove_listener("console", record_console)
        page.goto("about:blank")  # the app's page ends with its test (and stops polling the app)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests save screenshots (kept after the run)."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test gets the end of the session app's log and what its browser page sent in its report: the CI
    shows only the report, so a cause in the server or the page would leave no trace otherwise."""
    report = yield
    if not report.failed:
        return report
    running = getattr(item, "funcargs", {}).get("app_server")  # set for every test whose fixtures reach it
    if running is not None and running.log.exists():
        report.sections.append(("app log (last 3,000 characters)", running.log.read_text(errors="replace")[-3000:]))
    events = getattr(item, "browser_events", None)
    if events:
        report.sections.append(("browser requests and console (last 60)", "\n".join(events[-60:])))
    return report
