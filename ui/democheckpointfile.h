#pragma once

#include "util/result.h"

#include <QString>

namespace qs::ui {

// The demo checkpoint in the user's cache directory, written there first if it is missing.
// The file name carries the application version, so a newer generator writes a fresh file.
qs::Result<QString> ensureDemoCheckpoint();

} // namespace qs::ui
