// llama.cpp tensor types: the per-tensor `--tensor-type` overrides of llama-quantize, as a file
// for --tensor-type-file and as the equivalent command line.

#include "export/llamacpptypes.h"

#include "export/exporter.h"
#include "io/tensornames.h"
#include "util/textfile.h"

#include <QFileInfo>

#include <algorithm>
#include <cctype>
#include <map>

namespace qs {

namespace {

constexpr std::string_view kCommandSuffix = ".cmdline.txt";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::toupper(c)); });
    return text;
}

// ECMAScript regex escaping for the characters std::regex treats as special.
std::string escapeRegex(const std::string &name) {
    std::string out;
    for (char c : name) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos)
            out += '\\';
        out += c;
    }
    return out;
}

std::string shellQuote(const std::string &text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool isGguf(const CheckpointReader &reader) {
    return reader.formatName().starts_with("GGUF");
}

// The ggml name of a kept tensor's stored type: f32, f16, bf16, or a GGUF input's block type.
std::optional<std::string> storedTypeName(const TensorInfo &info) {
    if (!info.storageType.empty()) {
        // ggml spells its block types in lower case but for the K of the K types ("q4_K").
        std::string name = lower(info.storageType);
        if (name.ends_with("_k"))
            name.back() = 'K';
        return name;
    }
    switch (info.dtype) {
    case DType::F32:
        return "f32";
    case DType::F16:
        return "f16";
    case DType::BF16:
        return "bf16";
    default:
        return std::nullopt;
    }
}

bool llamaQuantizeTouches(const TensorInfo &info) {
    // llama-quantize quantizes only tensors of rank 2 or more whose name ends in "weight".
    return info.shape.size() >= 2 && info.name.ends_with("weight");
}

std::int64_t paramCount(const TensorInfo &info) {
    std::int64_t n = 1;
    for (std::int64_t d : info.shape)
        n *= d;
    return n;
}

} // namespace

std::optional<std::string> ggmlTypeName(NumberFormat format) {
    // ggml_type_name spells the casts "f16" and "bf16", as Quantscope does.
    if (formatTraits(format).family == FormatFamily::Cast)
        return std::string(formatTraits(format).name);
    if (formatTraits(format).family != FormatFamily::GgmlBlock)
        return std::nullopt;
    std::string name(formatTraits(format).name);
    // ggml spells the K types with a capital K: "q4_K".
    if (name.ends_with("_k"))
        name.back() = 'K';
    return name;
}

std::string TensorTypeLine::text() const {
    return "^" + escapeRegex(ggufName) + "$=" + type;
}

