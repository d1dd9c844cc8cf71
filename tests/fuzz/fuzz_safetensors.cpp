// libFuzzer target for the safetensors reader: any byte string must give a reader or an error
// naming the file, never a crash, a sanitizer report or an absurd allocation.
#include "fuzzfixture.h"
#include "io/checkpointreader.h"
#include "io/safetensorsreader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".safetensors");
    return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::SafetensorsReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    qs::fuzz::openAndDecode(fixturePath(), data, size, &qs::SafetensorsReader::open);
    return 0;
}
