"""Parts of a folium page whose text Jinja never compiles.

branca renders a ``MacroElement`` by calling its macros and wrapping each result in
a new ``Element(result)``, which compiles that result as a Jinja template and runs
it. Text from a data file inside such a result would be code: ``{{ ... }}`` runs
Python, ``{# ...`` breaks the page. controlmap's parts of a page therefore never go
through a macro: they build their text in Python and hand it to a fixed template as
a *value* (:class:`Verbatim`), which Jinja prints and never parses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from branca.element import Element, Figure
from jinja2 import Template

__all__ = ["Page", "PagePart", "Verbatim"]


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


class Page(Figure):
    """A page whose bulky text is put in after rendering, in pieces.

    A part of the page writes a token where its text goes and hands the token to
    :meth:`defer` with a function that yields the text. :meth:`chunks` renders the
    page and yields it with those pieces in place, so :func:`controlmap.render.save`
    streams a map's data to disk: 100,000 periods are about 20 MB of text, which
    Jinja, the escaper and the encoder would otherwise each copy whole.
    :meth:`render` returns the whole page as one string, as any folium page does.

    Examples
    --------
    >>> class Data(PagePart):
    ...     def script(self) -> str:
    ...         self.get_root().defer("TOKEN-1", lambda: iter(["[1,", "2]"]))
    ...         return "var data = TOKEN-1;"
    >>> page = Page()
    >>> _ = page.add_child(Data())
    >>> "var data = [1,2];" in page.render()
    True
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._deferred: dict[str, Callable[[], Iterator[str]]] = {}

    def defer(self, token: str, pieces: Callable[[], Iterator[str]]) -> None:
        """Put the text ``pieces()`` yields where ``token`` is in the rendered page.

        The token must be one no text of the page can hold by chance: a random one.
        """
        self._deferred[token] = pieces

    def chunks(self, **kwargs: Any) -> Iterator[str]:
        """The page's text in pieces, the deferred ones in place of their tokens."""
        text = super().render(**kwargs)
        places = []
        for token, pieces in self._deferred.items():
            at = text.find(token)
            if at < 0 or text.find(token, at + 1) >= 0:
                raise RuntimeError(f"a page token appears {text.count(token)} times, not once")
            places.append((at, token, pieces))
        done = 0
        for at, token, pieces in sorted(places, key=lambda place: place[0]):
            yield text[done:at]
            yield from pieces()
            done = at + len(token)
        yield text[done:]

    def render(self, **kwargs: Any) -> str:
        """The whole page as one string."""
        return "".join(self.chunks(**kwargs))
