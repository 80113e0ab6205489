"""Tests that drive other programs (QGIS) installed from Debian."""

# Run by Debian's /usr/bin/python3 (QGIS's bindings), never imported by pytest: the
# doctest collection would import it in the venv, which has no qgis module.
collect_ignore = ["qgis_probe.py"]
