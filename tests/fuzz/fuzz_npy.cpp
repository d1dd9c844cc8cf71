// libFuzzer target for the NumPy .npy reader: any byte string must give a reader or an error naming the
// file, never a crash, a sanitizer report or an absurd allocation.
#include "fuzzfixture.h"
#include "io/npyreader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".npy");
    return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::NpyReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    qs::fuzz::openAndDecode(fixturePath(), data, size, &qs::NpyReader::open);
    return 0;
}
