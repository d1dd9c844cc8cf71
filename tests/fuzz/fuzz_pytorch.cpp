// libFuzzer target for the PyTorch zip reader (zip directory, restricted unpickler, tensor
// views): any byte string must give a reader or an error naming the file, never a crash, a
// sanitizer report or an absurd allocation. The bytes are also unpickled directly, so the
// unpickler is explored without first having to form a valid zip.
#include "fuzzfixture.h"
#include "io/checkpointreader.h"
#include "io/pickle.h"
#include "io/pytorchreader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".pt");
    return path;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte *>(data), size};
    qs::PyTorchReader::probe(bytes.first(std::min<std::size_t>(size, 4096)), size);
    qs::unpickleStateDict(bytes);
    qs::fuzz::openAndDecode(fixturePath(), data, size, &qs::PyTorchReader::open,
                            qs::fuzz::LoadFailure::AllowedIfNamed);
    return 0;
}
