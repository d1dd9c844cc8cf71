// The AVX-512 build of the lane kernels (statkernels.inc), compiled with -mavx512f on
// x86-64 (core/CMakeLists.txt) and chosen at run time by statkernels.cpp on CPUs that have it.
#include "stats/statkernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#if defined(QUANTSCOPE_WIDE_LANES)
#include <immintrin.h> // the round instruction (statkernels.inc, LaneQuantizer)
#endif

#if defined(QUANTSCOPE_WIDE_LANES)
namespace qs::detail::avx512 {
#include "stats/statkernels.inc"
} // namespace qs::detail::avx512
#endif
