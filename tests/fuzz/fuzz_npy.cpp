// libFuzzer target for the NumPy .npy reader: any byte string must give a reader or an error naming the
// file, never a crash, a sanitizer report or an absurd allocation.
#include "fuzzfixture.h"
#include "io/npyreader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

// Decoding is bounded so that a valid header describing a huge array stays fast.
constexpr std::int64_t kMaxDecodedElements = std::int64_t(1) << 20;

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".npy");
    return path;
}

void exercise(const qs::CheckpointReader &reader) {
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        if (reader.tensors()[i].elementCount() > kMaxDecodedElements)
            continue;
        qs::RunControl control;
        control.threads = 1;
        auto tensor = reader.loadFloat(i, control);
        if (!tensor)
            __builtin_trap(); // a validated .npy array always decodes
        if (tensor.value()->values().size() != std::size_t(reader.tensors()[i].elementCount()))
            __builtin_trap(); // a decoded tensor always has every element
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::NpyReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    if (!qs::fuzz::writeFile(fixturePath(), data, size))
        return 0;
    const auto reader = qs::NpyReader::open(fixturePath());
    if (reader)
        exercise(*reader.value());
    else if (!qs::fuzz::namesFile(reader.error(), fixturePath()))
        __builtin_trap(); // every error names the file
    return 0;
}
