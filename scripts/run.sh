#!/usr/bin/env bash
# One command for users: installs what is missing, builds, and opens Quantscope on the demo
# checkpoint (or on the files given as arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec "${QUANTSCOPE_BUILD_DIR:-build}/app/quantscope" "$@"
