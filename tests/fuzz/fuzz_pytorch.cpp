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

// Decoding is bounded so that a valid pickle describing a large expanded view stays fast.
constexpr std::int64_t kMaxDecodedElements = std::int64_t(1) << 20;

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".pt");
    return path;
}

void exercise(const qs::CheckpointReader &reader) {
    for (std::size_t i = 0; i < reader.tensors().size(); ++i) {
        if (reader.tensors()[i].elementCount() > kMaxDecodedElements)
            continue;
        qs::RunControl control;
        control.threads = 1;
        auto tensor = reader.loadFloat(i, control);
        // A deflated storage is only inflated (and its CRC checked) when loading, so loading may
        // fail, but only with an error naming the file; a success must be complete.
        if (!tensor && !qs::fuzz::namesFile(tensor.error(), fixturePath())) {
            std::fprintf(stderr, "unexpected error: %s\n", tensor.error().c_str());
            __builtin_trap();
        }
        if (tensor && tensor.value()->values().size() != std::size_t(reader.tensors()[i].elementCount()))
            __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::span<const std::byte> bytes{reinterpret_cast<const std::byte *>(data), size};
    qs::PyTorchReader::probe(bytes.first(std::min<std::size_t>(size, 4096)), size);
    qs::unpickleStateDict(bytes);
    if (!qs::fuzz::writeFile(fixturePath(), data, size))
        return 0;
    const auto reader = qs::PyTorchReader::open(fixturePath());
    if (reader)
        exercise(*reader.value());
    else if (!qs::fuzz::namesFile(reader.error(), fixturePath()))
        __builtin_trap(); // every error names the file
    return 0;
}
