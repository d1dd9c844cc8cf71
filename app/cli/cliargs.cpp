#include "cliargs.h"

#include "clibudget.h"

#include "export/exporter.h"
#include "quant/scaledtype.h"
#include "quant/schemequant.h"

#include <QFileInfo>
#include <QHash>

#include <cmath>
#include <functional>

namespace qs::cli {

namespace {

using Setter = std::function<std::optional<QString>(CliOptions &, const QString &)>;

struct OptionDef {
    bool takesValue = false;
    Setter set; ///< returns a problem, or nullopt when the value is fine
};

Error usage(const QString &message) {
    return Error{message.toStdString()};
}

std::optional<QString> setBits(CliOptions &o, const QString &value) {
    bool ok = false;
    const int bits = value.toInt(&ok);
    if (!ok || bits < kMinBits || bits > kMaxBits)
        return QStringLiteral("--bits must be an integer from %1 to %2, not \"%3\"")
            .arg(kMinBits)
            .arg(kMaxBits)
            .arg(value);
    o.spec.bits = bits;
    return std::nullopt;
}

std::optional<QString> setScheme(CliOptions &o, const QString &value) {
    const auto scheme = schemeFromName(value.toStdString());
    if (!scheme)
        return QStringLiteral("--scheme must be symmetric or asymmetric, not \"%1\"").arg(value);
    o.spec.scheme = *scheme;
    return std::nullopt;
}

std::optional<QString> setClip(CliOptions &o, const QString &value) {
    const QStringList parts = value.split(QLatin1Char(','));
    bool okLo = false;
    bool okHi = false;
    const double lo = parts.size() == 2 ? parts[0].trimmed().toDouble(&okLo) : 0.0;
    const double hi = parts.size() == 2 ? parts[1].trimmed().toDouble(&okHi) : 0.0;
    if (!okLo || !okHi || !std::isfinite(lo) || !std::isfinite(hi))
        return QStringLiteral("--clip needs two numbers LO,HI, not \"%1\"").arg(value);
    if (lo > hi)
        return QStringLiteral("--clip LO must not exceed HI (got %1 > %2)").arg(lo).arg(hi);
    o.spec.rangeMode = RangeMode::Saturating;
    o.spec.clipLo = lo;
    o.spec.clipHi = hi;
    return std::nullopt;
}

std::optional<QString> setFormat(CliOptions &o, const QString &value) {
    const auto format = formatFromName(value.toStdString());
    if (!format) {
        QStringList names;
        for (const FormatTraits &traits : numberFormats())
            names.append(QString::fromUtf8(traits.name.data(), qsizetype(traits.name.size())));
        return QStringLiteral("--format must be one of %1, not \"%2\"")
            .arg(names.join(QStringLiteral(", ")), value);
    }
    o.spec.format = *format;
    return std::nullopt;
}

std::optional<QString> setGranularity(CliOptions &o, const QString &value) {
    auto granularity = parseGranularity(value.toStdString());
    if (!granularity)
        return QString::fromStdString(granularity.error()); // "granularity 'x': why (use ...)"
    o.spec.granularity = granularity.value();
    return std::nullopt;
}

std::optional<QString> setMethod(CliOptions &o, const QString &value) {
    const auto choice = parseMethod(value.toStdString());
    if (!choice)
        return QStringLiteral("--method: %1").arg(QString::fromStdString(choice.error()));
    o.spec.method = choice->method;
    o.spec.percentile = choice->percentile;
    return std::nullopt;
}

std::optional<QString> setClipRatio(CliOptions &o, const QString &value) {
    bool ok = false;
    const double ratio = value.toDouble(&ok);
    if (!ok || !(ratio > 0.0 && ratio <= 1.0))
        return QStringLiteral("--clip-ratio must be a number in (0, 1], not \"%1\"").arg(value);
    o.spec.clipRatio = ratio;
    return std::nullopt;
}

std::optional<QString> setScaleDtype(CliOptions &o, const QString &value) {
    const auto dtype = scaleDtypeFromName(value.toStdString());
    if (!dtype)
        return QStringLiteral("--scale-dtype must be f32, f16 or bf16, not \"%1\"").arg(value);
    o.spec.scaleDtype = *dtype;
    return std::nullopt;
}

std::optional<QString> setSaveDequantized(CliOptions &o, const QString &value) {
    if (!value.endsWith(QLatin1String(".npy")))
        return QStringLiteral("--save-dequantized writes a NumPy file: OUT must end in .npy, not \"%1\"")
            .arg(value);
    o.saveDequantized = value;
    return std::nullopt;
}

std::optional<QString> setThreads(CliOptions &o, const QString &value) {
    bool ok = false;
    const int threads = value.toInt(&ok);
    if (!ok || threads < 0 || threads > 1024)
        return QStringLiteral("--threads must be an integer from 0 (automatic) to 1024, not \"%1\"")
            .arg(value);
    o.threads = threads;
    return std::nullopt;
}

// An option without a value that sets one bool member.
OptionDef flag(bool CliOptions::*member) {
    return {false, [member](CliOptions &o, const QString &) -> std::optional<QString> {
                o.*member = true;
                return std::nullopt;
            }};
}

// An option with a value that sets one QString member as given.
OptionDef text(QString CliOptions::*member) {
    return {true, [member](CliOptions &o, const QString &value) -> std::optional<QString> {
                o.*member = value;
                return std::nullopt;
            }};
}

// The options that set the scheme, which report's --plan replaces.
const QStringList &schemeOptionNames() {
    static const QStringList names{QStringLiteral("format"),      QStringLiteral("bits"),
                                   QStringLiteral("scheme"),      QStringLiteral("narrow"),
                                   QStringLiteral("granularity"), QStringLiteral("method"),
                                   QStringLiteral("clip-ratio"),  QStringLiteral("clip"),
                                   QStringLiteral("suggest"),     QStringLiteral("scale-dtype")};
    return names;
}

// The options that set one scheme (analyze's, and the default of report, export and quantize).
void addSchemeOptions(QHash<QString, OptionDef> &defs) {
    defs.insert(QStringLiteral("bits"), {true, setBits});
    defs.insert(QStringLiteral("scheme"), {true, setScheme});
    defs.insert(QStringLiteral("clip"), {true, setClip});
    defs.insert(QStringLiteral("narrow"),
                {false, [](CliOptions &o, const QString &) -> std::optional<QString> {
                     o.spec.narrow = true;
                     return std::nullopt;
                 }});
    // An alias of --method mse, applied once all options are read (see applyAliases).
    defs.insert(
        QStringLiteral("suggest"),
        {false, [](CliOptions &, const QString &) -> std::optional<QString> { return std::nullopt; }});
    defs.insert(QStringLiteral("format"), {true, setFormat});
    defs.insert(QStringLiteral("granularity"), {true, setGranularity});
    defs.insert(QStringLiteral("method"), {true, setMethod});
    defs.insert(QStringLiteral("clip-ratio"), {true, setClipRatio});
    defs.insert(QStringLiteral("scale-dtype"), {true, setScaleDtype});
}

QHash<QString, OptionDef> optionsFor(Command command) {
    QHash<QString, OptionDef> defs;
    if (command == Command::Demo)
        return defs;
    if (command == Command::Export || command == Command::Quantize) {
        defs.insert(QStringLiteral("to"), text(&CliOptions::target));
        defs.insert(QStringLiteral("output"), text(&CliOptions::output));
        defs.insert(QStringLiteral("plan"), text(&CliOptions::planFile));
        defs.insert(QStringLiteral("threads"), {true, setThreads});
        defs.insert(QStringLiteral("imatrix"), text(&CliOptions::imatrixFile));
        addSchemeOptions(defs);
        return defs;
    }
    defs.insert(QStringLiteral("json"), flag(&CliOptions::json));
    if (command != Command::Analyze && command != Command::Compare && command != Command::Report)
        return defs;
    if (command == Command::Report) {
        defs.insert(QStringLiteral("csv"), flag(&CliOptions::csv));
        defs.insert(QStringLiteral("plan"), text(&CliOptions::planFile));
        defs.insert(QStringLiteral("budget-bpw"), text(&CliOptions::budgetBpw));
        defs.insert(QStringLiteral("budget-gib"), text(&CliOptions::budgetGib));
        defs.insert(QStringLiteral("ladder"), text(&CliOptions::ladder));
        defs.insert(QStringLiteral("save-plan"), text(&CliOptions::savePlan));
        defs.insert(QStringLiteral("reference"), text(&CliOptions::referenceFile));
    } else {
        defs.insert(QStringLiteral("tensor"), text(&CliOptions::tensor));
    }
    defs.insert(QStringLiteral("threads"), {true, setThreads});
    defs.insert(QStringLiteral("imatrix"), text(&CliOptions::imatrixFile));
    if (command == Command::Compare)
        return defs;
    addSchemeOptions(defs);
    if (command == Command::Report)
        return defs;
    defs.insert(QStringLiteral("params"), flag(&CliOptions::params));
    defs.insert(QStringLiteral("save-dequantized"), {true, setSaveDequantized});
    return defs;
}

std::optional<Command> commandFromName(const QString &name) {
    if (name == QLatin1String("list"))
        return Command::List;
    if (name == QLatin1String("analyze"))
        return Command::Analyze;
    if (name == QLatin1String("compare"))
        return Command::Compare;
    if (name == QLatin1String("report"))
        return Command::Report;
    if (name == QLatin1String("export"))
        return Command::Export;
    if (name == QLatin1String("quantize"))
        return Command::Quantize;
    if (name == QLatin1String("demo"))
        return Command::Demo;
    return std::nullopt;
}

QString methodText(const QuantSpec &spec) {
    return QString::fromStdString(methodLabel(spec));
}

// Options that set the range in two ways at once.
std::optional<QString> checkRangeOptions(const CliOptions &o) {
    const bool clip = o.given.contains(QStringLiteral("clip"));
    const bool method = o.given.contains(QStringLiteral("method"));
    if (o.given.contains(QStringLiteral("suggest")) && method && o.spec.method != CalibMethod::Mse)
        return QStringLiteral("--suggest is --method mse and excludes --method %1").arg(methodText(o.spec));
    if (clip && o.given.contains(QStringLiteral("suggest")))
        return QStringLiteral("--clip and --suggest exclude each other");
    if (clip && o.spec.method != CalibMethod::MinMax)
        return QStringLiteral("--clip and --method %1 exclude each other: both set the range")
            .arg(methodText(o.spec));
    if (o.given.contains(QStringLiteral("clip-ratio")) && o.spec.method != CalibMethod::MinMax)
        return QStringLiteral("--clip-ratio and --method %1 exclude each other: both set the range")
            .arg(methodText(o.spec));
    if (clip && o.given.contains(QStringLiteral("clip-ratio")))
        return QStringLiteral("--clip and --clip-ratio exclude each other: both set the range");
    return std::nullopt;
}

// An explicit --bits, --scheme or --narrow on a format that has no such choice, or an explicit
// --scale-dtype on a format that stores its own block scales (even f32 names nothing there).
std::optional<QString> checkIntOnlyOptions(const CliOptions &o) {
    const FormatTraits &traits = formatTraits(o.spec.format);
    const QString format = QString::fromUtf8(traits.name.data(), qsizetype(traits.name.size()));
    if (!traits.takesBits)
        for (const char *key : {"bits", "scheme", "narrow"})
            if (o.given.contains(QLatin1String(key)))
                return QStringLiteral("%1 does not apply to %2").arg(QLatin1String(key), format);
    if (o.given.contains(QStringLiteral("scale-dtype")) && !scaleDtypeApplies(o.spec.format))
        return QStringLiteral("scale_dtype does not apply to %1").arg(format);
    return std::nullopt;
}

// A shape every format and granularity fits (rows of 256 hold every block size; the channel axis
// exists), so that checkScheme reports only what no tensor could fix.
std::vector<std::int64_t> shapeThatFits(const QuantSpec &spec) {
    std::vector<std::int64_t> shape(std::size_t(std::max(2, spec.granularity.axis + 1)), 1);
    shape.back() = 256;
    return shape;
}

std::optional<QString> checkSaveTarget(const CliOptions &o) {
    if (o.saveDequantized.isEmpty())
        return std::nullopt;
    const QFileInfo out(o.saveDequantized);
    const QFileInfo in(o.file);
    if (out.exists() && out.canonicalFilePath() == in.canonicalFilePath())
        return QStringLiteral("--save-dequantized %1 is the input file; refusing to overwrite it")
            .arg(o.saveDequantized);
    return std::nullopt;
}

// --suggest means --method mse, whichever of the two comes first.
void applyAliases(CliOptions &o) {
    if (o.given.contains(QStringLiteral("suggest")) && !o.given.contains(QStringLiteral("method")))
        o.spec.method = CalibMethod::Mse;
}

// The scheme options together, as analyze and report take them.
std::optional<QString> checkSchemeOptions(const CliOptions &o) {
    if (auto problem = checkRangeOptions(o))
        return problem;
    if (auto problem = checkIntOnlyOptions(o))
        return problem;
    if (o.spec.narrow && o.spec.scheme == Scheme::Asymmetric)
        return QStringLiteral("--narrow applies to the symmetric scheme only");
    if (const Status fits = checkScheme(o.spec, shapeThatFits(o.spec)); !fits)
        return QString::fromStdString(fits.error());
    return std::nullopt;
}

// export and quantize: a known target of the command's kind, an output, and --plan or the scheme
// options (not both).
std::optional<QString> checkExport(const CliOptions &o) {
    const bool weights = o.command == Command::Quantize;
    const QString command = weights ? QStringLiteral("quantize") : QStringLiteral("export");
    const QString ids = QString::fromStdString(exporterIds(weights));
    if (o.target.isEmpty())
        return QStringLiteral("%1 needs --to %2").arg(command, ids);
    if (!findExporter(o.target.toStdString(), weights))
        return QStringLiteral("%1 cannot write \"%2\" (expected --to %3)").arg(command, o.target, ids);
    if (o.output.isEmpty())
        return QStringLiteral("%1 needs -o OUT").arg(command);
    if (o.given.contains(QStringLiteral("plan")) && o.planFile.isEmpty())
        return QStringLiteral("--plan needs a file name");
    if (!o.planFile.isEmpty())
        for (const QString &name : schemeOptionNames())
            if (o.given.contains(name))
                return QStringLiteral("--plan sets every scheme; it excludes --%1").arg(name);
    return checkSchemeOptions(o);
}

std::optional<QString> checkReport(const CliOptions &o) {
    if (o.json == o.csv)
        return o.json ? QStringLiteral("report writes --json or --csv, not both")
                      : QStringLiteral("report needs --json or --csv");
    if (o.given.contains(QStringLiteral("plan")) && o.planFile.isEmpty())
        return QStringLiteral("--plan needs a file name");
    if (o.given.contains(QStringLiteral("reference")) && o.referenceFile.isEmpty())
        return QStringLiteral("--reference needs a file name");
    if (!o.planFile.isEmpty())
        for (const QString &name : schemeOptionNames())
            if (o.given.contains(name))
                return QStringLiteral("--plan sets every scheme; it excludes --%1").arg(name);
    if (auto problem = checkBudgetOptions(o))
        return problem;
    return checkSchemeOptions(o);
}

// Combinations that each option alone cannot judge.
std::optional<QString> checkCombination(const CliOptions &o) {
    if (o.given.contains(QStringLiteral("imatrix")) && o.imatrixFile.isEmpty())
        return QStringLiteral("--imatrix needs a file name");
    if (o.command == Command::Compare && o.tensor.isEmpty())
        return QStringLiteral("compare needs --tensor NAME");
    if (o.command == Command::Report)
        return checkReport(o);
    if (o.command == Command::Export || o.command == Command::Quantize)
        return checkExport(o);
    if (o.command != Command::Analyze)
        return std::nullopt;
    if (o.tensor.isEmpty())
        return QStringLiteral("analyze needs --tensor NAME");
    if (auto problem = checkSchemeOptions(o))
        return problem;
    return checkSaveTarget(o);
}

// Applies the option at args[i], moving i past a separate value; returns the problem, if any.
std::optional<QString> applyOption(const QHash<QString, OptionDef> &defs, const QStringList &args,
                                   qsizetype &i, CliOptions &o) {
    const QString &arg = args[i];
    const qsizetype eq = arg.indexOf(QLatin1Char('='));
    const QString name = arg.mid(2, eq < 0 ? -1 : eq - 2);
    if (!arg.startsWith(QLatin1String("--")) || !defs.contains(name))
        return QStringLiteral("unknown option \"%1\" for %2").arg(arg, args.first());
    const OptionDef &def = defs[name];
    o.given.insert(name);
    if (!def.takesValue && eq >= 0)
        return QStringLiteral("option --%1 takes no value").arg(name);
    QString value;
    if (eq >= 0) {
        value = arg.mid(eq + 1);
    } else if (def.takesValue) {
        // The next argument is the value whatever it looks like: --clip -0.3,0.25.
        if (++i == args.size())
            return QStringLiteral("option --%1 needs a value").arg(name);
        value = args[i];
    }
    return def.set(o, value);
}

// Sets o's options from args (after the command) and returns the remaining arguments.
Result<QStringList> applyOptions(const QStringList &args, CliOptions &o) {
    const QHash<QString, OptionDef> defs = optionsFor(o.command);
    QStringList positional;
    bool optionsEnded = false;
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (optionsEnded || !arg.startsWith(QLatin1Char('-')) || arg == QLatin1String("-"))
            positional.append(arg);
        else if (arg == QLatin1String("--"))
            optionsEnded = true;
        else if (arg == QLatin1String("-o") && defs.contains(QStringLiteral("output"))) {
            if (++i == args.size())
                return usage(QStringLiteral("option -o needs a value"));
            o.output = args[i];
            o.given.insert(QStringLiteral("output"));
        } else if (auto problem = applyOption(defs, args, i, o))
            return usage(*problem);
    }
    return positional;
}

} // namespace

