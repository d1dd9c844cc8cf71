#include "io/imatrix.h"

#include "io/dtypedecode.h"
#include "io/ggufreader.h"
#include "io/mappedfile.h"
#include "io/tensornames.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

namespace qs {

namespace {

constexpr std::string_view kSumsSuffix = ".in_sum2";
constexpr std::string_view kCountsSuffix = ".counts";
constexpr std::string_view kSupported = "supported: llama.cpp imatrix.dat, GGUF with general.type = imatrix";
// Smallest imatrix.dat entry: name length, a 1-byte name, ncall, nval and one value.
constexpr std::uint64_t kMinLegacyEntryBytes = 17;
// Unmatched entries listed in an error before the rest are only counted.
constexpr std::size_t kListedNames = 16;

std::string quoted(std::string_view name) {
    return "'" + std::string(name) + "'";
}

std::string shapeText(std::span<const std::int64_t> shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// Importance is a mean square: a weight that is NaN, infinite or negative can only come from a
// damaged file, and would silently poison every weighted error computed with it.
Status checkWeights(const std::vector<float> &weights, std::int64_t rows) {
    const std::size_t columns = weights.size() / std::size_t(rows);
    for (std::size_t k = 0; k < weights.size(); ++k) {
        const float w = weights[k];
        if (std::isfinite(w) && w >= 0.0f)
            continue;
        const std::string row = rows > 1 ? "expert " + std::to_string(k / columns) + " " : "";
        return Error{row + "column " + std::to_string(k % columns) + " has importance " + std::to_string(w) +
                     " (it must be finite and not negative)"};
    }
    return {};
}

// ---- imatrix.dat ---------------------------------------------------------------------------

// Little-endian int32 / float32 reads bounded by the bytes left.
class LegacyCursor {
public:
    explicit LegacyCursor(std::span<const std::byte> bytes)
        : m_bytes(bytes) {}

    std::uint64_t remaining() const { return m_bytes.size() - m_pos; }
    std::uint64_t pos() const { return m_pos; }

    bool readInt(std::int32_t &out) {
        if (remaining() < 4)
            return false;
        out = loadLittleEndian<std::int32_t>(m_bytes.data() + m_pos);
        m_pos += 4;
        return true;
    }
    std::string_view readText(std::uint64_t length) {
        const auto *text = reinterpret_cast<const char *>(m_bytes.data() + m_pos);
        m_pos += length;
        return {text, std::size_t(length)};
    }
    float floatAt(std::uint64_t index) const {
        return loadLittleEndian<float>(m_bytes.data() + m_pos + 4 * index);
    }
    void skip(std::uint64_t bytes) { m_pos += bytes; }

private:
    std::span<const std::byte> m_bytes;
    std::uint64_t m_pos = 0;
};

std::string truncatedAt(const LegacyCursor &cursor, std::string_view what) {
    return "truncated file: " + std::string(what) + " at byte " + std::to_string(cursor.pos()) + " (" +
           std::to_string(cursor.remaining()) + " bytes left)";
}

bool printable(std::string_view name) {
    for (char c : name) {
        if (std::uint8_t(c) < 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

// Reads one entry name: int32 length, then that many bytes.
Result<std::string> readLegacyName(LegacyCursor &cursor) {
    std::int32_t length = 0;
    if (!cursor.readInt(length))
        return Error{truncatedAt(cursor, "name length")};
    if (length < 1 || length > ImportanceMatrix::kMaxNameBytes)
        return Error{"name length " + std::to_string(length) + " is outside 1 to " +
                     std::to_string(ImportanceMatrix::kMaxNameBytes)};
    if (std::uint64_t(length) > cursor.remaining())
        return Error{truncatedAt(cursor, "name of " + std::to_string(length) + " bytes")};
    const std::string_view name = cursor.readText(std::uint64_t(length));
    if (!printable(name))
        return Error{"name holds control characters"};
    return std::string(name);
}

// An imatrix.dat has no magic: it claims the format when its entry count fits the file and
// its first entry starts with a plausible name. Anything else is not an importance matrix.
Status checkLegacyClaim(std::span<const std::byte> bytes) {
    LegacyCursor cursor(bytes);
    std::int32_t count = 0;
    if (!cursor.readInt(count))
        return Error{"the file is too short to hold an entry count"};
    if (count < 1)
        return Error{"its entry count " + std::to_string(count) + " is not positive"};
    if (std::uint64_t(count) > cursor.remaining() / kMinLegacyEntryBytes)
        return Error{"its entry count " + std::to_string(count) + " does not fit its " +
                     std::to_string(bytes.size()) + " bytes"};
    if (auto name = readLegacyName(cursor); !name)
        return Error{"its first entry " + name.error()};
    return {};
}

// value / ncall in float32, exactly as llama-quantize's `v /= ncall` over a std::vector<float>.
std::vector<float> legacyWeights(const LegacyCursor &cursor, std::int32_t nval, std::int32_t ncall) {
    std::vector<float> weights(static_cast<std::size_t>(nval));
    for (std::size_t j = 0; j < weights.size(); ++j) {
        float v = cursor.floatAt(j);
        if (ncall > 0)
            v /= ncall;
        weights[j] = v;
    }
    return weights;
}

Status readLegacyEntry(LegacyCursor &cursor, std::int32_t index,
                       std::map<std::string, ImportanceEntry> &entries) {
    const std::string where = "entry #" + std::to_string(index);
    auto name = readLegacyName(cursor);
    if (!name)
        return Error{where + ": " + name.error()};
    const std::string named = where + " " + quoted(name.value()) + ": ";
    std::int32_t ncall = 0;
    std::int32_t nval = 0;
    if (!cursor.readInt(ncall) || !cursor.readInt(nval))
        return Error{named + truncatedAt(cursor, "ncall and nval")};
    if (nval < 1)
        return Error{named + "nval " + std::to_string(nval) + " is not positive"};
    if (std::uint64_t(nval) > cursor.remaining() / 4)
        return Error{named + truncatedAt(cursor, std::to_string(nval) + " values")};
    ImportanceEntry entry;
    entry.weights = legacyWeights(cursor, nval, ncall);
    cursor.skip(4 * std::uint64_t(nval));
    if (const Status valid = checkWeights(entry.weights, 1); !valid)
        return Error{named + valid.error()};
    if (!entries.emplace(std::move(name).value(), std::move(entry)).second)
        return Error{named + "duplicate entry"};
    return {};
}

// The optional trailer of newer files: int32 chunk count, int32 length, dataset name.
Status readLegacyTrailer(LegacyCursor &cursor, std::map<std::string, std::string> &properties) {
    if (cursor.remaining() == 0)
        return {};
    std::int32_t chunks = 0;
    if (!cursor.readInt(chunks))
        return Error{truncatedAt(cursor, "chunk count after the entries")};
    if (chunks < 0)
        return Error{"chunk count " + std::to_string(chunks) + " is negative"};
    properties["imatrix.chunk_count"] = std::to_string(chunks);
    if (cursor.remaining() == 0)
        return {};
    std::int32_t length = 0;
    if (!cursor.readInt(length))
        return Error{truncatedAt(cursor, "dataset name length")};
    if (length < 0 || length > ImportanceMatrix::kMaxDatasetBytes)
        return Error{"dataset name length " + std::to_string(length) + " is outside 0 to " +
                     std::to_string(ImportanceMatrix::kMaxDatasetBytes)};
    if (std::uint64_t(length) > cursor.remaining())
        return Error{truncatedAt(cursor, "dataset name of " + std::to_string(length) + " bytes")};
    properties["imatrix.datasets"] = std::string(cursor.readText(std::uint64_t(length)));
    if (cursor.remaining() > 0)
        return Error{std::to_string(cursor.remaining()) + " unexpected bytes after the dataset name"};
    return {};
}

Result<ImportanceMatrix> readLegacy(const std::string &path, std::span<const std::byte> bytes) {
    if (const Status claim = checkLegacyClaim(bytes); !claim)
        return Error{path + ": not a recognised importance matrix (" + std::string(kSupported) +
                     "); read as imatrix.dat, " + claim.error()};
    LegacyCursor cursor(bytes);
    std::int32_t count = 0;
    cursor.readInt(count);
    std::map<std::string, ImportanceEntry> entries;
    for (std::int32_t i = 0; i < count; ++i) {
        if (const Status status = readLegacyEntry(cursor, i, entries); !status)
            return Error{path + ": " + status.error()};
    }
    std::map<std::string, std::string> properties;
    if (const Status trailer = readLegacyTrailer(cursor, properties); !trailer)
        return Error{path + ": " + trailer.error()};
    return ImportanceMatrix(path, ImportanceForm::LegacyDat, std::move(entries), std::move(properties));
}

// ---- GGUF ----------------------------------------------------------------------------------

struct SumsAndCounts {
    const TensorInfo *sums = nullptr;
    const TensorInfo *counts = nullptr;
    std::size_t sumsIndex = 0;
    std::size_t countsIndex = 0;
};

bool removeSuffix(std::string &name, std::string_view suffix) {
    if (!std::string_view(name).ends_with(suffix))
        return false;
    name.resize(name.size() - suffix.size());
    return true;
}

std::map<std::string, SumsAndCounts> pairTensors(const std::vector<TensorInfo> &tensors) {
    std::map<std::string, SumsAndCounts> pairs;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        std::string name = tensors[i].name;
        if (removeSuffix(name, kSumsSuffix)) {
            pairs[name].sums = &tensors[i];
            pairs[name].sumsIndex = i;
        } else if (removeSuffix(name, kCountsSuffix)) {
            pairs[name].counts = &tensors[i];
            pairs[name].countsIndex = i;
        }
    }
    return pairs;
}

Status checkPairShapes(const SumsAndCounts &pair) {
    for (const TensorInfo *info : {pair.sums, pair.counts}) {
        if (info->dtype != DType::F32 || !info->storageType.empty())
            return Error{quoted(info->name) + " is " + info->typeName() + ", not F32"};
    }
    const auto &shape = pair.sums->shape;
    if (shape.empty() || shape.size() > 2 || pair.sums->elementCount() == 0)
        return Error{quoted(pair.sums->name) + " has shape " + shapeText(shape) +
                     "; expected [columns] or [experts, columns]"};
    const std::int64_t rows = shape.size() == 2 ? shape[0] : 1;
    const std::int64_t counts = pair.counts->elementCount();
    if (counts != rows && counts != 1)
        return Error{quoted(pair.counts->name) + " holds " + std::to_string(counts) + " counts for the " +
                     std::to_string(rows) + " rows of " + quoted(pair.sums->name)};
    return {};
}

// in_sum2 / count in float32 per row; a row whose count is not above 0 never saw input and
// gets weights of 1, as llama-quantize gives it. A single count applies to every row.
Result<ImportanceEntry> divideByCounts(std::span<const float> sums, std::span<const float> counts,
                                       std::int64_t rows) {
    ImportanceEntry entry;
    entry.rows = rows;
    entry.weights.resize(sums.size());
    const std::size_t columns = sums.size() / std::size_t(rows);
    for (std::size_t r = 0; r < std::size_t(rows); ++r) {
        const float count = counts[counts.size() == 1 ? 0 : r];
        if (!std::isfinite(count))
            return Error{"count " + std::to_string(r) + " is " + std::to_string(count)};
        for (std::size_t j = r * columns; j < (r + 1) * columns; ++j)
            entry.weights[j] = count > 0.0f ? sums[j] / count : 1.0f;
    }
    if (const Status valid = checkWeights(entry.weights, rows); !valid)
        return Error{valid.error()};
    return entry;
}

Result<ImportanceEntry> readGgufEntry(const GgufReader &reader, const SumsAndCounts &pair) {
    if (const Status shapes = checkPairShapes(pair); !shapes)
        return Error{shapes.error()};
    RunControl control;
    control.threads = 1; // F32 is viewed in place: there is nothing to share out
    const auto sums = reader.loadFloat(pair.sumsIndex, control);
    if (!sums)
        return Error{sums.error()};
    const auto counts = reader.loadFloat(pair.countsIndex, control);
    if (!counts)
        return Error{counts.error()};
    const std::int64_t rows = pair.sums->shape.size() == 2 ? pair.sums->shape[0] : 1;
    return divideByCounts(sums.value()->values(), counts.value()->values(), rows);
}

Status checkImatrixType(const std::map<std::string, std::string> &metadata) {
    const auto type = metadata.find("general.type");
    if (type == metadata.end())
        return Error{
            "a GGUF file without general.type, not an importance matrix (expected general.type = imatrix)"};
    if (type->second != "imatrix")
        return Error{"a GGUF file of general.type " + quoted(type->second) +
                     ", not an importance matrix (expected general.type = imatrix)"};
    return {};
}

Result<std::map<std::string, ImportanceEntry>> readGgufEntries(const GgufReader &reader) {
    std::map<std::string, ImportanceEntry> entries;
    for (const auto &[name, pair] : pairTensors(reader.tensors())) {
        if (!pair.sums || !pair.counts)
            return Error{"entry " + quoted(name) + " has " +
                         (pair.sums ? quoted(name + std::string(kSumsSuffix)) + " but no " +
                                          quoted(name + std::string(kCountsSuffix))
                                    : quoted(name + std::string(kCountsSuffix)) + " but no " +
                                          quoted(name + std::string(kSumsSuffix)))};
        auto entry = readGgufEntry(reader, pair);
        if (!entry)
            return Error{"entry " + quoted(name) + ": " + entry.error()};
        entries.emplace(name, std::move(entry).value());
    }
    if (entries.empty())
        return Error{"no importance entries (no <name>.in_sum2 and <name>.counts tensors)"};
    return entries;
}

Result<ImportanceMatrix> readGguf(const std::string &path) {
    const auto reader = GgufReader::open(path);
    if (!reader)
        return Error{reader.error()};
    if (const Status type = checkImatrixType(reader.value()->metadata()); !type)
        return Error{path + ": " + type.error()};
    auto entries = readGgufEntries(*reader.value());
    if (!entries)
        return Error{path + ": " + entries.error()};
    return ImportanceMatrix(path, ImportanceForm::Gguf, std::move(entries).value(),
                            reader.value()->metadata());
}

} // namespace

// ---- ImportanceMatrix ------------------------------------------------------------------------

ImportanceMatrix::ImportanceMatrix(std::string path, ImportanceForm form,
                                   std::map<std::string, ImportanceEntry> entries,
                                   std::map<std::string, std::string> properties)
    : m_path(std::move(path))
    , m_form(form)
    , m_entries(std::move(entries))
    , m_properties(std::move(properties)) {
    m_properties["imatrix.form"] = formName();
    m_properties["imatrix.entries"] = std::to_string(m_entries.size());
}

std::string ImportanceMatrix::formName() const {
    return m_form == ImportanceForm::Gguf ? "GGUF imatrix" : "imatrix.dat";
}

std::optional<std::int64_t> ImportanceMatrix::chunkCount() const {
    const auto it = m_properties.find("imatrix.chunk_count");
    if (it == m_properties.end())
        return std::nullopt;
    std::int64_t chunks = 0;
    const std::string &text = it->second;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), chunks);
    if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size())
        return std::nullopt;
    return chunks;
}

std::string ImportanceMatrix::dataset() const {
    const auto it = m_properties.find("imatrix.datasets");
    return it == m_properties.end() ? std::string() : it->second;
}

const ImportanceEntry *ImportanceMatrix::findExact(std::string_view name, std::string *foundName) const {
    const auto it = m_entries.find(std::string(name));
    if (it == m_entries.end())
        return nullptr;
    if (foundName)
        *foundName = it->first;
    return &it->second;
}

namespace {

// The names a tensor may have in an importance matrix: as written, then mapped either way.
std::vector<std::string> candidateNames(std::string_view tensorName) {
    std::vector<std::string> names{std::string(tensorName)};
    for (auto mapped : {hfToGguf(tensorName), ggufToHf(tensorName)}) {
        if (mapped)
            names.push_back(std::move(*mapped));
    }
    return names;
}

struct ColumnLayout {
    std::int64_t experts = 1;
    std::int64_t columns = 1;
};

// Columns run along the last dimension; every dimension before the last two counts experts
// (llama-quantize takes one importance row per ne[2] slice).
ColumnLayout columnLayout(std::span<const std::int64_t> shape) {
    ColumnLayout layout;
    if (shape.empty())
        return layout;
    layout.columns = shape.back();
    for (std::size_t i = 0; i + 2 < shape.size(); ++i)
        layout.experts *= shape[i];
    return layout;
}

std::string lengthMismatch(const std::string &path, const std::string &entryName,
                           const ImportanceEntry &entry, std::string_view tensorName,
                           std::span<const std::int64_t> shape, const ColumnLayout &layout) {
    std::string text = path + ": importance entry " + quoted(entryName) + " has " +
                       std::to_string(entry.weights.size()) + " values";
    if (entry.rows > 1)
        text += " (" + std::to_string(entry.rows) + " rows of " +
                std::to_string(entry.weights.size() / std::size_t(entry.rows)) + ")";
    text += " but tensor " + quoted(tensorName) + " of shape " + shapeText(shape) + " has " +
            std::to_string(layout.columns) + " columns";
    if (layout.experts > 1)
        text += " in each of its " + std::to_string(layout.experts) + " experts";
    return text;
}

} // namespace

const ImportanceEntry *ImportanceMatrix::find(std::string_view tensorName) const {
    for (const std::string &name : candidateNames(tensorName)) {
        if (const ImportanceEntry *entry = findExact(name, nullptr))
            return entry;
    }
    return nullptr;
}

Result<TensorImportance> ImportanceMatrix::lookup(std::string_view tensorName,
                                                  std::span<const std::int64_t> shape) const {
    const std::vector<std::string> names = candidateNames(tensorName);
    std::string entryName;
    const ImportanceEntry *entry = nullptr;
    for (auto it = names.begin(); !entry && it != names.end(); ++it)
        entry = findExact(*it, &entryName);
    if (!entry) {
        std::string tried;
        for (const std::string &name : names)
            tried += (tried.empty() ? "" : ", ") + quoted(name);
        return Error{m_path + ": no importance entry for tensor " + quoted(tensorName) + " (looked for " +
                     tried + ")"};
    }
    const ColumnLayout layout = columnLayout(shape);
    const bool fits =
        std::uint64_t(entry->weights.size()) == std::uint64_t(layout.experts * layout.columns) &&
        (m_form == ImportanceForm::LegacyDat || entry->rows == layout.experts);
    if (!fits)
        return Error{lengthMismatch(m_path, entryName, *entry, tensorName, shape, layout)};
    return TensorImportance{entryName, entry->weights, layout.experts, layout.columns};
}

std::vector<std::string> ImportanceMatrix::unmatchedEntries(const std::vector<TensorInfo> &tensors) const {
    std::set<std::string> known;
    for (const TensorInfo &info : tensors) {
        for (std::string &name : candidateNames(info.name))
            known.insert(std::move(name));
    }
    std::vector<std::string> unmatched;
    for (const auto &[name, entry] : m_entries) {
        if (!known.count(name))
            unmatched.push_back(name);
    }
    return unmatched;
}

Status ImportanceMatrix::checkNames(const std::vector<TensorInfo> &tensors) const {
    const std::vector<std::string> unmatched = unmatchedEntries(tensors);
    if (unmatched.empty())
        return {};
    std::string text = m_path + ": " + std::to_string(unmatched.size()) + " of " +
                       std::to_string(m_entries.size()) + " importance entries match no tensor: ";
    for (std::size_t i = 0; i < std::min(unmatched.size(), kListedNames); ++i)
        text += (i ? ", " : "") + quoted(unmatched[i]);
    if (unmatched.size() > kListedNames)
        text += " and " + std::to_string(unmatched.size() - kListedNames) + " more";
    return Error{text};
}

Result<std::shared_ptr<const ImportanceMatrix>> loadImportanceMatrix(const std::string &path) {
    auto mapped = MappedFile::open(path);
    if (!mapped)
        return Error{mapped.error()};
    const std::span<const std::byte> bytes = mapped.value()->bytes();
    const bool gguf = GgufReader::probe(bytes, bytes.size());
    auto matrix = gguf ? readGguf(path) : readLegacy(path, bytes);
    if (!matrix)
        return Error{matrix.error()};
    return std::make_shared<const ImportanceMatrix>(std::move(matrix).value());
}

} // namespace qs
