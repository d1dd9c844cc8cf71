#pragma once

#include "io/tensorinfo.h"

#include <memory>
#include <span>
#include <vector>

namespace qs {

/// The values of one tensor as float32, immutable and shared between threads. Either owns a
/// decoded copy or views a memory-mapped file that it keeps alive.
class FloatTensor {
public:
    /// Takes ownership of decoded values; values.size() must equal info.elementCount().
    static std::shared_ptr<const FloatTensor> fromVector(TensorInfo info, std::vector<float> values);
    /// Views values owned by keepAlive (e.g. a mapped file) without copying.
    static std::shared_ptr<const FloatTensor> fromView(TensorInfo info, std::span<const float> values,
                                                       std::shared_ptr<const void> keepAlive);

    const TensorInfo &info() const { return m_info; }
    std::span<const float> values() const { return m_view; }

private:
    FloatTensor() = default;
    TensorInfo m_info;
    std::vector<float> m_owned;
    std::shared_ptr<const void> m_keepAlive;
    std::span<const float> m_view;
};

} // namespace qs
