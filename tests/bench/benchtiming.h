#pragma once

// What every timing program shares: weight-like values, the median of repeated runs, and the
// load average that says how far to trust the figures.

#include "stats/statkernels.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace qs::bench {

using Clock = std::chrono::steady_clock;

// Weight-like values: normal with a few outliers, so clipping and the sweep have work to do.
inline std::vector<float> weights(std::size_t n) {
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> values(n);
    for (float &v : values)
        v = normal(rng);
    for (std::size_t i = 0; i < n; i += 4099)
        values[i] *= 12.0f;
    return values;
}

// Whether QS_BENCH_STAT=min asks for the fastest run instead of the median: on a machine other
// work keeps busy, the fastest of many runs is the figure least disturbed by it.
inline bool fastestRun() {
    const char *stat = std::getenv("QS_BENCH_STAT");
    return stat && std::string(stat) == "min";
}

// The median (or, see fastestRun, the minimum) of runs timings of step, in milliseconds.
inline double medianMs(int runs, const std::function<void()> &step) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        const auto start = Clock::now();
        step();
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    if (fastestRun())
        return *std::min_element(times.begin(), times.end());
    std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
    return times[std::size_t(runs / 2)];
}

// QS_BENCH_ISA=sse2, avx2 or avx512 times the lane kernels of that build instead of the widest
// this processor runs: what a machine without the wider instructions would get.
inline void chooseLaneIsa() {
    const char *isa = std::getenv("QS_BENCH_ISA");
    if (isa && !qs::detail::setLaneKernelIsa(isa)) {
        std::fprintf(stderr, "error: QS_BENCH_ISA=%s: this processor does not run that build\n", isa);
        std::exit(1);
    }
}

// Other work on the machine slows every figure; the load average says how much to trust them.
inline std::string loadAverage() {
    std::ifstream file("/proc/loadavg");
    std::string oneMinute;
    file >> oneMinute;
    return oneMinute.empty() ? std::string("unknown") : oneMinute;
}

} // namespace qs::bench
