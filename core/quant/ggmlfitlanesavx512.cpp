// The AVX-512 build of the *Lanes fits' kernels (ggmlfitlanes.h): all sixteen lanes in one
// register. Compiled with -mavx512f on x86-64 (core/CMakeLists.txt) and chosen at run time by
// ggmlfitlanes.cpp on CPUs that have it; -ffp-contract=off keeps any multiply-add unfused.
#if defined(__AVX512F__)

#include "quant/ggmlfitlanes.h"

namespace qs::ggml {
inline namespace avx512 {

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

} // namespace avx512
} // namespace qs::ggml

#endif
