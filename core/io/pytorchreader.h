#pragma once

#include "io/checkpointreader.h"
#include "io/mappedfile.h"
#include "io/ziparchive.h"

#include <cstdint>
#include <span>

namespace qs {

/// Reads PyTorch's zip checkpoints (torch.save since 1.6: "<prefix>/data.pkl" plus one
/// "<prefix>/data/<key>" member per storage). data.pkl is read by a restricted unpickler that
/// builds values only and refuses every global but the state-dict ones. Nested dicts are
/// flattened to dotted names; a single {"state_dict": ...} or {"model": ...} wrapper is dropped.
/// Stored storages are viewed in the mapped file; deflated ones are inflated when loading.
class PyTorchReader final : public CheckpointReader {
public:
    /// Largest data.pkl accepted.
    static constexpr std::uint64_t kMaxPickleBytes = std::uint64_t(256) << 20;
    /// Largest compressed storage inflated when loading a tensor.
    static constexpr std::uint64_t kMaxInflatedBytes = std::uint64_t(16) << 30;
    /// Deepest dict nesting flattened.
    static constexpr int kMaxDepth = 64;

    /// Opens and validates the file: the zip structure, the pickle, every storage member's
    /// presence and size, and every tensor's size, stride and offset against its storage.
    /// Errors name the file and the problem (and the tensor).
    static Result<std::shared_ptr<const PyTorchReader>> open(const std::string &path);
    /// True if head starts a zip archive whose first member is a data.pkl.
    static bool probe(std::span<const std::byte> head, std::uint64_t fileSize);

    const std::string &path() const override;
    std::string formatName() const override { return "PyTorch"; }
    const std::vector<TensorInfo> &tensors() const override { return m_tensors; }
    const std::map<std::string, std::string> &metadata() const override { return m_metadata; }
    Result<std::shared_ptr<const FloatTensor>> loadFloat(std::size_t index,
                                                         const RunControl &control = {}) const override;
    /// A contiguous tensor of another dtype in a stored (not deflated) member stays in the mapped
    /// file and is decoded a piece at a time; anything else is decoded whole, as loadFloat does.
    Result<std::shared_ptr<const FloatTensor>> loadChunked(std::size_t index,
                                                           const RunControl &control = {}) const override;

    /// Where a tensor's values lie in its storage member (elements, torch's view arithmetic).
    struct View {
        const ZipEntry *storage = nullptr;
        std::uint64_t offset = 0;
        std::vector<std::int64_t> strides;
        bool contiguous = true;
    };

private:
    PyTorchReader(ZipArchive archive)
        : m_archive(std::move(archive)) {}
    Result<std::vector<float>> gather(const TensorInfo &info, const View &view,
                                      std::span<const std::byte> storage, const RunControl &control) const;

    ZipArchive m_archive;
    std::vector<TensorInfo> m_tensors;
    std::vector<View> m_views;
    std::map<std::string, std::string> m_metadata;
};

} // namespace qs
