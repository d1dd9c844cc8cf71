#pragma once

#include "io/tensorinfo.h"
#include "util/result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

/// The importance of one tensor's columns as a llama.cpp importance matrix stores it.
struct ImportanceEntry {
    /// Finite, non-negative weights, `rows` rows one after the other.
    std::vector<float> weights;
    /// Rows of weights: one per expert slice in the GGUF form (in_sum2's rows). Always 1 in the
    /// legacy form, which stores the experts' rows back to back; lookup() splits them by the
    /// tensor's shape, as llama-quantize does.
    std::int64_t rows = 1;
};

/// The weights a tensor gets: `experts` rows of `columns` weights (one per column along the last
/// dimension). Views the ImportanceMatrix it came from, which must outlive it.
struct TensorImportance {
    std::string entryName; ///< the entry's name in the file
    std::span<const float> weights;
    std::int64_t experts = 1; ///< product of the dimensions before the last two (1 for rank ≤ 2)
    std::int64_t columns = 0;

    /// The weights of expert slice e (0 ≤ e < experts).
    std::span<const float> expert(std::int64_t e) const {
        return weights.subspan(std::size_t(e * columns), std::size_t(columns));
    }
};

/// Which file layout an importance matrix came from.
enum class ImportanceForm {
    LegacyDat, ///< llama.cpp's binary imatrix.dat
    Gguf,      ///< GGUF with general.type = imatrix
};

/// A llama.cpp importance matrix: per tensor (by llama.cpp name) the importance of each input
/// column, i.e. the mean square of the activations that column multiplies. Immutable.
class ImportanceMatrix {
public:
    /// Longest entry name accepted in an imatrix.dat (ggml's own limit is 64 bytes).
    static constexpr std::int32_t kMaxNameBytes = 4096;
    /// Longest dataset name accepted in an imatrix.dat trailer.
    static constexpr std::int32_t kMaxDatasetBytes = 1 << 16;

    /// properties: what the file says about itself (see properties()).
    ImportanceMatrix(std::string path, ImportanceForm form, std::map<std::string, ImportanceEntry> entries,
                     std::map<std::string, std::string> properties);

    const std::string &path() const { return m_path; }
    ImportanceForm form() const { return m_form; }
    /// "imatrix.dat" or "GGUF imatrix".
    std::string formName() const;
    /// Every entry by its name in the file (llama.cpp tensor names), in name order.
    const std::map<std::string, ImportanceEntry> &entries() const { return m_entries; }
    /// Shown as the file's properties: "imatrix.form", "imatrix.entries", and when the file
    /// says so "imatrix.chunk_count" and "imatrix.datasets" (both forms; the legacy trailer's
    /// chunk count and dataset name), "imatrix.chunk_size"; a GGUF file adds all its metadata
    /// as GgufReader shows it.
    const std::map<std::string, std::string> &properties() const { return m_properties; }
    /// The number of chunks the matrix was computed on, when the file says.
    std::optional<std::int64_t> chunkCount() const;
    /// The dataset text ("imatrix.datasets"): the legacy trailer's name as stored, the GGUF
    /// array as GgufReader summarises it. Empty when the file does not say.
    std::string dataset() const;

    /// The entry for a tensor: its name as written, else its Hugging Face <-> GGUF counterpart
    /// (hfToGguf, ggufToHf). nullptr if there is none.
    const ImportanceEntry *find(std::string_view tensorName) const;
    /// The weights for a tensor of the given shape (row-major, columns last). Errors name the
    /// file and say what is wrong: no entry for the tensor (listing the names tried), or an
    /// entry whose length does not fit the tensor's columns and experts (naming both).
    Result<TensorImportance> lookup(std::string_view tensorName, std::span<const std::int64_t> shape) const;
    /// Names of entries that match none of the tensors (as written or mapped), in name order.
    std::vector<std::string> unmatchedEntries(const std::vector<TensorInfo> &tensors) const;
    /// An error naming the file and listing the unmatched entries, if there are any.
    Status checkNames(const std::vector<TensorInfo> &tensors) const;

private:
    const ImportanceEntry *findExact(std::string_view name, std::string *foundName) const;

    std::string m_path;
    ImportanceForm m_form;
    std::map<std::string, ImportanceEntry> m_entries;
    std::map<std::string, std::string> m_properties;
};

/// Loads an importance matrix in either of llama.cpp's forms, recognised by content:
/// - GGUF (magic "GGUF") with general.type = "imatrix" and tensor pairs <name>.in_sum2 (F32,
///   [experts, columns]) and <name>.counts (F32, one count per expert, or a single count shared
///   by all): weight = in_sum2 / count in float32; an expert whose count is not above 0 gets
///   weights of 1, as llama-quantize gives it. Other tensors are ignored.
/// - imatrix.dat: int32 entry count; per entry int32 name length, name, int32 ncall, int32 nval,
///   nval float32 values; then optionally int32 chunk count, int32 length and dataset name.
///   Weight = value / ncall computed in float32 as llama-quantize does (value kept as is when
///   ncall ≤ 0).
///
/// Errors name the file: neither form ("not a recognised importance matrix"), a GGUF file
/// that is broken (GgufReader's error) or not an imatrix (general.type missing or other), a
/// truncated file, sizes out of bounds, duplicate or unpaired entries, non-finite counts, and
/// any weight that comes out NaN, infinite or negative (naming the entry and the column): such a
/// file is refused rather than guessed at.
Result<std::shared_ptr<const ImportanceMatrix>> loadImportanceMatrix(const std::string &path);

} // namespace qs
