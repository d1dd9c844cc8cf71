#pragma once

// A spec from its parts, as the scheme tests write them.

#include "quant/granularity.h"
#include "quant/quantspec.h"

namespace qs::test {

inline QuantSpec schemeOf(NumberFormat format, const char *granularity = "tensor", int bits = 8,
                          Scheme scheme = Scheme::Symmetric) {
    QuantSpec spec;
    spec.format = format;
    spec.bits = bits;
    spec.scheme = scheme;
    spec.granularity = parseGranularity(granularity).value();
    return spec;
}

} // namespace qs::test
