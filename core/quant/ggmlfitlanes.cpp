#include "quant/ggmlfitlanes.h"

#include <atomic>

// The *Lanes fits: this file's own build (baseline, SSE2 on x86-64) or, where the CPU has them,
// the AVX2 or AVX-512 build of the same kernels (ggmlfitlanesavx2.cpp, ggmlfitlanesavx512.cpp).
// All give the same bits.

namespace qs::ggml {

#if defined(QUANTSCOPE_WIDE_LANES) && !defined(__AVX2__)
#define QS_DISPATCH_WIDE 1
#define QS_DECLARE_KERNELS(isa)                                                                              \
    namespace isa {                                                                                          \
    template <int N>                                                                                         \
    std::array<AffineFit, kFitLanes> fitAffineKernel(const float *, const float *, const AffineSearch &,     \
                                                     std::uint8_t *);                                        \
    template <int N>                                                                                         \
    std::array<float, kFitLanes> fitSignedKernel(const float *, int, const float *, std::int8_t *);          \
    template <int N>                                                                                         \
    std::array<float, kFitLanes> fitSignedByValueKernel(const float *, int, std::int8_t *);                  \
    template <int N, typename Level>                                                                         \
    void requantizeKernel(const float *, int, const float *, const float *, float, float, Level *);          \
    template <int N>                                                                                         \
    void legacyBlocksKernel(const float *, std::size_t, std::uint8_t *);                                     \
    }
QS_DECLARE_KERNELS(avx2)
QS_DECLARE_KERNELS(avx512)
#undef QS_DECLARE_KERNELS
#endif

namespace {

std::atomic<LaneWidth> widthLimit{LaneWidth::Widest};

enum class Build { Own, Avx2, Avx512 };

Build buildToUse() {
#if defined(QS_DISPATCH_WIDE)
    static const bool hasAvx512 = __builtin_cpu_supports("avx512f");
    static const bool hasAvx2 = __builtin_cpu_supports("avx2");
    const LaneWidth limit = widthLimit.load(std::memory_order_relaxed);
    if (hasAvx512 && limit == LaneWidth::Widest)
        return Build::Avx512;
    if (hasAvx2 && limit != LaneWidth::Baseline)
        return Build::Avx2;
#endif
    return Build::Own;
}

} // namespace

void setLaneWidth(LaneWidth width) {
    widthLimit.store(width, std::memory_order_relaxed);
}

#if defined(QS_DISPATCH_WIDE)
// Calls kernel<N>(args...) (further template arguments deduced) of the build the CPU and setLaneWidth allow.
#define QS_DISPATCH(kernel, ...)                                                                             \
    switch (buildToUse()) {                                                                                  \
    case Build::Avx512:                                                                                      \
        return avx512::kernel<N>(__VA_ARGS__);                                                               \
    case Build::Avx2:                                                                                        \
        return avx2::kernel<N>(__VA_ARGS__);                                                                 \
    case Build::Own:                                                                                         \
        break;                                                                                               \
    }                                                                                                        \
    return kernel<N>(__VA_ARGS__);
#else
#define QS_DISPATCH(kernel, ...) return kernel<N>(__VA_ARGS__);
#endif

template <int N>
std::array<AffineFit, kFitLanes> fitAffineLevelsLanes(const float *x, const float *weights,
                                                      const AffineSearch &search, std::uint8_t *levels) {
    QS_DISPATCH(fitAffineKernel, x, weights, search, levels)
}

template <int N>
std::array<float, kFitLanes> fitSignedLevelsLanes(const float *x, int nmax, const float *weights,
                                                  std::int8_t *levels) {
    QS_DISPATCH(fitSignedKernel, x, nmax, weights, levels)
}

template <int N>
std::array<float, kFitLanes> fitSignedLevelsByValueLanes(const float *x, int nmax, std::int8_t *levels) {
    QS_DISPATCH(fitSignedByValueKernel, x, nmax, levels)
}

template <int N, typename Level>
void requantizeGroups(const float *x, int groups, const float *dl, const float *ml, float lo, float hi,
                      Level *levels) {
    QS_DISPATCH(requantizeKernel, x, groups, dl, ml, lo, hi, levels)
}

namespace {

template <int N>
void legacyBlocks(const float *x, std::size_t blocks, std::uint8_t *out) {
    QS_DISPATCH(legacyBlocksKernel, x, blocks, out)
}

} // namespace

bool encodeLegacyBlocks(GgmlType type, const float *x, std::size_t blocks, std::uint8_t *out) {
    switch (type) {
    case GgmlType::Q4_0:
        legacyBlocks<int(GgmlType::Q4_0)>(x, blocks, out);
        return true;
    case GgmlType::Q4_1:
        legacyBlocks<int(GgmlType::Q4_1)>(x, blocks, out);
        return true;
    case GgmlType::Q5_0:
        legacyBlocks<int(GgmlType::Q5_0)>(x, blocks, out);
        return true;
    case GgmlType::Q5_1:
        legacyBlocks<int(GgmlType::Q5_1)>(x, blocks, out);
        return true;
    case GgmlType::Q8_0:
        legacyBlocks<int(GgmlType::Q8_0)>(x, blocks, out);
        return true;
    default:
        return false;
    }
}

#undef QS_DISPATCH

template std::array<AffineFit, kFitLanes> fitAffineLevelsLanes<16>(const float *, const float *,
                                                                   const AffineSearch &, std::uint8_t *);
template std::array<AffineFit, kFitLanes> fitAffineLevelsLanes<32>(const float *, const float *,
                                                                   const AffineSearch &, std::uint8_t *);
template std::array<float, kFitLanes> fitSignedLevelsLanes<16>(const float *, int, const float *,
                                                               std::int8_t *);
template std::array<float, kFitLanes> fitSignedLevelsLanes<32>(const float *, int, const float *,
                                                               std::int8_t *);
template std::array<float, kFitLanes> fitSignedLevelsByValueLanes<16>(const float *, int, std::int8_t *);
template void requantizeGroups<16>(const float *, int, const float *, const float *, float, float,
                                   std::uint8_t *);
template void requantizeGroups<16>(const float *, int, const float *, const float *, float, float,
                                   std::int8_t *);
template void requantizeGroups<32>(const float *, int, const float *, const float *, float, float,
                                   std::uint8_t *);

} // namespace qs::ggml
