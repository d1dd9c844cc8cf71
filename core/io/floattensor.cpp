#include "io/floattensor.h"

#include "io/decodebuffer.h"
#include "io/mappedfile.h"
#include "util/parallel.h"

#include <new>

namespace qs {

std::shared_ptr<const FloatTensor> FloatTensor::fromVector(TensorInfo info, std::vector<float> values) {
    auto tensor = std::shared_ptr<FloatTensor>(new FloatTensor);
    tensor->m_info = std::move(info);
    tensor->m_owned = std::move(values);
    tensor->m_view = tensor->m_owned;
    tensor->m_size = tensor->m_view.size();
    return tensor;
}

std::shared_ptr<const FloatTensor> FloatTensor::fromView(TensorInfo info, std::span<const float> values,
                                                         std::shared_ptr<const void> keepAlive) {
    auto tensor = std::shared_ptr<FloatTensor>(new FloatTensor);
    tensor->m_info = std::move(info);
    tensor->m_view = values;
    tensor->m_size = values.size();
    tensor->m_keepAlive = std::move(keepAlive);
    return tensor;
}

std::shared_ptr<const FloatTensor> FloatTensor::fromStored(TensorInfo info, const std::byte *bytes,
                                                           std::size_t stride, DecodeFn decode,
                                                           std::shared_ptr<const void> keepAlive) {
    auto tensor = std::shared_ptr<FloatTensor>(new FloatTensor);
    tensor->m_size = std::size_t(info.elementCount());
    tensor->m_info = std::move(info);
    tensor->m_bytes = bytes;
    tensor->m_stride = stride;
    tensor->m_decode = decode;
    tensor->m_keepAlive = std::move(keepAlive);
    return tensor;
}

std::shared_ptr<const FloatTensor> FloatTensor::fromMapped(TensorInfo info,
                                                           std::shared_ptr<const MappedFile> file,
                                                           std::size_t offset, std::size_t stride,
                                                           DecodeFn decode) {
    file->prepareSequentialRead(offset, std::size_t(info.elementCount()) * stride);
    const std::byte *bytes = file->bytes().data() + offset;
    return fromStored(std::move(info), bytes, stride, decode, std::move(file));
}

std::shared_ptr<const FloatTensor> FloatTensor::relabeled(std::shared_ptr<const FloatTensor> tensor,
                                                          TensorInfo info) {
    if (tensor->isFloat32()) {
        const std::span<const float> values = tensor->m_view;
        return fromView(std::move(info), values, std::move(tensor));
    }
    const std::byte *bytes = tensor->m_bytes;
    const std::size_t stride = tensor->m_stride;
    const DecodeFn decode = tensor->m_decode;
    return fromStored(std::move(info), bytes, stride, decode, std::move(tensor));
}

Status FloatTensor::decodeAll() const {
    if (m_decode == nullptr)
        return {};
    std::call_once(m_decodeOnce, [this] {
        std::shared_ptr<float[]> values = allocateDecodeBuffer(m_size);
        if (!values)
            return; // m_decoded stays empty: this and every later call report the lack of memory
        // Threads as the machine has: the caller gave no RunControl, and one decode is one read.
        parallelChunks(m_size, kChunkSize, {}, [&](std::size_t, std::size_t begin, std::size_t end) {
            m_decode(m_bytes + begin * m_stride, values.get() + begin, end - begin);
        });
        m_decoded = std::move(values);
    });
    if (!m_decoded && m_size > 0)
        return Error{"tensor '" + m_info.name + "': not enough memory to decode " + std::to_string(m_size) +
                     " elements to float32"};
    return {};
}

std::span<const float> FloatTensor::values() const {
    if (m_decode == nullptr)
        return m_view;
    if (!decodeAll())
        throw std::bad_alloc();
    return {m_decoded.get(), m_size};
}

} // namespace qs
