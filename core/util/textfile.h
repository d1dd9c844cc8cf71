#pragma once

#include "util/result.h"

#include <QJsonObject>

#include <cstdint>
#include <string>

namespace qs {

/// Writes text to path atomically (QSaveFile: a temporary file renamed over the target), so a
/// failed save leaves any existing file as it was. Errors name the file.
Status saveTextFile(const std::string &path, const std::string &text);

/// Reads a whole text file of at most maxBytes; what names the content in the size error ("a
/// plan", "a configuration"). Errors name the file.
Result<std::string> loadTextFile(const std::string &path, std::int64_t maxBytes, const std::string &what);

/// The JSON object text holds; errors start with source and say where the JSON breaks, or that
/// the top level is not an object ("not <what> (the top level is not a JSON object)").
Result<QJsonObject> parseJsonObject(const std::string &text, const std::string &source,
                                    const std::string &what);

} // namespace qs
