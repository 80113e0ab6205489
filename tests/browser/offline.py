"""A headless Chromium page that records errors and refuses the network (browser tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page


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
