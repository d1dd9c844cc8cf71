#include "util/cpufeatures.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace qs {

bool cpuHasF16c() {
#if defined(__x86_64__)
    // Not every compiler knows "f16c" as a feature name: read CPUID leaf 1, ECX bit 29.
    static const bool has = [] {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        return __builtin_cpu_supports("avx") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 &&
               (ecx & (1u << 29)) != 0;
    }();
    return has;
#else
    return false;
#endif
}

bool cpuHasAvx2() {
#if defined(__x86_64__)
    static const bool has = __builtin_cpu_supports("avx2");
    return has;
#else
    return false;
#endif
}

} // namespace qs
