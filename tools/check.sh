#!/usr/bin/env bash
# Lint, type-check and test: what CI runs (through the README's test command).
#
#   bash tools/check.sh            # everything, then the core-only run
#   bash tools/check.sh -m "not integration"   # options go to the first pytest run
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"

# The core without the render extra, in a venv of its own (made on first use): proves
# the core never imports folium, matplotlib or playwright. Render tests are left out.
if [ ! -x .venv-core/bin/python ]; then
    bash tools/setup.sh core
fi
CONTROLMAP_CORE_ONLY=1 .venv-core/bin/python -m pytest -p no:cacheprovider -q
