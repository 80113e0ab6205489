"""Fixtures shared by the test modules, and the one hypothesis profile of the suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

import controlmap

if TYPE_CHECKING:  # playwright is in the test extra, not in core-test: imported when used
    from playwright.sync_api import Browser, Page

# Geometry work makes example times vary with the machine's load: no deadline. Loaded
# for every test and doctest; HYPOTHESIS_PROFILE=<name> picks another registered profile.
settings.register_profile("controlmap", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "controlmap"))


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


@pytest.fixture(scope="module")
def timeline() -> controlmap.Timeline:
    """The bundled Islamic State timeline, loaded once per test module."""
    return controlmap.load_dataset("islamic-state")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run (pages are opened per test)."""
    # No skip: a machine without Debian's chromium fails, as CI must not pass silently.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class OfflinePage:
    """A page with console errors, page errors, dialogs and network requests recorded.

    Only file:// and data: URLs load; any other request (a CDN, a tile) is aborted and
    recorded, so a map that needed the network fails :meth:`check_clean`.
    """

    def __init__(self, browser: Browser, width: int = 1200, height: int = 800) -> None:
        self.page: Page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

        def route(r: Any) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)

    def open(
        self, path: Path, ready: str = "window.controlmapMaps && window.controlmapMaps.length > 0"
    ) -> Page:
        """Load ``path`` and wait until the page's script says it is drawn."""
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function(ready)
        return self.page

    def check_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.blocked == [], f"the page asked the network for {self.blocked}"
        assert self.dialogs == []

    def close(self) -> None:
        self.page.close()