Result<std::vector<TensorTypeLine>> llamaCppTensorTypes(const QuantPlan &plan,
                                                        const CheckpointReader &reader) {
    const bool gguf = isGguf(reader);
    std::vector<TensorTypeLine> lines;
    for (const TensorInfo &info : reader.tensors()) {
        const TensorResolution r = resolve(plan, info.name, info.shape);
        if (!r.quantized() && !llamaQuantizeTouches(info))
            continue;
        TensorTypeLine line;
        line.params = paramCount(info);
        line.quantized = r.quantized();
        if (r.quantized()) {
            const auto type = ggmlTypeName(r.spec.format);
            if (!type)
                return Error{info.name + ": " + std::string(formatTraits(r.spec.format).name) +
                             " is not a ggml type llama-quantize writes"};
            line.type = *type;
        } else {
            const auto stored = storedTypeName(info);
            if (!stored)
                return Error{info.name + " is kept in " + info.typeName() + ", which has no ggml type name"};
            line.type = *stored;
        }
        if (gguf) {
            line.ggufName = info.name;
        } else if (const auto mapped = hfToGguf(info.name)) {
            line.ggufName = *mapped;
        } else {
            return Error{info.name +
                         " has no GGUF name (Hugging Face names map for Llama-family models only)"};
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string llamaQuantizeBaseType(const std::vector<TensorTypeLine> &lines) {
    std::map<std::string, std::int64_t> params;
    for (const TensorTypeLine &line : lines)
        if (line.quantized)
            params[line.type] += line.params;
    const auto most = std::max_element(params.begin(), params.end(),
                                       [](const auto &a, const auto &b) { return a.second < b.second; });
    return most == params.end() ? "Q8_0" : upper(most->first);
}

std::string llamaQuantizeCommandLine(const std::vector<TensorTypeLine> &lines, const std::string &input,
                                     const std::string &output) {
    std::string text = "llama-quantize \\\n";
    for (const TensorTypeLine &line : lines)
        text += "  --tensor-type " + shellQuote(line.text()) + " \\\n";
    return text + "  " + shellQuote(input) + " " + shellQuote(output) + " " + llamaQuantizeBaseType(lines) +
           "\n";
}

namespace {

class LlamaCppTypesExporter final : public Exporter {
public:
    std::string id() const override { return "llama-cpp-types"; }
    std::string displayName() const override { return "llama.cpp tensor types"; }
    ExportCapability capability() const override { return ExportCapability::Config; }
    // The --tensor-type-file (OUT, suggested suffix "txt"), and OUT + ".cmdline.txt" with the
    // same overrides as a command line: llama-quantize reads the file as whitespace-separated
    // name=type tokens with no comment syntax, so the command line cannot go inside it.
    std::vector<std::string> outputFiles() const override {
        return {"txt", std::string(kCommandSuffix.substr(1))};
    }
    std::string fileFilter() const override { return "llama-quantize tensor types (*.txt)"; }
    std::string schemesText() const override {
        return "llama.cpp's block types q4_0, q4_1, q5_0, q5_1, q8_0, q2_k, q3_k, q4_k, q5_k, q6_k, "
               "and the casts f16 and bf16";
    }
    std::optional<std::string> cannotExpress(const QuantSpec &spec,
                                             const std::vector<std::int64_t> &) const override {
        if (ggmlTypeName(spec.format))
            return std::nullopt;
        // llama-quantize writes ggml types only; Quantscope's int, fp8, nf4 and MX grids
        // have no ggml type with the same codes and scales.
        return std::string(formatTraits(spec.format).name) + " has no llama.cpp tensor type";
    }

    Result<ExportOutcome> write(const ExportJob &job) const override {
        const auto lines = llamaCppTensorTypes(job.plan, *job.reader);
        if (!lines)
            return Error{lines.error()};
        const std::string command = job.output + std::string(kCommandSuffix);
        const std::vector<std::string> inputs = checkpointInputFiles(*job.reader);
        const QString canonical = QFileInfo(QString::fromStdString(command)).canonicalFilePath();
        if (!canonical.isEmpty() &&
            std::find(inputs.begin(), inputs.end(), canonical.toStdString()) != inputs.end())
            return Error{command + " is the input checkpoint; refusing to overwrite it"};

        ExportOutcome outcome;
        std::string types;
        for (const TensorTypeLine &line : lines.value())
            types += line.text() + "\n";
        for (std::size_t i = 0; i < job.reader->tensors().size(); ++i) {
            if (job.control.canceled())
                return Error{"cancelled"};
            const TensorInfo &info = job.reader->tensors()[i];
            (resolve(job.plan, info.name, info.shape).quantized() ? outcome.quantized : outcome.copied) += 1;
            if (job.tensorDone)
                job.tensorDone(i);
        }
        const std::string input = isGguf(*job.reader) ? job.reader->path() : "model-f16.gguf";
        if (const Status saved = saveTextFile(job.output, types); !saved)
            return Error{saved.error()};
        outcome.written.push_back(job.output);
        if (const Status saved =
                saveTextFile(command, llamaQuantizeCommandLine(lines.value(), input, "model-quantized.gguf"));
            !saved)
            return Error{saved.error()};
        outcome.written.push_back(command);
        return outcome;
    }
};

} // namespace

const Exporter &llamaCppTypesExporter() {
    static const LlamaCppTypesExporter exporter;
    return exporter;
}

} // namespace qs
