"""Session fixtures: tiny models built from configs, the app launched on 127.0.0.1, a headless browser."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# never wait on the network: the hub is unreachable where the tests run
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# models converted for CTranslate2 during the tests go to a throwaway folder, not the user's cache
os.environ.setdefault("TRANSLATOR_CTRANSLATE2_DIR", tempfile.mkdtemp(prefix="ct2-tests-"))

import builders  # noqa: E402
from servers import ROOT, launch_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
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
def app_url(tiny_models, tmp_path_factory) -> str:
    """The app on 127.0.0.1 with the tiny models in its registry, offline."""
    log = tmp_path_factory.mktemp("app") / "app.log"
    process, url = launch_app(["--offline", "--registry", str(tiny_models["registry"])], log_path=log)
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests save screenshots (kept after the run)."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
