// libFuzzer target for the sharded-model index reader: any index text must give a reader or an
// error naming the index, never a crash, a sanitizer report or a file opened outside the index's
// own directory. The directory holds two small valid safetensors shards, a.safetensors and
// b.safetensors, each with F32 tensors "w" and "v" of shape [2].
#include "fuzzfixture.h"
#include "io/shardedreader.h"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const std::string &directory() {
    static const std::string path = qs::fuzz::processTempPath("sharded-", "");
    return path;
}

// A safetensors shard by the specification: 8-byte little-endian header length, JSON, data.
bool writeShard(const std::string &name) {
    const std::string header = R"({"v":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                               R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[std::size_t(i)] = char((header.size() >> (8 * i)) & 0xFF);
    const float values[4] = {1.0f, -2.0f, 0.5f, 4.0f};
    bytes += header + std::string(reinterpret_cast<const char *>(values), sizeof values);
    return qs::fuzz::writeFile(directory() + "/" + name, bytes.data(), bytes.size());
}

void removeDirectory() {
    for (const char *name : {"a.safetensors", "b.safetensors", "model.safetensors.index.json"})
        std::remove((directory() + "/" + name).c_str());
    ::rmdir(directory().c_str());
}

bool prepareDirectory() {
    static const bool ready = (::mkdir(directory().c_str(), 0700) == 0 || errno == EEXIST) &&
                              writeShard("a.safetensors") && writeShard("b.safetensors") &&
                              std::atexit(&removeDirectory) == 0;
    return ready;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    qs::ShardedReader::probe({reinterpret_cast<const std::byte *>(data), size}, size);
    if (!prepareDirectory())
        return 0;
    const std::string index = directory() + "/model.safetensors.index.json";
    if (!qs::fuzz::writeFile(index, data, size))
        return 0;
    const auto reader = qs::ShardedReader::open(index);
    if (!reader) {
        if (!qs::fuzz::namesFile(reader.error(), index))
            __builtin_trap(); // every error names the index
        return 0;
    }
    for (std::size_t i = 0; i < reader.value()->tensors().size(); ++i) {
        auto tensor = reader.value()->loadFloat(i);
        if (!tensor || tensor.value()->values().size() != 2)
            __builtin_trap(); // every listed tensor is one of the two-element shard tensors
    }
    return 0;
}
