#pragma once

#include "io/dtypedecode.h"
#include "io/tensorinfo.h"
#include "util/result.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

namespace qs {

class MappedFile;

/// The values of one tensor as float32, immutable and shared between threads. Either owns a
/// decoded copy, views float32 values owned elsewhere (a memory-mapped file) that it keeps alive,
/// or views stored elements of another dtype (BF16, F16, FP8, ...) that it decodes on demand:
/// piece by piece through readValues(), or whole on the first call of values().
class FloatTensor {
public:
    /// Takes ownership of decoded values; values.size() must equal info.elementCount().
    static std::shared_ptr<const FloatTensor> fromVector(TensorInfo info, std::vector<float> values);
    /// Views values owned by keepAlive (e.g. a mapped file) without copying.
    static std::shared_ptr<const FloatTensor> fromView(TensorInfo info, std::span<const float> values,
                                                       std::shared_ptr<const void> keepAlive);
    /// Views info.elementCount() stored elements of stride bytes each, from byte offset of a
    /// mapped file (kept alive), that decode turns into float32 piece by piece. Nothing is decoded
    /// here; the file is asked to read the range ahead (MappedFile::prepareSequentialRead).
    static std::shared_ptr<const FloatTensor> fromMapped(TensorInfo info,
                                                         std::shared_ptr<const MappedFile> file,
                                                         std::size_t offset, std::size_t stride,
                                                         DecodeFn decode);
    /// Views info.elementCount() stored elements of stride bytes each at bytes, owned by
    /// keepAlive (e.g. a parsed model holding them), that decode turns into float32 piece by
    /// piece, as fromMapped does for a mapped file.
    static std::shared_ptr<const FloatTensor> fromStored(TensorInfo info, const std::byte *bytes,
                                                         std::size_t stride, DecodeFn decode,
                                                         std::shared_ptr<const void> keepAlive);
    /// The same values under another description (e.g. a shard's tensor as the model lists it),
    /// sharing tensor's storage: nothing is copied or decoded.
    static std::shared_ptr<const FloatTensor> relabeled(std::shared_ptr<const FloatTensor> tensor,
                                                        TensorInfo info);

    const TensorInfo &info() const { return m_info; }
    /// The number of values.
    std::size_t size() const { return m_size; }
    /// True when the values are float32 in memory, so values() costs nothing; false for stored
    /// elements of another dtype, decoded on demand.
    bool isFloat32() const { return m_decode == nullptr; }

    /// Values [begin, begin + count) as float32: a pointer into the tensor when its values are
    /// float32 in memory, otherwise decoded into scratch (room for count floats) and scratch
    /// returned. Never allocates; thread-safe.
    const float *readValues(std::size_t begin, std::size_t count, float *scratch) const {
        if (m_decode == nullptr)
            return m_view.data() + begin;
        m_decode(m_bytes + begin * m_stride, scratch, count);
        return scratch;
    }

    /// Where values [begin, begin + count) lie as stored (float32 or the stored elements), and
    /// how many bytes they take: what a pass reads for them.
    std::pair<const std::byte *, std::size_t> storedBytes(std::size_t begin, std::size_t count) const {
        if (m_decode == nullptr)
            return {reinterpret_cast<const std::byte *>(m_view.data() + begin), count * sizeof(float)};
        return {m_bytes + begin * m_stride, count * m_stride};
    }

    /// All values as float32. A stored tensor is decoded once, on the first call (thread-safe),
    /// into a copy kept with the tensor; that throws std::bad_alloc if memory runs out, so code
    /// that wants an error message instead calls decodeAll() first.
    std::span<const float> values() const;
    /// Decodes a stored tensor's values once, as values() does; fails with a message naming the
    /// tensor when memory runs out. Succeeds at once for float32 tensors.
    Status decodeAll() const;

private:
    FloatTensor() = default;
    TensorInfo m_info;
    std::size_t m_size = 0;
    std::vector<float> m_owned;
    std::shared_ptr<const void> m_keepAlive;
    std::span<const float> m_view;
    // Stored elements decoded on demand; m_decoded is the whole copy once values() made it.
    const std::byte *m_bytes = nullptr;
    std::size_t m_stride = 0;
    DecodeFn m_decode = nullptr;
    mutable std::once_flag m_decodeOnce;
    mutable std::shared_ptr<float[]> m_decoded;
};

} // namespace qs
