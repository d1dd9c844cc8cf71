#pragma once

#include "io/floattensor.h"

#include <cstddef>
#include <span>
#include <utility>

namespace qs {

/// Values a pass reads a piece at a time: float32 in memory, or a FloatTensor whose stored
/// elements (BF16, F16, FP8, ...) are decoded piece by piece into the caller's scratch, so the
/// pass never holds a float32 copy of the tensor.
class ValueSource {
public:
    ValueSource(std::span<const float> values)
        : m_values(values)
        , m_size(values.size()) {}
    ValueSource(const FloatTensor &tensor)
        : m_tensor(tensor.isFloat32() ? nullptr : &tensor)
        , m_values(tensor.isFloat32() ? tensor.values() : std::span<const float>())
        , m_size(tensor.size()) {}

    std::size_t size() const { return m_size; }
    /// Values [begin, begin + count): in place, or decoded into scratch (count floats).
    const float *read(std::size_t begin, std::size_t count, float *scratch) const {
        return m_tensor ? m_tensor->readValues(begin, count, scratch) : m_values.data() + begin;
    }

    /// The bytes read() reads for values [begin, begin + count).
    std::pair<const std::byte *, std::size_t> storedBytes(std::size_t begin, std::size_t count) const {
        if (m_tensor)
            return m_tensor->storedBytes(begin, count);
        return {reinterpret_cast<const std::byte *>(m_values.data() + begin), count * sizeof(float)};
    }

private:
    const FloatTensor *m_tensor = nullptr;
    std::span<const float> m_values;
    std::size_t m_size = 0;
};

} // namespace qs
