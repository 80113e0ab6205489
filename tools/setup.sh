#!/usr/bin/env bash
# Set up a development environment in .venv: Python packages for the given extra
# ("render" for the main job, "dev" for the tests and linters) and, for "dev", the
# real clients the tests drive (Debian's chromium, gdal-bin and QGIS's Python
# bindings, fonts for other scripts, and Node.js with npm, each installed only when
# missing; needs root or sudo). QGIS is the largest: about 235 packages, 300 MB to
# download, 1.3 GB installed (Debian 12). Then kepler.gl's packages from npm, as pinned in
# tests/integration/kepler/package-lock.json, for tests/integration/test_kepler*.py:
# about 830 packages, 260 MB to download, 840 MB in tests/integration/kepler/node_modules,
# 3 minutes (177 s wall, 35 s CPU with an empty npm cache, on a shared machine).
#
#   bash tools/setup.sh render     # enough to run `controlmap report ...`
#   bash tools/setup.sh dev        # everything the test suite needs
#   bash tools/setup.sh core       # .venv-core: the core and its tests, no render extra
set -euo pipefail
extra="${1:-render}"
cd "$(dirname "$0")/.."

if [ "$extra" = "core" ]; then
    python3 -m venv .venv-core
    .venv-core/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv-core/bin/python -m pip install -q --disable-pip-version-check -e ".[core-test]"
    exit 0
fi

if [ "$extra" = "dev" ]; then
    need=()
    command -v chromium >/dev/null 2>&1 || need+=(chromium)
    command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
    command -v node >/dev/null 2>&1 || need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
    # tests/integration/test_qgis.py opens the exports in QGIS, run by Debian's python3.
    for package in python3-qgis qgis-providers; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
        [ "$status" = installed ] || need+=("$package")
    done
    # Fonts for names in other scripts (Arabic, Devanagari, Ethiopic... and CJK): the
    # figures draw them with these; tests check no glyph is missing. About 14 MB to
    # download, 50 MB installed.
    for package in fonts-noto-core fonts-droid-fallback; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
        [ "$status" = installed ] || need+=("$package")
    done
    if [ "${#need[@]}" -gt 0 ]; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "setup: installing Debian packages: ${need[*]}" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            "${need[@]}" fonts-dejavu-core >/dev/null
    fi
    # Exactly the locked versions; no install scripts (none is needed to run the probe).
    npm ci --prefix tests/integration/kepler --no-audit --no-fund --ignore-scripts \
        --loglevel=error >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extra]"
