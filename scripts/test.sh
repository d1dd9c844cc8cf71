#!/usr/bin/env bash
# One command for developers and CI: installs what is missing, builds, runs every test through
# CTest (GUI tests on Qt's offscreen platform), then the reader fuzzers (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd "${QUANTSCOPE_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j"$(nproc)" -LE fuzz "$@")
scripts/fuzz.sh
