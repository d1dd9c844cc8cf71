// The baseline build of the lane kernels and the choice, once per process, of the widest build
// the CPU runs (statkernelsavx2.cpp, statkernelsavx512.cpp).
#include "stats/statkernels.h"

#include "quant/quantizer.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace qs::detail {

constinit thread_local PrefetchStream t_prefetchStream [[gnu::tls_model("initial-exec")]];

StreamNext::StreamNext(const void *bytes, std::size_t size)
    : m_outer(t_prefetchStream) {
    const auto *at = static_cast<const char *>(bytes);
    t_prefetchStream = at != nullptr ? PrefetchStream{at, at + size} : PrefetchStream{};
}

StreamNext::~StreamNext() {
    t_prefetchStream = m_outer;
}

namespace sse2 {
#include "stats/statkernels.inc"
} // namespace sse2

#if defined(QUANTSCOPE_WIDE_LANES)
#define QS_DECLARE_LANE_KERNELS(isa)                                                                         \
    namespace isa {                                                                                          \
    LaneScan scanImpl(const float *x, std::size_t n);                                                        \
    LaneSpread spreadImpl(const float *x, std::size_t n, float mean, const LaneBinning &binning,             \
                          std::uint32_t *counts);                                                            \
    LaneCompare compareImpl(const float *x, const float *y, std::size_t n);                                  \
    LaneError errorImpl(const float *x, std::size_t n, const LaneErrorSetup &setup, std::uint32_t *counts);  \
    LaneSpreadError spreadErrorImpl(const float *x, std::size_t n, float mean, const LaneBinning &binning,   \
                                    std::uint32_t *counts, const LaneErrorSetup &setup,                      \
                                    std::uint32_t *errorCounts);                                             \
    bool allFiniteImpl(const float *x, std::size_t n);                                                       \
    LaneError errorRunsImpl(const float *x, std::size_t n, const LaneErrorSetup *runs,                       \
                            std::size_t runLength, std::size_t offset);                                      \
    LaneRange rangeImpl(const float *x, std::size_t n);                                                      \
    void runRangesImpl(const float *x, std::size_t runCount, std::size_t runLength, LaneRange *out);         \
    LaneClipCount clipCountImpl(const float *x, std::size_t n, float below, float above);                    \
    void fakeQuantizeImpl(const float *x, float *y, std::size_t n, const LaneQuant &quant);                  \
    LaneMomentSums momentSumsImpl(const float *x, std::size_t n);                                            \
    LaneCentralSums centralSumsImpl(const float *x, std::size_t n, double mean);                             \
    float finiteAbsMaxImpl(const float *x, std::size_t n);                                                   \
    void miniFloatScaledImpl(MiniFloat format, const float *x, float *y, std::size_t n, float scale);        \
    void mxBlocksImpl(MxFormat format, const float *x, float *y, std::size_t blocks, float *scales);         \
    void nvFp4BlocksImpl(const float *x, float *y, std::size_t blocks, float globalScale, float *scales);    \
    void nf4BlocksImpl(const float *x, float *y, std::size_t blocks, float *absmax);                         \
    }
QS_DECLARE_LANE_KERNELS(avx2)
QS_DECLARE_LANE_KERNELS(avx512)
#undef QS_DECLARE_LANE_KERNELS
#endif

namespace {

enum class Isa { Sse2, Avx2, Avx512 };

constexpr const char *kIsaNames[] = {"sse2", "avx2", "avx512"};

Isa widestIsa() {
#if defined(QUANTSCOPE_WIDE_LANES)
    static const Isa isa = __builtin_cpu_supports("avx512f") ? Isa::Avx512
                           : __builtin_cpu_supports("avx2")  ? Isa::Avx2
                                                             : Isa::Sse2;
    return isa;
#else
    return Isa::Sse2;
#endif
}

// A build the tests chose (setLaneKernelIsa), or -1 for the widest.
std::atomic<int> g_forcedIsa{-1};

Isa chosenIsa() {
    const int forced = g_forcedIsa.load(std::memory_order_relaxed);
    return forced >= 0 ? Isa(forced) : widestIsa();
}

} // namespace

#if defined(QUANTSCOPE_WIDE_LANES)
#define QS_LANE_DISPATCH(fn, ...)                                                                            \
    switch (chosenIsa()) {                                                                                   \
    case Isa::Avx512:                                                                                        \
        return avx512::fn(__VA_ARGS__);                                                                      \
    case Isa::Avx2:                                                                                          \
        return avx2::fn(__VA_ARGS__);                                                                        \
    case Isa::Sse2:                                                                                          \
        break;                                                                                               \
    }                                                                                                        \
    return sse2::fn(__VA_ARGS__)
