#pragma once

// Double limits as float limits that select the same float values, so a hot loop over float32
// data compares in float: for a float x, x < lo exactly when x < smallestFloatNotBelow(lo), and
// x > hi exactly when x > largestFloatNotAbove(hi).

#include <cmath>
#include <limits>

namespace qs {

inline float smallestFloatNotBelow(double v) {
    const float f = float(v);
    return double(f) < v ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

inline float largestFloatNotAbove(double v) {
    const float f = float(v);
    return double(f) > v ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}

} // namespace qs
