#include "clireference.h"

#include "clijson.h"

namespace qs::cli {

Result<ReportReference> ReportReference::open(const QString &path,
                                              std::shared_ptr<const CheckpointReader> checkpoint) {
    auto reference = openCheckpoint(path.toStdString());
    if (!reference)
        return Error{"reference " + reference.error()};
    ReportReference r;
    r.m_pairings = pairWithReference(*checkpoint, *reference.value());
    r.m_checkpoint = std::move(checkpoint);
    r.m_reference = reference.value();
    return r;
}

ReferenceCells ReportReference::measure(std::size_t index, const RunControl &control) const {
    ReferenceCells cells;
    const ReferencePairing &pairing = m_pairings.at(index);
    if (!pairing.partner) {
        cells.skipped =
            QString(QStringLiteral("no partner: ") + qstr(pairing.unpaired.value_or(std::string())));
        return cells;
    }
    cells.partner = qstr(pairing.partnerName);
    const auto difference = compareReferencePair(*m_checkpoint, *m_reference, pairing, control);
    if (!difference) {
        cells.skipped = qstr(difference.error());
        return cells;
    }
    const ValueError &e = difference->error;
    if (difference->compared > 0) {
        cells.mse = number(e.mse);
        cells.sqnrDb = number(e.sqnrDb);
        cells.cosine = number(e.cosine);
        cells.maxAbsDiff = number(e.maxAbsError);
    }
    if (difference->nonFiniteMismatches > 0) // the figures leave these out: say so
        cells.skipped = QStringLiteral("%1 values finite on one side only, not in the figures")
                            .arg(difference->nonFiniteMismatches);
    return cells;
}

} // namespace qs::cli
