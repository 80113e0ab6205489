"""Helpers for testing code that uses controlmap (hypothesis strategies).

Importing :mod:`controlmap.testing.strategies` needs ``hypothesis`` (in the
``test`` extra); controlmap itself does not.
"""
