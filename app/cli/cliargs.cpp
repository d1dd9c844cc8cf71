#include "cliargs.h"

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

QHash<QString, OptionDef> optionsFor(Command command) {
    QHash<QString, OptionDef> defs;
    if (command == Command::Demo)
        return defs;
    defs.insert(QStringLiteral("json"), flag(&CliOptions::json));
    if (command != Command::Analyze && command != Command::Compare)
        return defs;
    defs.insert(QStringLiteral("tensor"),
                {true, [](CliOptions &o, const QString &v) -> std::optional<QString> {
                     o.tensor = v;
                     return std::nullopt;
                 }});
    defs.insert(QStringLiteral("threads"), {true, setThreads});
    if (command == Command::Compare)
        return defs;
    defs.insert(QStringLiteral("bits"), {true, setBits});
    defs.insert(QStringLiteral("scheme"), {true, setScheme});
    defs.insert(QStringLiteral("clip"), {true, setClip});
    defs.insert(QStringLiteral("narrow"),
                {false, [](CliOptions &o, const QString &) -> std::optional<QString> {
                     o.spec.narrow = true;
                     return std::nullopt;
                 }});
    defs.insert(QStringLiteral("suggest"), flag(&CliOptions::suggest));
    return defs;
}

std::optional<Command> commandFromName(const QString &name) {
    if (name == QLatin1String("list"))
        return Command::List;
    if (name == QLatin1String("analyze"))
        return Command::Analyze;
    if (name == QLatin1String("compare"))
        return Command::Compare;
    if (name == QLatin1String("demo"))
        return Command::Demo;
    return std::nullopt;
}

// Combinations that each option alone cannot judge.
std::optional<QString> checkCombination(const CliOptions &o) {
    if (o.command == Command::Compare && o.tensor.isEmpty())
        return QStringLiteral("compare needs --tensor NAME");
    if (o.command != Command::Analyze)
        return std::nullopt;
    if (o.tensor.isEmpty())
        return QStringLiteral("analyze needs --tensor NAME");
    if (o.suggest && o.spec.rangeMode == RangeMode::Saturating)
        return QStringLiteral("--clip and --suggest exclude each other");
    if (o.spec.narrow && o.spec.scheme == Scheme::Asymmetric)
        return QStringLiteral("--narrow applies to the symmetric scheme only");
    return std::nullopt;
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
        else if (auto problem = applyOption(defs, args, i, o))
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
        return usage(QStringLiteral("unknown command \"%1\" (expected list, analyze, compare or demo)")
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
    if (auto problem = checkCombination(o))
        return usage(*problem);
    return o;
}

QString usageText() {
    return QStringLiteral(
               "Usage:\n"
               "  quantscope-cli list FILE [--json]\n"
               "      List the tensors of a checkpoint: name, dtype, shape, elements.\n"
               "  quantscope-cli analyze FILE --tensor NAME [--bits B] [--scheme symmetric|asymmetric]\n"
               "                 [--narrow] [--clip=LO,HI | --suggest] [--threads N] [--json]\n"
               "      Quantize one tensor and report the mapping and its error.\n"
               "      --bits B        bit width, %1 to %2 (default 8)\n"
               "      --scheme S      symmetric (default) or asymmetric\n"
               "      --narrow        symmetric only: qmin = -(2^(B-1) - 1)\n"
               "      --clip=LO,HI    saturating range with these thresholds (default: non-saturating)\n"
               "      --suggest       saturating range at the threshold that minimises the MSE\n"
               "      --threads N     worker threads (default 0: one per core)\n"
               "  quantscope-cli compare FILE --tensor NAME [--threads N] [--json]\n"
               "      Quantize one tensor with every scheme family and bit width (int per tensor,\n"
               "      per channel, group 128 and 32 at 2-8 bits; fp8; mxfp4, nvfp4, nf4; llama.cpp's\n"
               "      block types) and report bits per weight, MSE, SQNR and cosine for each.\n"
               "  quantscope-cli demo OUT.safetensors\n"
               "      Write the demo checkpoint.\n"
               "  quantscope-cli --help | --version\n"
               "\n"
               "Exit status: 0 success, 1 a file could not be read or written, 2 bad arguments.\n")
        .arg(kMinBits)
        .arg(kMaxBits);
}

} // namespace qs::cli
