#include "quant/ggmlfit.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>

// Every expression below keeps ggml's float32 operand order: a·b·c is (a·b)·c, sums run from the
// first value to the last, and integers join as floats where ggml's C promotes them.

namespace qs::ggml {

std::uint16_t fp16Bits(float value) {
    return Eigen::numext::bit_cast<std::uint16_t>(Eigen::half(value));
}

float fp16Value(std::uint16_t bits) {
    return float(Eigen::numext::bit_cast<Eigen::half>(bits));
}

namespace {

// The value of largest magnitude (the first of them), or 0 if all are zero.
struct SignedMax {
    float value = 0.0f;
    float magnitude = 0.0f;
};

SignedMax signedMax(std::span<const float> x) {
    SignedMax best;
    for (float v : x) {
        if (std::fabs(v) > best.magnitude)
            best = {v, std::fabs(v)};
    }
    return best;
}

int clampLevel(int level, int lo, int hi) {
    return std::max(lo, std::min(hi, level));
}

struct WeightedSums {
    float sumLX = 0.0f; // Σ w·x·l
    float sumL2 = 0.0f; // Σ w·l·l
};

float weightOf(std::span<const float> x, std::span<const float> weights, std::size_t i) {
    return weights.empty() ? x[i] * x[i] : weights[i];
}

WeightedSums signedSums(std::span<const float> x, std::span<const float> weights, int nmax, float iscale) {
    WeightedSums sums;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float l = float(clampLevel(nearestInt(iscale * x[i]), -nmax, nmax - 1));
        const float w = weightOf(x, weights, i);
        sums.sumLX += w * x[i] * l;
        sums.sumL2 += w * l * l;
    }
    return sums;
}

void storeSignedLevels(std::span<const float> x, int nmax, float iscale, std::span<std::int8_t> levels) {
    for (std::size_t i = 0; i < x.size(); ++i)
        levels[i] = std::int8_t(nmax + clampLevel(nearestInt(iscale * x[i]), -nmax, nmax - 1));
}

} // namespace

float fitSignedLevels(std::span<const float> x, int nmax, std::span<const float> weights,
                      std::span<std::int8_t> levels) {
    const SignedMax max = signedMax(x);
    if (max.magnitude < kGroupMaxEps) {
        std::fill(levels.begin(), levels.end(), std::int8_t(0));
        return 0.0f;
    }
    float iscale = float(-nmax) / max.value;
    storeSignedLevels(x, nmax, iscale, levels);
    WeightedSums sums = signedSums(x, weights, nmax, iscale);
    float scale = sums.sumL2 != 0.0f ? sums.sumLX / sums.sumL2 : 0.0f;
    float best = scale * sums.sumLX;
    for (int step = -9; step <= 9; ++step) {
        if (step == 0)
            continue;
        iscale = -(float(nmax) + 0.1f * float(step)) / max.value;
        sums = signedSums(x, weights, nmax, iscale);
        if (sums.sumL2 > 0.0f && sums.sumLX * sums.sumLX > best * sums.sumL2) {
            storeSignedLevels(x, nmax, iscale, levels);
            scale = sums.sumLX / sums.sumL2;
            best = scale * sums.sumLX;
        }
    }
    return scale;
}

namespace {

// One sweep of make_q3_quants: each value moves to the level that the fit without it suggests,
// when that improves sumLX² / sumL2. Returns how many values moved.
int refineByValue(std::span<const float> x, int nmax, std::span<std::int8_t> levels, WeightedSums &sums) {
    int changed = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float w = x[i] * x[i];
        const float old = float(levels[i]);
        float slx = sums.sumLX - w * x[i] * old;
        if (!(slx > 0.0f))
            continue;
        float sl2 = sums.sumL2 - w * old * old;
        const int level = clampLevel(nearestInt(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (level == levels[i])
            continue;
        slx += w * x[i] * float(level);
        sl2 += w * float(level) * float(level);
        if (sl2 > 0.0f && slx * slx * sums.sumL2 > sums.sumLX * sums.sumLX * sl2) {
            levels[i] = std::int8_t(level);
            sums = {slx, sl2};
            ++changed;
        }
    }
    return changed;
}

} // namespace

float fitSignedLevelsByValue(std::span<const float> x, int nmax, std::span<std::int8_t> levels) {
    const SignedMax max = signedMax(x);
    if (max.magnitude < kGroupMaxEps) {
        std::fill(levels.begin(), levels.end(), std::int8_t(0));
        return 0.0f;
    }
    const float iscale = float(-nmax) / max.value;
    WeightedSums sums;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const int level = clampLevel(nearestInt(iscale * x[i]), -nmax, nmax - 1);
        levels[i] = std::int8_t(level);
        const float w = x[i] * x[i];
        sums.sumLX += w * x[i] * float(level);
        sums.sumL2 += w * float(level) * float(level);
    }
    for (int sweep = 0; sweep < 5; ++sweep) {
        if (refineByValue(x, nmax, levels, sums) == 0)
            break;
    }
    for (std::int8_t &level : levels)
        level = std::int8_t(level + nmax);
    return sums.sumL2 > 0.0f ? sums.sumLX / sums.sumL2 : 0.0f;
}

