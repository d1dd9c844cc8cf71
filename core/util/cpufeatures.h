#pragma once

namespace qs {

/// True when the processor runs AVX and the F16C half-precision conversions (x86-64 only;
/// false elsewhere). Read once per process.
bool cpuHasF16c();
/// True when the processor runs AVX2 (x86-64 only; false elsewhere). Read once per process.
bool cpuHasAvx2();

} // namespace qs
