#include "io/checkpointformats.h"

#include "io/ggufreader.h"
#include "io/npyreader.h"
#include "io/npzreader.h"
#include "io/onnxreader.h"
#include "io/pytorchreader.h"
#include "io/safetensorsreader.h"
#include "io/shardedreader.h"

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

} // namespace

const std::vector<CheckpointFormat> &checkpointFormats() {
    static const std::vector<CheckpointFormat> formats{
        {"safetensors", {"*.safetensors"}, &SafetensorsReader::probe, &openAs<SafetensorsReader>},
        {"PyTorch", {"*.pt", "*.pth", "*.bin", "*.ckpt"}, &PyTorchReader::probe, &openAs<PyTorchReader>},
        {"GGUF", {"*.gguf"}, &GgufReader::probe, &openAs<GgufReader>},
        {"NumPy", {"*.npy"}, &NpyReader::probe, &openAs<NpyReader>},
        {"NumPy npz", {"*.npz"}, &NpzReader::probe, &openAs<NpzReader>},
        {"sharded model index", {"*.index.json"}, &ShardedReader::probe, &openAs<ShardedReader>},
        {"ONNX", {"*.onnx"}, &OnnxReader::probe, &openAs<OnnxReader>},
    };
    return formats;
}

} // namespace qs
