#include "quant/ggmlfitlanes.h"

#include <atomic>

// The *Lanes fits: this file's own build (baseline, SSE2 on x86-64) or, where the CPU has it, the
// AVX2 build of the same kernels (ggmlfitlanesavx2.cpp). Both give the same bits.

namespace qs::ggml {

#if defined(QUANTSCOPE_AVX2_LANES) && !defined(__AVX2__)
#define QS_DISPATCH_AVX2 1
namespace avx2 {
template <int N>
std::array<AffineFit, kFitLanes> fitAffineKernel(const float *, const float *, const AffineSearch &,
                                                 std::uint8_t *);
template <int N>
std::array<float, kFitLanes> fitSignedKernel(const float *, int, const float *, std::int8_t *);
template <int N>
std::array<float, kFitLanes> fitSignedByValueKernel(const float *, int, std::int8_t *);
} // namespace avx2
#endif

namespace {

std::atomic<bool> baselineOnly{false};

bool useAvx2() {
#if defined(QS_DISPATCH_AVX2)
    static const bool hasAvx2 = __builtin_cpu_supports("avx2");
    return hasAvx2 && !baselineOnly.load(std::memory_order_relaxed);
#else
    return false;
#endif
}

} // namespace

void setLaneWidth(LaneWidth width) {
    baselineOnly.store(width == LaneWidth::Baseline, std::memory_order_relaxed);
}

template <int N>
std::array<AffineFit, kFitLanes> fitAffineLevelsLanes(const float *x, const float *weights,
                                                      const AffineSearch &search, std::uint8_t *levels) {
#if defined(QS_DISPATCH_AVX2)
    if (useAvx2())
        return avx2::fitAffineKernel<N>(x, weights, search, levels);
#endif
    return fitAffineKernel<N>(x, weights, search, levels);
}

template <int N>
std::array<float, kFitLanes> fitSignedLevelsLanes(const float *x, int nmax, const float *weights,
                                                  std::int8_t *levels) {
#if defined(QS_DISPATCH_AVX2)
    if (useAvx2())
        return avx2::fitSignedKernel<N>(x, nmax, weights, levels);
#endif
    return fitSignedKernel<N>(x, nmax, weights, levels);
}

template <int N>
std::array<float, kFitLanes> fitSignedLevelsByValueLanes(const float *x, int nmax, std::int8_t *levels) {
#if defined(QS_DISPATCH_AVX2)
    if (useAvx2())
        return avx2::fitSignedByValueKernel<N>(x, nmax, levels);
#endif
    return fitSignedByValueKernel<N>(x, nmax, levels);
}

template std::array<AffineFit, kFitLanes> fitAffineLevelsLanes<16>(const float *, const float *,
                                                                   const AffineSearch &, std::uint8_t *);
template std::array<AffineFit, kFitLanes> fitAffineLevelsLanes<32>(const float *, const float *,
                                                                   const AffineSearch &, std::uint8_t *);
template std::array<float, kFitLanes> fitSignedLevelsLanes<16>(const float *, int, const float *,
                                                               std::int8_t *);
template std::array<float, kFitLanes> fitSignedLevelsLanes<32>(const float *, int, const float *,
                                                               std::int8_t *);
template std::array<float, kFitLanes> fitSignedLevelsByValueLanes<16>(const float *, int, std::int8_t *);

} // namespace qs::ggml
