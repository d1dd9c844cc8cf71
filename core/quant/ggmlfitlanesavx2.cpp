// The AVX2 build of the *Lanes fits' kernels (ggmlfitlanes.h), compiled with -mavx2 on x86-64
// (core/CMakeLists.txt) and chosen at run time by ggmlfitlanes.cpp on CPUs that have it. AVX2
// adds no rounding step (-mavx2 does not enable FMA, and -ffp-contract=off forbids it anyway).
#if defined(__AVX2__) && !defined(__AVX512F__)

#include "quant/ggmlfitlanes.h"

namespace qs::ggml {
inline namespace avx2 {
#include "quant/ggmlfitlanesinstances.inc"
} // namespace avx2
} // namespace qs::ggml

#endif
