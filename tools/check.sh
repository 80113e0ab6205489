#!/usr/bin/env bash
# Lint, type-check and test: what CI runs (through the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
