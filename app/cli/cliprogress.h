#pragma once

#include "io/tensorinfo.h"

#include <QElapsedTimer>
#include <QString>

#include <cstdint>
#include <vector>

namespace qs::cli {

// A whole-model command's progress on stderr, one line redrawn in place ("report: 12/291
// tensors, 3 s, about 40 s left"), shown only when stderr is a terminal: pipes, files and the
// tests see nothing. The time left is estimated from the stored bytes done. finish() (or the
// destructor) erases the line, so what the command prints next starts clean.
class TerminalProgress {
public:
    TerminalProgress(QString command, const std::vector<TensorInfo> &tensors);
    ~TerminalProgress();
    TerminalProgress(const TerminalProgress &) = delete;
    TerminalProgress &operator=(const TerminalProgress &) = delete;

    // One more tensor done, of storedBytes; redrawn at most ten times a second.
    void advance(std::uint64_t storedBytes);
    void finish();

private:
    QString m_command;
    bool m_shown = false;
    bool m_drawn = false;
    std::int64_t m_total = 0;
    std::int64_t m_done = 0;
    double m_bytesTotal = 0.0;
    double m_bytesDone = 0.0;
    QElapsedTimer m_clock;
    qint64 m_lastDrawMs = -1000;
};

} // namespace qs::cli
