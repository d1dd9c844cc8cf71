#include "cliprogress.h"

#include <algorithm>
#include <cstdio>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

namespace qs::cli {

namespace {

bool stderrIsTerminal() {
#ifdef _WIN32
    return _isatty(_fileno(stderr)) != 0;
#else
    return ::isatty(::fileno(stderr)) != 0;
#endif
}

void writeErr(const QString &text) {
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

} // namespace

TerminalProgress::TerminalProgress(QString command, const std::vector<TensorInfo> &tensors)
    : m_command(std::move(command))
    , m_shown(stderrIsTerminal())
    , m_total(std::int64_t(tensors.size())) {
    for (const TensorInfo &info : tensors)
        m_bytesTotal += double(info.byteSize);
    m_clock.start();
}

TerminalProgress::~TerminalProgress() {
    finish();
}

void TerminalProgress::advance(std::uint64_t storedBytes) {
    ++m_done;
    m_bytesDone += double(storedBytes);
    const qint64 nowMs = m_clock.elapsed();
    if (!m_shown || nowMs - m_lastDrawMs < 100)
        return;
    m_lastDrawMs = nowMs;
    const double seconds = double(nowMs) / 1000.0;
    QString line = QStringLiteral("\r\033[K%1: %2/%3 tensors, %4 s")
                       .arg(m_command)
                       .arg(m_done)
                       .arg(m_total)
                       .arg(seconds, 0, 'f', 0);
    if (m_bytesDone > 0.0 && m_done < m_total)
        line += QStringLiteral(", about %1 s left")
                    .arg(seconds * std::max(m_bytesTotal - m_bytesDone, 0.0) / m_bytesDone, 0, 'f', 0);
    writeErr(line);
    m_drawn = true;
}

void TerminalProgress::finish() {
    if (m_drawn)
        writeErr(QStringLiteral("\r\033[K")); // back to the line's start and erase it
    m_drawn = false;
    m_shown = false;
}

} // namespace qs::cli