Result<CliOptions> parseArguments(const QStringList &args) {
    CliOptions o;
    if (args.isEmpty())
        return usage(QStringLiteral("no command given (try --help)"));
    if (args.contains(QLatin1String("--help")) || args.contains(QLatin1String("-h")))
        return o; // Command::Help
    if (args.first() == QLatin1String("--version")) {
        o.command = Command::Version;
        return o;
    }
    const auto command = commandFromName(args.first());
    if (!command)
        return usage(
            QStringLiteral(
                "unknown command \"%1\" (expected list, analyze, compare, report, export, quantize or demo)")
                .arg(args.first()));
    o.command = *command;
    const auto positional = applyOptions(args, o);
    if (!positional)
        return Error{positional.error()};
    if (positional->size() != 1)
        return usage(QStringLiteral("%1 needs exactly one FILE argument (got %2)")
                         .arg(args.first())
                         .arg(positional->size()));
    o.file = positional->first();
    if (o.file.isEmpty())
        return usage(QStringLiteral("the FILE argument is empty"));
    applyAliases(o);
    if (auto problem = checkCombination(o))
        return usage(*problem);
    return o;
}

QString usageText() {
    QStringList formats;
    for (const FormatTraits &traits : numberFormats())
        formats.append(QString::fromUtf8(traits.name.data(), qsizetype(traits.name.size())));
    return QStringLiteral(
               "Usage:\n"
               "  quantscope-cli list FILE [--json]\n"
               "      List the tensors of a checkpoint: name, dtype, shape, elements.\n"
               "  quantscope-cli analyze FILE --tensor NAME [--format F] [--granularity G] [--bits B]\n"
               "                 [--scheme symmetric|asymmetric] [--narrow] [--method M]\n"
               "                 [--clip=LO,HI | --clip-ratio R | --suggest] [--scale-dtype D] [--params]\n"
               "                 [--save-dequantized OUT.npy] [--imatrix FILE] [--threads N] [--json]\n"
               "      Quantize one tensor and report the mapping and its error.\n"
               "      --format F      number format (default int):\n"
               "                      %3\n"
               "      --granularity G which values share parameters (int and fp8): tensor (default),\n"
               "                      channel[:AXIS], group:G or block:RxC\n"
               "      --bits B        int only: bit width, %1 to %2 (default 8)\n"
               "      --scheme S      int only: symmetric (default) or asymmetric\n"
               "      --narrow        int, symmetric only: qmin = -(2^(B-1) - 1)\n"
               "      --method M      how each range is found: minmax (default), mse, percentile[:P],\n"
               "                      entropy, histogram-l2 or hqq\n"
               "      --clip=LO,HI    int per tensor: saturating range with these thresholds\n"
               "      --clip-ratio R  every min-max range scaled by R, 0 < R <= 1 (int and fp8)\n"
               "      --suggest       the same as --method mse\n"
               "      --scale-dtype D int and fp8: the type scales are stored in, f32 (default), f16\n"
               "                      or bf16; the scale is rounded to it before quantizing, as\n"
               "                      compressed-tensors does with the weight's dtype\n"
               "      --params        also report the parameter grid: param_shape, scales, zero_points\n"
               "      --save-dequantized OUT.npy\n"
               "                      write the dequantized tensor as float32 with the tensor's shape\n"
               "                      (never over the input file)\n"
               "      --imatrix FILE  a llama.cpp importance matrix (imatrix.dat or GGUF) with an entry\n"
               "                      for the tensor: q4_0, q4_1, q5_0, q5_1 and the K types quantize\n"
               "                      with its weights as llama-quantize --imatrix does (q8_0 and the\n"
               "                      other formats ignore them); adds weighted_mse\n"
               "      --threads N     worker threads (default 0: one per core)\n"
               "  quantscope-cli compare FILE --tensor NAME [--imatrix FILE] [--threads N] [--json]\n"
               "      Quantize one tensor with every scheme family and bit width (int per tensor,\n"
               "      per channel, group 128 and 32 at 2-8 bits; fp8; mxfp4, nvfp4, nf4; llama.cpp's\n"
               "      block types) and report bits per weight, MSE, SQNR and cosine for each; with\n"
               "      --imatrix the block types take its weights, as for analyze.\n"
               "  quantscope-cli report FILE (--json | --csv) [scheme options as for analyze | --plan "
               "PLAN.json]\n"
               "                 [--imatrix FILE] [--budget-bpw X | --budget-gib X] [--ladder S1,S2,...]\n"
               "                 [--save-plan OUT.json] [--reference FILE] [--threads N]\n"
               "      Quantize every tensor of the model, one at a time, and report each one's error\n"
               "      and the totals. Without --plan the scheme options set the default scheme, and\n"
               "      1-D tensors, embeddings and the output head are kept in their stored type.\n"
               "      --json          {\"tensors\": [...], \"summary\": {...}}\n"
               "      --csv           one row per tensor; the summary goes to stderr\n"
               "      --plan PLAN     a plan file (rules, ignore list, overrides)\n"
               "      --imatrix FILE  a llama.cpp importance matrix: the block types quantize with it, as\n"
               "                      for analyze, and every quantized tensor with an entry gets\n"
               "                      weighted_mse. Entries that match no tensor are listed in a\n"
               "                      warning; it is an error when none matches, or when an entry's\n"
               "                      length does not fit its tensor's columns.\n"
               "      --budget-bpw X, --budget-gib X, --ladder S1,S2,...\n"
               "                      fit the plan to a size budget first (bits per weight or GiB over\n"
               "                      all tensors): every tensor not ignored starts on the first rung,\n"
               "                      then the best error reduction per added bit is raised while it\n"
               "                      fits (weighted by --imatrix). A rung is keep, a format (q4_k,\n"
               "                      nf4, ...) or int<B>[-g<N>|-channel|-tensor][-asym]\n"
               "      --save-plan OUT.json\n"
               "                      write the plan reported (fitted, with --ladder) as a plan file\n"
               "      --reference FILE  another checkpoint, e.g. a quantized copy: each tensor is\n"
               "                      paired with its tensor of the same name (or its Hugging Face /\n"
               "                      GGUF name) and shape; adds reference_mse, reference_sqnr_db,\n"
               "                      reference_cosine, reference_max_abs_diff, reference_partner\n"
               "                      and reference_skipped (why a tensor has no figures)\n"
               "  quantscope-cli export FILE --to %4 -o OUT\n"
               "                 [--plan PLAN.json | scheme options as for analyze] [--imatrix FILE]\n"
               "                 [--threads N]\n"
               "      Write the plan as a config another tool reads (or the model table as CSV).\n"
               "      Without --plan the scheme options set one scheme for every tensor the default\n"
               "      ignore list leaves.\n"
               "  quantscope-cli quantize FILE --to %5 -o OUT\n"
               "                 [--plan PLAN.json | scheme options as for analyze] [--imatrix FILE]\n"
               "                 [--threads N]\n"
               "      Write the quantized weights: OUT is a folder for compressed-tensors, a file\n"
               "      otherwise. Progress goes to stderr when it is a terminal. Exit 2 when the\n"
               "      target cannot express the plan (the tensors and schemes are named).\n"
               "  quantscope-cli demo OUT.safetensors\n"
               "      Write the demo checkpoint.\n"
               "  quantscope-cli --help | --version\n"
               "\n"
               "Exit status: 0 success, 1 a file could not be read or written, or the scheme does not\n"
               "fit the tensor's shape; 2 bad arguments, or a plan the export target cannot express.\n")
        .arg(kMinBits)
        .arg(kMaxBits)
        .arg(formats.join(QStringLiteral(", ")))
        .arg(QString::fromStdString(exporterIds(false)))
        .arg(QString::fromStdString(exporterIds(true)));
}

} // namespace qs::cli
