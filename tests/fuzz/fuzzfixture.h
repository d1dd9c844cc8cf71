// Shared by the libFuzzer targets: each writes its input to a per-process temp file, opens it
// with the reader under test, and checks that every error names that file.
#pragma once

#include "io/checkpointreader.h"

#include <cstddef>
#include <cstdint>
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

// Decoding is bounded so that a valid header describing a huge (sparse) tensor stays fast.
inline constexpr std::int64_t kMaxDecodedElements = std::int64_t(1) << 20;

// Whether loading a tensor that open() accepted may still fail: some checks (a deflate stream
// damaged past its header, a CRC) can only run when the data is inflated.
enum class LoadFailure { Forbidden, AllowedIfNamed };

// Loads every tensor of at most kMaxDecodedElements: a success must hold every element, a
// failure must be allowed and name the file.
inline void decodeAll(const CheckpointReader &reader, const std::string &path, LoadFailure failure) {
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        const std::int64_t elements = reader.tensors()[i].elementCount();
        if (elements > kMaxDecodedElements)
            continue;
        RunControl control;
        control.threads = 1;
        const auto tensor = reader.loadFloat(i, control);
        if (tensor ? tensor.value()->values().size() != std::size_t(elements)
                   : failure == LoadFailure::Forbidden || !namesFile(tensor.error(), path)) {
            std::fprintf(stderr, "tensor %zu: %s\n", i, tensor ? "incomplete" : tensor.error().c_str());
            __builtin_trap();
        }
    }
}

// Writes the input to path, opens it with open(path) (returning a Result of a reader pointer)
// and checks it: every error names the file, every accepted tensor decodes (decodeAll).
template <typename Open>
void openAndDecode(const std::string &path, const std::uint8_t *data, std::size_t size, Open &&open,
                   LoadFailure failure = LoadFailure::Forbidden) {
    if (!writeFile(path, data, size))
        return;
    const auto reader = open(path);
    if (reader)
        decodeAll(*reader.value(), path, failure);
    else if (!namesFile(reader.error(), path))
        __builtin_trap(); // every error names the file
}

} // namespace qs::fuzz
