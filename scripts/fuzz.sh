#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, address + undefined sanitizers) into build-fuzz/ (or
# $QUANTSCOPE_FUZZ_BUILD_DIR) and runs each one for $QUANTSCOPE_FUZZ_SECONDS (default 20) through
# CTest's "fuzz" label. Crashing inputs land in <build>/tests/fuzz/artifacts/<reader>/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build_dir=${QUANTSCOPE_FUZZ_BUILD_DIR:-build-fuzz}
source scripts/compiler-cache.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 "${cache_args[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQUANTSCOPE_BUILD_GUI=OFF -DQUANTSCOPE_BUILD_TESTS=OFF -DQUANTSCOPE_BUILD_BENCHMARKS=OFF \
    -DQUANTSCOPE_BUILD_FUZZERS=ON -DQUANTSCOPE_FUZZ_SECONDS="${QUANTSCOPE_FUZZ_SECONDS:-20}" >/dev/null

fuzzers=()
for source in tests/fuzz/fuzz_*.cpp; do
    fuzzers+=("$(basename "$source" .cpp)")
done
cmake --build "$build_dir" --parallel "$(nproc)" --target "${fuzzers[@]}"
cd "$build_dir"
ctest -L fuzz --output-on-failure -j"$(nproc)"
