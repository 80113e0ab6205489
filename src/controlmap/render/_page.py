"""Parts of a folium page whose text Jinja never compiles.

branca renders a ``MacroElement`` by calling its macros and wrapping each result in
a new ``Element(result)``, which compiles that result as a Jinja template and runs
it. Text from a data file inside such a result would be code: ``{{ ... }}`` runs
Python, ``{# ...`` breaks the page. controlmap's parts of a page therefore never go
through a macro: they build their text in Python and hand it to a fixed template as
a *value* (:class:`Verbatim`), which Jinja prints and never parses.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure
from jinja2 import Template

__all__ = ["PagePart", "Verbatim"]


class Verbatim(Element):
    """Text put into the page as it is: the value of a fixed template, never compiled.

    Examples
    --------
    >>> Verbatim("{{ 7*7 }} {# not a comment").render()
    '{{ 7*7 }} {# not a comment'
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Verbatim"
        self.text = text


class PagePart(Element):
    """An element that adds header, body and script text to its page verbatim.

    Subclasses override :meth:`header`, :meth:`body` and :meth:`script`; whatever
    they return is escaped for its place by the subclass and placed with
    :class:`Verbatim`, so no text of theirs reaches a template compiler.

    Examples
    --------
    >>> import folium
    >>> class Note(PagePart):
    ...     def script(self) -> str:
    ...         return "var note = '{{ 6*7 }}';"
    >>> fmap = folium.Map(tiles=None)
    >>> _ = fmap.add_child(Note())
    >>> "var note = '{{ 6*7 }}';" in fmap.get_root().render()
    True
    """

    def header(self) -> str | None:
        """Text for the page's ``<head>`` (None: nothing)."""
        return None

    def body(self) -> str | None:
        """Text for the page's ``<body>`` (None: nothing)."""
        return None

    def script(self) -> str | None:
        """JavaScript for the page's closing ``<script>`` element (None: nothing)."""
        return None

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add this part's texts to the page it belongs to, then render its children."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} must be part of a page (a Figure) to render")
        for section, text in (
            (figure.header, self.header()),
            (figure.html, self.body()),
            (figure.script, self.script()),
        ):
            if text is not None:
                section.add_child(Verbatim(text), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
