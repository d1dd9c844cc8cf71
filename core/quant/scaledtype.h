#pragma once

#include "quant/quantspec.h"

#include <optional>
#include <string_view>

namespace qs {

/// "f32", "f16", "bf16", as the plan key scale_dtype and `--scale-dtype` write it.
std::string_view scaleDtypeName(ScaleDtype dtype);
std::optional<ScaleDtype> scaleDtypeFromName(std::string_view name);

/// The scale as stored in dtype, back in float32: F32 returns scale unchanged (bit for bit);
/// F16 and BF16 round to the nearest representable value, ties to even, as torch's
/// `scale.to(torch.float16 / torch.bfloat16)` does. A positive finite scale never becomes 0 or
/// infinite: below the type's smallest positive value it gives that value, above its largest
/// finite value (F16: 65504) it gives that value, so values needing a larger scale then clip.
/// 0 stays 0; NaN and infinities are returned unchanged.
float roundScale(float scale, ScaleDtype dtype);

/// Whether a spec's format computes its own scale from a range (int and FP8), so that
/// scaleDtype applies to it. Block and codebook formats carry their own scales.
bool scaleDtypeApplies(NumberFormat format);

} // namespace qs
