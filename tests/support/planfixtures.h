#pragma once

// Plan schemes that set one key, as the plan tests write them. (A designated initializer such as
// {.bits = 8} would do, but GCC 12 warns about every key it leaves out.)

#include "plan/quantplan.h"

namespace qs::test {

inline PlanScheme bitsOnly(int bits) {
    PlanScheme scheme;
    scheme.bits = bits;
    return scheme;
}

inline PlanScheme formatOnly(NumberFormat format) {
    PlanScheme scheme;
    scheme.format = format;
    return scheme;
}

} // namespace qs::test
