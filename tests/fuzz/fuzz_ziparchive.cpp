// libFuzzer target for ZipArchive, which the PyTorch and npz readers share: any byte string must
// give an archive whose members all lie inside the file, or an error naming the file; extracting
// any member must give exactly its declared size or an error naming the file and the member.
#include "fuzzfixture.h"
#include "io/mappedfile.h"
#include "io/ziparchive.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

// Keeps a declared-huge member from turning each run into a large allocation.
constexpr std::uint64_t kMaxExtractBytes = std::uint64_t(1) << 22;

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("", ".zip");
    return path;
}

bool namesFile(const std::string &error) {
    return qs::fuzz::namesFile(error, fixturePath());
}

void exercise(const qs::ZipArchive &archive) {
    const std::uint64_t fileSize = archive.file()->size();
    for (const qs::ZipEntry &entry : archive.entries()) {
        if (entry.dataOffset > fileSize || fileSize - entry.dataOffset < entry.compressedSize)
            __builtin_trap(); // open() promised every member lies inside the file
        if (archive.find(entry.name) == nullptr)
            __builtin_trap();
        const auto data = archive.extract(entry, kMaxExtractBytes);
        if (data ? data->size() != entry.uncompressedSize : !namesFile(data.error()))
            __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::ZipArchive::probe({reinterpret_cast<const std::byte *>(data), size});
    if (!qs::fuzz::writeFile(fixturePath(), data, size))
        return 0;
    auto file = qs::MappedFile::open(fixturePath());
    if (!file)
        return 0;
    const auto archive = qs::ZipArchive::open(std::move(file).value());
    if (archive)
        exercise(archive.value());
    else if (!namesFile(archive.error()))
        __builtin_trap(); // every error names the file
    return 0;
}
