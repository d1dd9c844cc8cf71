#!/usr/bin/env bash
# Configures and builds Quantscope into build/ (or $QUANTSCOPE_BUILD_DIR) with CMake + Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${QUANTSCOPE_BUILD_DIR:-build}
source scripts/compiler-cache.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} "${cache_args[@]}" "$@" >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)"
