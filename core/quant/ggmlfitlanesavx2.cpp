// The AVX2 build of the *Lanes fits' kernels (ggmlfitlanes.h), compiled with -mavx2 on x86-64
// (core/CMakeLists.txt) and chosen at run time by ggmlfitlanes.cpp on CPUs that have it. AVX2
// adds no rounding step (-mavx2 does not enable FMA, and -ffp-contract=off forbids it anyway).
#if defined(__AVX2__) && !defined(__AVX512F__)

#include "quant/ggmlfitlanes.h"

namespace qs::ggml {
inline namespace avx2 {

template std::array<AffineFit, kFitLanes> fitAffineKernel<16>(const float *, const float *,
                                                              const AffineSearch &, std::uint8_t *);
template std::array<AffineFit, kFitLanes> fitAffineKernel<32>(const float *, const float *,
                                                              const AffineSearch &, std::uint8_t *);
template std::array<float, kFitLanes> fitSignedKernel<16>(const float *, int, const float *, std::int8_t *);
template std::array<float, kFitLanes> fitSignedKernel<32>(const float *, int, const float *, std::int8_t *);
template std::array<float, kFitLanes> fitSignedByValueKernel<16>(const float *, int, std::int8_t *);
template void requantizeKernel<16>(const float *, int, const float *, const float *, float, float,
                                   std::uint8_t *);
template void requantizeKernel<16>(const float *, int, const float *, const float *, float, float,
                                   std::int8_t *);
template void requantizeKernel<32>(const float *, int, const float *, const float *, float, float,
                                   std::uint8_t *);

} // namespace avx2
} // namespace qs::ggml

#endif
