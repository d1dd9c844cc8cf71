#pragma once

#include "analysis/referencecompare.h"
#include "io/checkpointreader.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <QJsonValue>
#include <QString>

#include <memory>
#include <vector>

namespace qs::cli {

/// report's reference_* keys of one tensor; null where they do not apply.
struct ReferenceCells {
    QJsonValue mse = QJsonValue::Null;
    QJsonValue sqnrDb = QJsonValue::Null;
    QJsonValue cosine = QJsonValue::Null;
    QJsonValue maxAbsDiff = QJsonValue::Null;
    QJsonValue partner = QJsonValue::Null; ///< the partner's name
    QJsonValue skipped = QJsonValue::Null; ///< why there are no figures, like skipped
};

/// report --reference FILE: the reference checkpoint, paired with the report's checkpoint once,
/// and each tensor's difference to its partner measured on demand (one pair in memory).
class ReportReference {
public:
    /// Opens the reference and pairs it with checkpoint's tensors. The error names the file.
    static Result<ReportReference> open(const QString &path,
                                        std::shared_ptr<const CheckpointReader> checkpoint);

    /// The cells of tensor `index`: the figures, or why there are none (no partner, a shape
    /// that differs, a tensor that cannot be decoded).
    ReferenceCells measure(std::size_t index, const RunControl &control) const;

private:
    std::shared_ptr<const CheckpointReader> m_checkpoint;
    std::shared_ptr<const CheckpointReader> m_reference;
    std::vector<ReferencePairing> m_pairings;
};

} // namespace qs::cli
