#pragma once

namespace qs {

/// True when the processor runs AVX and the F16C half-precision conversions (x86-64 only;
/// false elsewhere). Read once per process.
bool cpuHasF16c();

} // namespace qs
