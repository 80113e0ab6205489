"""Helpers for testing code that uses controlmap.

- :func:`assert_timeline_equal`: two timelines hold the same periods (after a round trip
  through a file, a conversion, a rebuild);
- :mod:`controlmap.testing.strategies`: hypothesis strategies of periods, timelines and
  broken files (needs ``hypothesis``, in the ``test`` extras; controlmap itself does not).
"""

from .asserts import assert_timeline_equal

__all__ = ["assert_timeline_equal"]
