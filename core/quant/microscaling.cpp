#include "quant/microscaling.h"

#include "quant/blocklayout.h"
#include "quant/elementwise.h"
#include "quant/minifloatkernel.h"
#include "stats/statkernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qs {

namespace {

constexpr float kLargestFloat = std::numeric_limits<float>::max();
constexpr float kE2M1Max = detail::kMaxValue<MiniFloat::E2M1>;
constexpr float kE4M3Max = detail::kMaxValue<MiniFloat::E4M3>;

using detail::positiveFinite;

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

} // namespace

std::string_view mxFormatName(MxFormat format) {
    return format == MxFormat::MxFp4 ? "mxfp4" : "mxfp8";
}

MiniFloat mxElementFormat(MxFormat format) {
    return format == MxFormat::MxFp4 ? MiniFloat::E2M1 : MiniFloat::E4M3;
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
    // Whole blocks in the lanes (statkernels.h): fakeQuantizeMxBlock's bits, block after block.
    if (Status status = checkRowBlocks(in.size(), out.size(), rows, cols, kMxBlockSize, "block"); !status)
        return Error{status.error()};
    std::vector<float> scales(in.size() / kMxBlockSize);
    detail::laneMxBlocks(format, in.data(), out.data(), scales.size(), scales.data());
    return scales;
}

double mxBitsPerWeight(MxFormat format) {
    return miniFloatInfo(mxElementFormat(format)).bits + 8.0 / double(kMxBlockSize);
}

float nvFp4GlobalScale(float tensorAmax) {
    if (!positiveFinite(tensorAmax))
        return kLargestFloat;
    return std::min(kE4M3Max * kE2M1Max / tensorAmax, kLargestFloat);
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
    // Whole blocks in the lanes (statkernels.h): fakeQuantizeNvFp4Block's bits, block after block.
    if (Status status = checkRowBlocks(in.size(), out.size(), rows, cols, kNvFp4BlockSize, "block"); !status)
        return Error{status.error()};
    std::vector<float> scales(in.size() / kNvFp4BlockSize);
    detail::laneNvFp4Blocks(in.data(), out.data(), scales.size(), globalScale, scales.data());
    return scales;
}

double nvFp4BitsPerWeight() {
    return 4.0 + 8.0 / double(kNvFp4BlockSize);
}

} // namespace qs
