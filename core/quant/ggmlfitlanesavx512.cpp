// The AVX-512 build of the *Lanes fits' kernels (ggmlfitlanes.h): all sixteen lanes in one
// register. Compiled with -mavx512f on x86-64 (core/CMakeLists.txt) and chosen at run time by
// ggmlfitlanes.cpp on CPUs that have it; -ffp-contract=off keeps any multiply-add unfused.
#if defined(__AVX512F__)

#include "quant/ggmlfitlanes.h"

namespace qs::ggml {
inline namespace avx512 {
#include "quant/ggmlfitlanesinstances.inc"
} // namespace avx512
} // namespace qs::ggml

#endif
