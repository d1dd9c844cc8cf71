// libFuzzer target for the GGUF reader: any byte string must give a reader or an error naming
// the file, never a crash, a sanitizer report or an allocation the file cannot back.
#include "fuzzfixture.h"
#include "io/checkpointreader.h"
#include "io/ggufreader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".gguf");
    return path;
}

// GGUF places tensors itself (aligned data section, relative offsets): check they stay inside.
void checkPlacement(const qs::CheckpointReader &reader, std::size_t fileSize) {
    for (const qs::TensorInfo &info : reader.tensors()) {
        if (info.byteOffset > fileSize || info.byteSize > fileSize - info.byteOffset)
            __builtin_trap(); // every tensor lies inside the file
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::GgufReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    if (!qs::fuzz::writeFile(fixturePath(), data, size))
        return 0;
    const auto reader = qs::GgufReader::open(fixturePath());
    if (reader) {
        checkPlacement(*reader.value(), size);
        qs::fuzz::decodeAll(*reader.value(), fixturePath(), qs::fuzz::LoadFailure::Forbidden);
    } else if (!qs::fuzz::namesFile(reader.error(), fixturePath()))
        __builtin_trap(); // every error names the file
    return 0;
}