#else
#define QS_LANE_DISPATCH(fn, ...) return sse2::fn(__VA_ARGS__)
#endif

LaneQuant LaneQuant::of(const QuantParams &p) {
    LaneQuant q;
    q.setFrom(p);
    return q;
}

void LaneQuant::setFrom(const QuantParams &p) {
    inverse = inverseScale(p);
    below = float(p.qmin - p.zeroPoint) - 1.0f;
    above = float(p.qmax - p.zeroPoint) + 1.0f;
    zeroPoint = float(p.zeroPoint);
    qmin = float(p.qmin);
    qmax = float(p.qmax);
    scale = p.scale;
}

void laneFakeQuantize(const float *x, float *y, std::size_t n, const LaneQuant &quant) {
    QS_LANE_DISPATCH(fakeQuantizeImpl, x, y, n, quant);
}

LaneScan laneScan(const float *x, std::size_t n) {
    QS_LANE_DISPATCH(scanImpl, x, n);
}

LaneSpread laneSpread(const float *x, std::size_t n, float mean, const LaneBinning &bins,
                      std::uint32_t *counts) {
    QS_LANE_DISPATCH(spreadImpl, x, n, mean, bins, counts);
}

LaneCompare laneCompare(const float *x, const float *y, std::size_t n) {
    QS_LANE_DISPATCH(compareImpl, x, y, n);
}

LaneError laneError(const float *x, std::size_t n, const LaneErrorSetup &setup, std::uint32_t *counts) {
    QS_LANE_DISPATCH(errorImpl, x, n, setup, counts);
}

LaneSpreadError laneSpreadError(const float *x, std::size_t n, float mean, const LaneBinning &bins,
                                std::uint32_t *counts, const LaneErrorSetup &setup,
                                std::uint32_t *errorCounts) {
    QS_LANE_DISPATCH(spreadErrorImpl, x, n, mean, bins, counts, setup, errorCounts);
}

LaneError laneErrorRuns(const float *x, std::size_t n, const LaneErrorSetup *runs, std::size_t runLength,
                        std::size_t offset) {
    QS_LANE_DISPATCH(errorRunsImpl, x, n, runs, runLength, offset);
}

bool laneAllFinite(const float *x, std::size_t n) {
    QS_LANE_DISPATCH(allFiniteImpl, x, n);
}

float laneFiniteAbsMax(const float *x, std::size_t n) {
    QS_LANE_DISPATCH(finiteAbsMaxImpl, x, n);
}

void laneMiniFloatScaled(MiniFloat format, const float *x, float *y, std::size_t n, float scale) {
    QS_LANE_DISPATCH(miniFloatScaledImpl, format, x, y, n, scale);
}

void laneMxBlocks(MxFormat format, const float *x, float *y, std::size_t blocks, float *scales) {
    QS_LANE_DISPATCH(mxBlocksImpl, format, x, y, blocks, scales);
}

void laneNvFp4Blocks(const float *x, float *y, std::size_t blocks, float globalScale, float *scales) {
    QS_LANE_DISPATCH(nvFp4BlocksImpl, x, y, blocks, globalScale, scales);
}

void laneNf4Blocks(const float *x, float *y, std::size_t blocks, float *absmax) {
    QS_LANE_DISPATCH(nf4BlocksImpl, x, y, blocks, absmax);
}

LaneRange laneRange(const float *x, std::size_t n) {
    QS_LANE_DISPATCH(rangeImpl, x, n);
}

void laneRunRanges(const float *x, std::size_t runCount, std::size_t runLength, LaneRange *out) {
    QS_LANE_DISPATCH(runRangesImpl, x, runCount, runLength, out);
}

LaneClipCount laneClipCount(const float *x, std::size_t n, float below, float above) {
    QS_LANE_DISPATCH(clipCountImpl, x, n, below, above);
}

LaneMomentSums laneMomentSums(const float *x, std::size_t n) {
    QS_LANE_DISPATCH(momentSumsImpl, x, n);
}

LaneCentralSums laneCentralSums(const float *x, std::size_t n, double mean) {
    QS_LANE_DISPATCH(centralSumsImpl, x, n, mean);
}

const char *laneKernelIsa() {
    return kIsaNames[int(chosenIsa())];
}

std::vector<std::string> laneKernelIsas() {
    std::vector<std::string> isas;
    for (int i = 0; i <= int(widestIsa()); ++i)
        isas.emplace_back(kIsaNames[i]);
    return isas;
}

bool setLaneKernelIsa(const std::string &isa) {
    if (isa.empty()) {
        g_forcedIsa = -1;
        return true;
    }
    for (int i = 0; i <= int(widestIsa()); ++i)
        if (isa == kIsaNames[i]) {
            g_forcedIsa = i;
            return true;
        }
    return false;
}

} // namespace qs::detail
