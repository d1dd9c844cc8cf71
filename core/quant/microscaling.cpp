#include "quant/microscaling.h"

#include "quant/blocklayout.h"
#include "quant/elementwise.h"
#include "quant/minifloatkernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr float kLargestFloat = std::numeric_limits<float>::max();
constexpr float kE2M1Max = detail::kMaxValue<MiniFloat::E2M1>;
constexpr float kE4M3Max = detail::kMaxValue<MiniFloat::E4M3>;

bool positiveFinite(float v) {
    return v > 0.0f && v <= kLargestFloat;
}

// The scale is a power of two, so multiplying by its exact inverse gives the same bits as
// dividing, and s · e is exact: only the element rounding loses information.
template <MiniFloat F>
void mxKernel(const float *in, float *out, std::size_t n, float scale) {
    const float inverse = 1.0f / scale;
    detail::mapElements(in, out, n, [=](float x) { return scale * detail::roundTo<F>(x * inverse); });
}

void nvFp4Kernel(const float *in, float *out, std::size_t n, float blockScale, float globalScale) {
    detail::mapElements(in, out, n, [=](float x) {
        return blockScale * detail::roundTo<MiniFloat::E2M1>(x * globalScale / blockScale) / globalScale;
    });
}

// Runs blockFn(in block, out block) over each row's blocks and collects what it returns.
template <typename BlockFn>
Result<std::vector<float>> forEachRowBlock(std::span<const float> in, std::span<float> out, std::size_t rows,
                                           std::size_t cols, std::size_t blockSize, BlockFn &&blockFn) {
    if (Status status = checkRowBlocks(in.size(), out.size(), rows, cols, blockSize, "block"); !status)
        return Error{status.error()};
    std::vector<float> scales;
    scales.reserve(in.size() / blockSize);
    for (std::size_t begin = 0; begin < in.size(); begin += blockSize)
        scales.push_back(blockFn(in.subspan(begin, blockSize), out.subspan(begin, blockSize)));
    return scales;
}

} // namespace

std::string_view mxFormatName(MxFormat format) {
    return format == MxFormat::MxFp4 ? "mxfp4" : "mxfp8";
}

MiniFloat mxElementFormat(MxFormat format) {
    return format == MxFormat::MxFp4 ? MiniFloat::E2M1 : MiniFloat::E4M3;
}

int mxElementEmax(MxFormat format) {
    return format == MxFormat::MxFp4 ? 2 : 8;
}

float mxScale(MxFormat format, float amax) {
    int exponent = kE8M0MinExponent;
    if (positiveFinite(amax)) // ilogb is floor(log2), exact, also for subnormal amax
        exponent = std::clamp(std::ilogb(amax) - mxElementEmax(format), kE8M0MinExponent, kE8M0MaxExponent);
    return std::ldexp(1.0f, exponent);
}

float fakeQuantizeMxBlock(MxFormat format, std::span<const float> in, std::span<float> out) {
    const float scale = mxScale(format, finiteAbsMax(in));
    const std::size_t n = std::min(in.size(), out.size());
    if (format == MxFormat::MxFp4)
        mxKernel<MiniFloat::E2M1>(in.data(), out.data(), n, scale);
    else
        mxKernel<MiniFloat::E4M3>(in.data(), out.data(), n, scale);
    return scale;
}

Result<std::vector<float>> fakeQuantizeMx(MxFormat format, std::span<const float> in, std::span<float> out,
                                          std::size_t rows, std::size_t cols) {
    return forEachRowBlock(in, out, rows, cols, kMxBlockSize, [format](auto blockIn, auto blockOut) {
        return fakeQuantizeMxBlock(format, blockIn, blockOut);
    });
}

double mxBitsPerWeight(MxFormat format) {
    return miniFloatInfo(mxElementFormat(format)).bits + 8.0 / double(kMxBlockSize);
}

float nvFp4GlobalScale(float tensorAmax) {
    if (!positiveFinite(tensorAmax))
        return kLargestFloat;
    return std::min(kE4M3Max * kE2M1Max / tensorAmax, kLargestFloat);
}

float nvFp4BlockScale(float globalScale, float blockAmax) {
    if (!positiveFinite(globalScale))
        return 0.0f;
    return detail::roundTo<MiniFloat::E4M3>(globalScale * blockAmax / kE2M1Max);
}

float fakeQuantizeNvFp4Block(std::span<const float> in, std::span<float> out, float globalScale) {
    const std::size_t n = std::min(in.size(), out.size());
    const float blockScale = nvFp4BlockScale(globalScale, finiteAbsMax(in));
    // Also catches the NaN scale a caller's Inf or NaN block amax would give.
    if (!positiveFinite(blockScale)) {
        fillZeroKeepingNan(in.first(n), out.first(n));
        return 0.0f;
    }
    nvFp4Kernel(in.data(), out.data(), n, blockScale, globalScale);
    return blockScale;
}

Result<std::vector<float>> fakeQuantizeNvFp4(std::span<const float> in, std::span<float> out,
                                             std::size_t rows, std::size_t cols, float globalScale) {
    return forEachRowBlock(in, out, rows, cols, kNvFp4BlockSize, [globalScale](auto blockIn, auto blockOut) {
        return fakeQuantizeNvFp4Block(blockIn, blockOut, globalScale);
    });
}

double nvFp4BitsPerWeight() {
    return 4.0 + 8.0 / double(kNvFp4BlockSize);
}

} // namespace qs
