// libFuzzer target for the NumPy .npz reader (zip of .npy members, stored or deflated): any byte string must
// give a reader or an error naming the file, never a crash, a sanitizer report or an absurd allocation.
#include "fuzzfixture.h"
#include "io/npzreader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".npz");
    return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::NpzReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    qs::fuzz::openAndDecode(fixturePath(), data, size, &qs::NpzReader::open,
                            qs::fuzz::LoadFailure::AllowedIfNamed);
    return 0;
}
