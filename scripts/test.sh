#!/usr/bin/env bash
# One command for developers and CI: installs what is missing, builds, and runs every test
# through CTest (GUI tests on Qt's offscreen platform).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${QUANTSCOPE_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@"
