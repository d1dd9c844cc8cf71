#include "io/floattensor.h"

namespace qs {

std::shared_ptr<const FloatTensor> FloatTensor::fromVector(TensorInfo info, std::vector<float> values) {
    auto tensor = std::shared_ptr<FloatTensor>(new FloatTensor);
    tensor->m_info = std::move(info);
    tensor->m_owned = std::move(values);
    tensor->m_view = tensor->m_owned;
    return tensor;
}

std::shared_ptr<const FloatTensor> FloatTensor::fromView(TensorInfo info, std::span<const float> values,
                                                         std::shared_ptr<const void> keepAlive) {
    auto tensor = std::shared_ptr<FloatTensor>(new FloatTensor);
    tensor->m_info = std::move(info);
    tensor->m_view = values;
    tensor->m_keepAlive = std::move(keepAlive);
    return tensor;
}

} // namespace qs
