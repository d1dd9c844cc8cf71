#include "plan/budgetfit.h"

#include "analysis/modelscan.h"
#include "quant/schemequant.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace qs {

namespace {

constexpr std::string_view kArrow = "\xE2\x86\x92"; // →, UTF-8

std::string lowerAscii(std::string_view text) {
    std::string out(text);
    for (char &c : out)
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    return out;
}

std::string trimmed(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos)
        return {};
    return std::string(text.substr(begin, text.find_last_not_of(" \t") - begin + 1));
}

void replaceAll(std::string &text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The rung's words: split at "-" and at spaces.
std::vector<std::string> rungWords(std::string_view rung) {
    std::vector<std::string> words;
    std::string word;
    for (char c : rung) {
        if (c != '-' && c != ' ' && c != '\t') {
            word += c;
            continue;
        }
        words.push_back(word);
        word.clear();
    }
    words.push_back(word);
    return words;
}

std::optional<std::int64_t> wholeNumber(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::string formatNames() {
    std::string names;
    for (const FormatTraits &traits : numberFormats())
        if (traits.format != NumberFormat::Int)
            names += (names.empty() ? "" : ", ") + std::string(traits.name);
    return names;
}

// The first word: keep, int<B> or a format name.
Result<LadderRung> rungHead(const std::string &word) {
    LadderRung rung;
    if (word == "keep") {
        rung.keep = true;
        return rung;
    }
    if (word == "int")
        return Error{"int needs a bit width, e.g. int4"};
    if (word.starts_with("int")) {
        const auto bits = wholeNumber(std::string_view(word).substr(3));
        if (!bits || *bits < kMinBits || *bits > kMaxBits)
            return Error{"bits must be an integer from " + std::to_string(kMinBits) + " to " +
                         std::to_string(kMaxBits) + ", not \"" + word.substr(3) + "\""};
        rung.spec.bits = int(*bits);
        return rung;
    }
    const auto format = formatFromName(word);
    if (!format)
        return Error{"unknown scheme \"" + word + "\" (use keep, int<B>[-g<N>|-channel|-tensor][-asym] or " +
                     formatNames() + ")"};
    rung.spec.format = *format;
    return rung;
}

// One option word after the head.
Status applyRungOption(LadderRung &rung, const std::string &word, bool &granularitySet) {
    const FormatTraits &traits = formatTraits(rung.spec.format);
    const std::string formatName = rung.keep ? "keep" : std::string(traits.name);
    if (word == "asym") {
        if (rung.keep || !traits.takesBits)
            return Error{"asym does not apply to " + formatName};
        rung.spec.scheme = Scheme::Asymmetric;
        return {};
    }
    const bool isGroup = word.size() > 1 && word[0] == 'g';
    if (!isGroup && word != "channel" && word != "tensor")
        return Error{"unknown option \"" + word + "\" (use g<N>, channel, tensor or asym)"};
    if (rung.keep || traits.fixedBlock != 0)
        return Error{word + " does not apply to " + formatName +
                     (rung.keep ? "" : ": it carries its own blocks")};
    if (granularitySet)
        return Error{"the granularity is given twice"};
    granularitySet = true;
    const auto granularity = parseGranularity(isGroup ? "group:" + word.substr(1) : word);
    if (!granularity)
        return Error{isGroup ? "the group size must be a whole number above 0, not \"" + word.substr(1) + "\""
                             : granularity.error()};
    rung.spec.granularity = granularity.value();
    return {};
}

Result<LadderRung> parseRung(const std::string &text) {
    const std::vector<std::string> words = rungWords(text);
    if (std::any_of(words.begin(), words.end(), [](const std::string &w) { return w.empty(); }))
        return Error{"an empty option (options follow one \"-\" or space each)"};
    Result<LadderRung> rung = rungHead(words.front());
    if (!rung)
        return rung;
    bool granularitySet = false;
    for (std::size_t i = 1; i < words.size(); ++i)
        if (const Status ok = applyRungOption(rung.value(), words[i], granularitySet); !ok)
            return Error{ok.error()};
    // Rows of 256 hold every block size: what fails here no tensor could fix.
    if (!rung->keep)
        if (const Status fits = checkScheme(rung->spec, {1, 256}); !fits)
            return Error{fits.error()};
    return rung;
}

std::string rungError(std::size_t position, const std::string &text, const std::string &why) {
    return "ladder rung " + std::to_string(position) + " \"" + text + "\": " + why;
}

std::string granularitySuffix(const Granularity &g) {
    switch (g.kind) {
    case Granularity::Kind::Tensor:
        return {};
    case Granularity::Kind::Channel:
        return g.axis == 0 ? "-channel" : "-" + granularityName(g);
    case Granularity::Kind::Group:
        return "-g" + std::to_string(g.size);
    case Granularity::Kind::Block:
        break;
    }
    return "-" + granularityName(g);
}

// The next rung after `from` that the tensor can take, or -1.
int nextAvailable(const FitTensor &tensor, int from) {
    for (int r = from + 1; r < int(tensor.rungs.size()); ++r)
        if (tensor.rungs[std::size_t(r)].available)
            return r;
    return -1;
}

// A raise the fit may take: it saves bits or adds none while reducing the error (free), or it
// buys an error reduction with bits (paid).
struct Candidate {
    std::size_t tensor = 0;
    int to = 0;
    double gain = 0.0; ///< error reduction
    double cost = 0.0; ///< added bits
    bool free = false;

    double priority() const { return free ? gain : gain / cost; }
};

std::optional<Candidate> candidateOf(const BudgetProblem &problem, std::size_t t, int rung) {
    const FitTensor &tensor = problem.tensors[t];
    const int next = rung < 0 ? -1 : nextAvailable(tensor, rung);
    if (next < 0)
        return std::nullopt;
    const RungCost &from = tensor.rungs[std::size_t(rung)];
    const RungCost &to = tensor.rungs[std::size_t(next)];
    Candidate c{t, next, from.error - to.error, to.bits - from.bits};
    c.free = (c.cost <= 0.0 && c.gain > 0.0) || (c.cost < 0.0 && c.gain >= 0.0);
    if (!c.free && !(c.cost > 0.0 && c.gain > 0.0))
        return std::nullopt; // it changes nothing, or spends bits for no gain
    return c;
}

// Free raises first, then the higher priority, then the lower tensor index.
bool takenBefore(const Candidate &a, const Candidate &b) {
    if (a.free != b.free)
        return a.free;
    if (a.priority() != b.priority())
        return a.priority() > b.priority();
    return a.tensor < b.tensor;
}

int firstAvailable(const FitTensor &tensor) {
    return nextAvailable(tensor, -1);
}

} // namespace

PlanOverride LadderRung::override() const {
    if (keep)
        return PlanOverride::keepStored();
    return PlanOverride{false, planSchemeFromSpec(spec)};
}

Result<Ladder> parseLadder(std::string_view text) {
    std::string joined(text);
    replaceAll(joined, kArrow, ",");
    replaceAll(joined, "->", ",");
    Ladder ladder;
    std::size_t begin = 0;
    for (std::size_t position = 1;; ++position) {
        const std::size_t comma = joined.find(',', begin);
        const std::string rungTextIn = trimmed(std::string_view(joined).substr(begin, comma - begin));
        if (rungTextIn.empty())
            return Error{"ladder rung " + std::to_string(position) + " is empty"};
        const Result<LadderRung> rung = parseRung(lowerAscii(rungTextIn));
        if (!rung)
            return Error{rungError(position, rungTextIn, rung.error())};
        ladder.push_back(rung.value());
        if (comma == std::string::npos)
            break;
        begin = comma + 1;
    }
    if (ladder.size() < 2)
        return Error{"a ladder needs at least 2 rungs, e.g. \"q4_k,q8_0\" (got 1)"};
    return ladder;
}

std::string rungText(const LadderRung &rung) {
    if (rung.keep)
        return "keep";
    const FormatTraits &traits = formatTraits(rung.spec.format);
    std::string text = traits.takesBits ? "int" + std::to_string(rung.spec.bits) : std::string(traits.name);
    if (traits.fixedBlock == 0)
        text += granularitySuffix(rung.spec.granularity);
    if (traits.takesBits && rung.spec.scheme == Scheme::Asymmetric)
        text += "-asym";
    return text;
}

std::string ladderText(const Ladder &ladder) {
    std::string text;
    for (const LadderRung &rung : ladder)
        text += (text.empty() ? "" : ",") + rungText(rung);
    return text;
}

double Budget::totalBits(std::int64_t totalParams) const {
    return unit == Unit::BitsPerWeight ? value * double(totalParams) : value * 8.0;
}

BudgetFit fitBudget(const BudgetProblem &problem, double budgetBits) {
    BudgetFit fit;
    fit.budgetBits = budgetBits;
    fit.totalBits = problem.fixedBits;
    for (const FitTensor &tensor : problem.tensors) {
        fit.rungs.push_back(firstAvailable(tensor));
        if (fit.rungs.back() >= 0)
            fit.totalBits += tensor.rungs[std::size_t(fit.rungs.back())].bits;
    }
    fit.overBudget = !(fit.totalBits <= budgetBits);
    while (!fit.overBudget) {
        std::optional<Candidate> best;
        for (std::size_t t = 0; t < problem.tensors.size(); ++t) {
            const auto c = candidateOf(problem, t, fit.rungs[t]);
            if (c && fit.totalBits + c->cost <= budgetBits && (!best || takenBefore(*c, *best)))
                best = c;
        }
        if (!best)
            break;
        fit.raises.push_back({best->tensor, fit.rungs[best->tensor], best->to});
        fit.rungs[best->tensor] = best->to;
        fit.totalBits += best->cost;
    }
    for (std::size_t t = 0; t < problem.tensors.size(); ++t)
        if (fit.rungs[t] >= 0)
            fit.totalError += problem.tensors[t].rungs[std::size_t(fit.rungs[t])].error;
    fit.avgBitsPerWeight = problem.totalParams > 0 ? fit.totalBits / double(problem.totalParams) : 0.0;
    return fit;
}

QuantPlan applyBudgetFit(const QuantPlan &plan, const Ladder &ladder, const BudgetProblem &problem,
                         const BudgetFit &fit) {
    QuantPlan out = plan;
    for (std::size_t t = 0; t < problem.tensors.size() && t < fit.rungs.size(); ++t) {
        const int rung = fit.rungs[t];
        if (rung >= 0 && std::size_t(rung) < ladder.size())
            setOverride(out, problem.tensors[t].name, ladder[std::size_t(rung)].override());
    }
    return out;
}

} // namespace qs
