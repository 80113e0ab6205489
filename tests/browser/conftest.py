"""Fixtures of the browser tests: one headless Chromium driven by playwright.

Only the tests in this folder import playwright; every test here is marked
``browser`` (``pytest -m "not browser"`` runs the rest without a browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# Debian's Chromium, driven by Playwright; never a browser Playwright downloads.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Browser]:
    """One headless Chromium for the whole run (pages are opened per test)."""
    # No skip: a machine without Debian's chromium fails, as CI must not pass silently.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    launched = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()
