#include "cliimportance.h"

#include "analysis/modelimportance.h"

#include <cstdio>

namespace qs::cli {

namespace {

// One "warning: ..." line on stderr, beside the errors' format.
void printWarning(const std::string &message) {
    const QByteArray bytes =
        QStringLiteral("warning: %1\n").arg(QString::fromStdString(message).simplified()).toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

} // namespace

Result<std::optional<TensorWeights>> loadTensorImportance(const CliOptions &options, const TensorInfo &info) {
    if (options.imatrixFile.isEmpty())
        return std::optional<TensorWeights>();
    auto matrix = loadImportanceMatrix(options.imatrixFile.toStdString());
    if (!matrix)
        return Error{matrix.error()};
    auto weights = matrix.value()->lookup(info.name, info.shape);
    if (!weights)
        return Error{weights.error()};
    return std::optional<TensorWeights>(TensorWeights{matrix.value(), std::move(weights).value()});
}

Result<std::shared_ptr<const ImportanceMatrix>>
loadReportImportance(const CliOptions &options, const CheckpointReader &reader, const QuantPlan &plan) {
    if (options.imatrixFile.isEmpty())
        return std::shared_ptr<const ImportanceMatrix>();
    auto matrix = loadImportanceMatrix(options.imatrixFile.toStdString());
    if (!matrix)
        return Error{matrix.error()};
    const ImportanceFit fit = checkImportanceFit(*matrix.value(), reader.tensors(), plan);
    if (!fit.status)
        return Error{fit.status.error()};
    if (!fit.warning.empty())
        printWarning(fit.warning);
    return matrix.value();
}

} // namespace qs::cli