namespace {

float errorOf(float diff, bool absolute) {
    return absolute ? std::fabs(diff) : diff * diff;
}

// Weighted error of levels under x ≈ scale · level + offset.
float fitError(std::span<const float> x, std::span<const float> weights, std::span<const std::uint8_t> levels,
               float scale, float offset, bool absolute) {
    float error = 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i)
        error += weights[i] * errorOf(scale * float(levels[i]) + offset - x[i], absolute);
    return error;
}

void quantizeAffine(std::span<const float> x, float iscale, float offset, int nmax,
                    std::span<std::uint8_t> levels) {
    for (std::size_t i = 0; i < x.size(); ++i)
        levels[i] = std::uint8_t(clampLevel(nearestInt(iscale * (x[i] - offset)), 0, nmax));
}

struct LevelSums {
    float sumL = 0.0f;  // Σ w·l
    float sumL2 = 0.0f; // Σ w·l·l
    float sumXL = 0.0f; // Σ w·l·x
};

LevelSums levelSums(std::span<const float> x, std::span<const float> weights,
                    std::span<const std::uint8_t> levels) {
    LevelSums sums;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float w = weights[i];
        const float l = float(levels[i]);
        sums.sumL += w * l;
        sums.sumL2 += w * l * l;
        sums.sumXL += w * l * x[i];
    }
    return sums;
}

} // namespace

AffineFit fitAffineLevels(std::span<const float> x, std::span<const float> weights,
                          const AffineSearch &search, std::span<std::uint8_t> levels) {
    float min = x[0];
    float max = x[0];
    float sumW = weights[0];
    float sumX = sumW * x[0];
    for (std::size_t i = 1; i < x.size(); ++i) {
        min = x[i] < min ? x[i] : min;
        max = x[i] > max ? x[i] : max;
        sumW += weights[i];
        sumX += weights[i] * x[i];
    }
    if (min > 0.0f)
        min = 0.0f;
    if (max == min) {
        std::fill(levels.begin(), levels.end(), std::uint8_t(0));
        return {0.0f, -min};
    }
    const float nmax = float(search.nmax);
    float iscale = nmax / (max - min);
    float scale = 1.0f / iscale;
    quantizeAffine(x, iscale, min, search.nmax, levels);
    float bestError = fitError(x, weights, levels, scale, min, search.absoluteError);

    std::array<std::uint8_t, kMaxAffineGroup> trial{};
    const std::span<std::uint8_t> trialLevels(trial.data(), std::min(x.size(), trial.size()));
    for (int step = 0; step <= search.steps; ++step) {
        iscale = (search.rmin + search.rdelta * float(step) + nmax) / (max - min);
        quantizeAffine(x, iscale, min, search.nmax, trialLevels);
        const LevelSums s = levelSums(x, weights, trialLevels);
        const float det = sumW * s.sumL2 - s.sumL * s.sumL;
        if (!(det > 0.0f))
            continue;
        float trialScale = (sumW * s.sumXL - sumX * s.sumL) / det;
        float trialMin = (s.sumL2 * sumX - s.sumL * s.sumXL) / det;
        if (trialMin > 0.0f) {
            trialMin = 0.0f;
            trialScale = s.sumXL / s.sumL2;
        }
        const float error = fitError(x, weights, trialLevels, trialScale, trialMin, search.absoluteError);
        if (error < bestError) {
            std::copy(trialLevels.begin(), trialLevels.end(), levels.begin());
            bestError = error;
            scale = trialScale;
            min = trialMin;
        }
    }
    return {scale, -min};
}

