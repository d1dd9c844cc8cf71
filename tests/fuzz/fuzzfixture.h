// Shared by the libFuzzer targets: each writes its input to a per-process temp file, opens it
// with the reader under test, and checks that every error names that file.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <unistd.h>

namespace qs::fuzz {

// "/tmp/quantscope-fuzz-<prefix><pid><suffix>": the pid keeps parallel fuzzing jobs (-jobs=N)
// from overwriting each other's fixtures.
inline std::string processTempPath(std::string_view prefix, std::string_view suffix) {
    return "/tmp/quantscope-fuzz-" + std::string(prefix) + std::to_string(::getpid()) + std::string(suffix);
}

inline bool writeFile(const std::string &path, const void *data, std::size_t size) {
    std::FILE *file = std::fopen(path.c_str(), "wb");
    if (!file)
        return false;
    const bool ok = std::fwrite(data, 1, size, file) == size;
    return std::fclose(file) == 0 && ok;
}

// Readers report "<path>: <problem>"; an error without the path would leave a user guessing
// which of several checkpoints failed.
inline bool namesFile(const std::string &error, const std::string &path) {
    return error.rfind(path + ": ", 0) == 0;
}

} // namespace qs::fuzz
