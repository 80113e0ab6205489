"""Figures for print and the web (matplotlib), one module per kind of figure.

- :mod:`.small_multiples`: maps of one timeline at chosen dates;
- :mod:`.area_chart`: km² held over time, by status;
- :mod:`.changes`: one map of the ground gained, lost and kept between two dates;
- :mod:`.fighters`: the foreign-fighter flows as proportional circles;
- :mod:`._draw`: what they share (paths, the base-map frame, status styles).
"""
