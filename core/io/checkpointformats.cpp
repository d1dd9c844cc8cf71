#include "io/checkpointformats.h"

#include "io/ggufreader.h"
#include "io/npyreader.h"
#include "io/npzreader.h"
#include "io/onnxreader.h"
#include "io/pytorchreader.h"
#include "io/safetensorsreader.h"
#include "io/shardedreader.h"
#include "io/ziparchive.h"

#include <string_view>

namespace qs {

namespace {

// Widens a concrete reader's result to the interface the registry hands out.
template <typename Reader>
Result<std::shared_ptr<const CheckpointReader>> openAs(const std::string &path) {
    auto reader = Reader::open(path);
    if (!reader)
        return Error{reader.error()};
    return std::shared_ptr<const CheckpointReader>(std::move(reader).value());
}

// The claims: what each format's files start with, whatever follows.
bool claimsSafetensors(std::span<const std::byte> head, std::uint64_t fileSize) {
    // An 8-byte header length that fits the file, or the JSON header's opening brace after it.
    if (head.size() < 8)
        return false;
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
        length = length << 8 | std::uint64_t(head[std::size_t(i)]);
    const bool lengthFits = fileSize >= 8 && length >= 2 && length <= fileSize - 8;
    return lengthFits || (head.size() > 8 && head[8] == std::byte{'{'});
}

bool claimsZip(std::span<const std::byte> head, std::uint64_t) {
    return ZipArchive::probe(head);
}

bool claimsGguf(std::span<const std::byte> head, std::uint64_t fileSize) {
    return GgufReader::probe(head, fileSize);
}

bool claimsNpy(std::span<const std::byte> head, std::uint64_t) {
    constexpr std::string_view kMagic = "\x93NUMPY";
    return head.size() >= kMagic.size() &&
           std::string_view(reinterpret_cast<const char *>(head.data()), kMagic.size()) == kMagic;
}

// Any JSON object: an index whose "weight_map" comes after a long "metadata" block is still one.
bool claimsIndex(std::span<const std::byte> head, std::uint64_t) {
    const std::string_view text(reinterpret_cast<const char *>(head.data()), head.size());
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{';
}

bool claimsOnnx(std::span<const std::byte> head, std::uint64_t) {
    // ir_version, field 1 as a varint, comes first in every serialized model.
    return !head.empty() && head[0] == std::byte{0x08};
}

} // namespace

const std::vector<CheckpointFormat> &checkpointFormats() {
    static const std::vector<CheckpointFormat> formats{
        {"safetensors",
         {"*.safetensors"},
         &SafetensorsReader::probe,
         &claimsSafetensors,
         &openAs<SafetensorsReader>},
        {"PyTorch",
         {"*.pt", "*.pth", "*.bin", "*.ckpt"},
         &PyTorchReader::probe,
         &claimsZip,
         &openAs<PyTorchReader>},
        {"GGUF", {"*.gguf"}, &GgufReader::probe, &claimsGguf, &openAs<GgufReader>},
        {"NumPy", {"*.npy"}, &NpyReader::probe, &claimsNpy, &openAs<NpyReader>},
        {"NumPy npz", {"*.npz"}, &NpzReader::probe, &claimsZip, &openAs<NpzReader>},
        {"sharded model index",
         {"*.index.json"},
         &ShardedReader::probe,
         &claimsIndex,
         &openAs<ShardedReader>},
        {"ONNX", {"*.onnx"}, &OnnxReader::probe, &claimsOnnx, &openAs<OnnxReader>},
    };
    return formats;
}

} // namespace qs
