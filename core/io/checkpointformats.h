#pragma once

#include "io/checkpointreader.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// One supported checkpoint format: how to recognise it and how to open it.
/// Adding a format is one reader file plus one entry in checkpointFormats().
struct CheckpointFormat {
    /// Short name shown to users, e.g. "safetensors".
    std::string name;
    /// File dialog patterns, e.g. "*.safetensors"; a file that matches no format is told what
    /// its name suggested.
    std::vector<std::string> extensions;
    /// True if a file of fileSize bytes starting with head (at most kProbeBytes) is this format.
    bool (*probe)(std::span<const std::byte> head, std::uint64_t fileSize);
    /// True if head starts the way this format does (its magic bytes or opening structure),
    /// even when the rest is broken: such a file gets this format's own error rather than
    /// "not a recognised checkpoint".
    bool (*claims)(std::span<const std::byte> head, std::uint64_t fileSize);
    /// Opens and validates the file.
    Result<std::shared_ptr<const CheckpointReader>> (*open)(const std::string &path);
};

/// Bytes of the file start handed to probes.
inline constexpr std::size_t kProbeBytes = 4096;

/// All supported formats, in the order they are probed.
const std::vector<CheckpointFormat> &checkpointFormats();

} // namespace qs
