#pragma once

#include "io/dtype.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace qs {

/// One value built by the restricted unpickler. Values live in a PickleTree and refer to
/// each other by index, so shared and even cyclic references cost nothing to hold or free.
struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
    /// The globals the unpickler accepts (anything else is refused when it is named).
    enum class Callable { OrderedDict, RebuildTensorV2, RebuildParameter, StorageType };

    Kind kind = Kind::None;
    std::int64_t integer = 0; ///< Int, Bool (0 / 1), Tensor storage offset (elements)
    double real = 0.0;
    std::string text;                                         ///< String; Storage key
    std::vector<std::size_t> items;                           ///< Tuple, List
    std::vector<std::pair<std::size_t, std::size_t>> entries; ///< Dict, in insertion order
    Callable callable = Callable::OrderedDict;                ///< Global
    DType dtype = DType::F32;                                 ///< Global StorageType, Storage
    std::uint64_t numel = 0;                                  ///< Storage: elements
    std::size_t storage = 0;                                  ///< Tensor: index of its Storage value
    std::vector<std::int64_t> shape;                          ///< Tensor
    std::vector<std::int64_t> strides;                        ///< Tensor, in elements
};

/// The values of one unpickled stream; root is what STOP returned.
struct PickleTree {
    std::vector<PickleValue> values;
    std::size_t root = 0;
    const PickleValue &at(std::size_t index) const { return values[index]; }
};

/// Largest rank of a rebuilt tensor.
inline constexpr std::size_t kMaxPickleRank = 16;

/// Unpickles a PyTorch state-dict pickle (protocol 2 to 5 opcodes that torch.save emits)
/// without executing anything: only collections.OrderedDict, torch._utils._rebuild_tensor_v2,
/// _rebuild_parameter(_with_state) and the torch.<Type>Storage globals are accepted, and storages
/// arrive as persistent ids ('storage', type, key, location, numel). Stack, memo and strings are
/// bounded by the input. Errors describe the problem and the byte offset (no file name).
Result<PickleTree> unpickleStateDict(std::span<const std::byte> data);

} // namespace qs