namespace {

// Σ w·(x - scale·level)² for the levels nearest_int(iscale·x), capped at nmax.
float positiveFitError(std::span<const float> x, std::span<const float> weights, int nmax, float iscale) {
    const float scale = 1.0f / iscale;
    float error = 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const int level = std::min(nmax, nearestInt(iscale * x[i]));
        const float diff = x[i] - scale * float(level);
        error += weights[i] * diff * diff;
    }
    return error;
}

// make_qp_quants's sweeps: as refineByValue, with the given weights and no lower clamp.
int refinePositive(std::span<const float> x, int nmax, std::span<const float> weights,
                   std::span<std::uint8_t> levels, WeightedSums &sums) {
    int changed = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float w = weights[i];
        const float old = float(levels[i]);
        float slx = sums.sumLX - w * x[i] * old;
        float sl2 = sums.sumL2 - w * old * old;
        if (!(slx > 0.0f && sl2 > 0.0f))
            continue;
        const int level = std::min(nmax, nearestInt(x[i] * sl2 / slx));
        if (level == levels[i])
            continue;
        slx += w * x[i] * float(level);
        sl2 += w * float(level) * float(level);
        if (slx * slx * sums.sumL2 > sums.sumLX * sums.sumLX * sl2) {
            levels[i] = std::uint8_t(level);
            sums = {slx, sl2};
            ++changed;
        }
    }
    return changed;
}

} // namespace

float fitPositiveLevels(std::span<const float> x, int nmax, std::span<const float> weights,
                        std::span<std::uint8_t> levels) {
    float max = 0.0f;
    for (float v : x)
        max = max > v ? max : v;
    if (max < kGroupMaxEps) {
        std::fill(levels.begin(), levels.end(), std::uint8_t(0));
        return 0.0f;
    }
    float iscale = float(nmax) / max;
    // The first error uses the uncapped levels, stored as uint8_t like ggml's.
    for (std::size_t i = 0; i < x.size(); ++i)
        levels[i] = std::uint8_t(nearestInt(iscale * x[i]));
    const float scale = 1.0f / iscale;
    float bestError = 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float diff = x[i] - scale * float(levels[i]);
        bestError += weights[i] * diff * diff;
    }
    for (int step = -4; step <= 4; ++step) {
        if (step == 0)
            continue;
        const float trial = (0.1f * float(step) + float(nmax)) / max;
        const float error = positiveFitError(x, weights, nmax, trial);
        if (error < bestError) {
            bestError = error;
            iscale = trial;
        }
    }
    WeightedSums sums;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const int level = std::min(nmax, nearestInt(iscale * x[i]));
        levels[i] = std::uint8_t(level);
        sums.sumLX += weights[i] * x[i] * float(level);
        sums.sumL2 += weights[i] * float(level) * float(level);
    }
    for (int sweep = 0; sweep < 5; ++sweep) {
        if (refinePositive(x, nmax, weights, levels, sums) == 0)
            break;
    }
    return sums.sumL2 > 0.0f ? sums.sumLX / sums.sumL2 : 0.0f;
}

void importanceWeights(std::span<const float> x, const float *importance, float meanSquare,
                       std::span<float> out) {
    for (std::size_t i = 0; i < x.size(); ++i)
        out[i] = importance[i] * std::sqrt(meanSquare + x[i] * x[i]);
}

float sumOfSquares(std::span<const float> x) {
    float sum = 0.0f;
    for (float v : x)
        sum += v * v;
    return sum;
}

PackedScaleMin unpackScaleMinK4(const std::uint8_t *packed, int j) {
    if (j < 4)
        return {std::uint8_t(packed[j] & 63), std::uint8_t(packed[j + 4] & 63)};
    return {std::uint8_t((packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4)),
            std::uint8_t((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))};
}

int unpackScaleQ3K(const std::uint8_t *packed, int j) {
    const int low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4;
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | (high << 4)) - 32;
}

} // namespace qs::ggml
