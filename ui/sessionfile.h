#pragma once

#include "plan/quantplan.h"
#include "util/result.h"

#include <QByteArray>
#include <QString>

namespace qs::ui {

// Schema identifier and version of session files.
inline constexpr const char *kSessionFormat = "quantscope-session";
inline constexpr int kSessionVersion = 1;

// What a session file restores: the checkpoint and its plan, the importance matrix and the
// reference checkpoint (empty when none), the selected tensor and how the window showed it.
struct SessionState {
    QString checkpoint; // absolute path
    qs::QuantPlan plan;
    QString importance;     // an importance matrix's path, or empty
    QString reference;      // a reference checkpoint's path, or empty
    QString selectedTensor; // a tensor name, or empty
    qint64 group = 0;       // the group the plots show, for grouped schemes
    bool normalised = false;
    bool histogramLog = false;
    bool errorLog = true;
    QByteArray windowState; // QMainWindow::saveState: docks and toolbars
    bool operator==(const SessionState &) const = default;
};

// The JSON text of a session (UTF-8, indented); the plan is embedded as the plan file writes it.
std::string sessionToJson(const SessionState &state);
// Parses a session's text. Strict like a plan file: unknown keys, a missing checkpoint or a
// wrong format or version are errors that start with source and name the key.
qs::Result<SessionState> sessionFromJson(const std::string &text, const std::string &source);

// Atomic (a failed save leaves any existing file as it was); errors name the file.
qs::Status saveSession(const QString &path, const SessionState &state);
qs::Result<SessionState> loadSession(const QString &path);

} // namespace qs::ui
