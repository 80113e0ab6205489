"""Tests that open pages in headless Chromium (marked ``browser``)."""
