// libFuzzer target for the ONNX reader: any byte string must give a reader or an error naming
// the file, never a crash, a sanitizer report or an absurd allocation. A side file "data.bin"
// sits next to the model so that external-data references are exercised too.
#include "fuzzfixture.h"
#include "io/checkpointreader.h"
#include "io/onnxreader.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/stat.h>

namespace {

constexpr std::size_t kSideFileBytes = 256;

const std::string &fixtureDir() {
    static const std::string dir = qs::fuzz::processTempPath("onnx-", "");
    return dir;
}

const std::string &fixturePath() {
    static const std::string path = fixtureDir() + "/model.onnx";
    return path;
}

// The side file holds bytes 0..255 so that every dtype decodes a spread of values.
bool prepareDir() {
    static const bool ready = [] {
        ::mkdir(fixtureDir().c_str(), 0700);
        std::uint8_t side[kSideFileBytes];
        for (std::size_t i = 0; i < kSideFileBytes; ++i)
            side[i] = std::uint8_t(i);
        return qs::fuzz::writeFile(fixtureDir() + "/data.bin", side, kSideFileBytes);
    }();
    return ready;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::OnnxReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    if (!prepareDir())
        return 0;
    qs::fuzz::openAndDecode(fixturePath(), data, size, &qs::OnnxReader::open);
    return 0;
}
