#pragma once

#include "quant/quantspec.h"
#include "util/result.h"

#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>

namespace qs::cli {

/// Exit statuses of quantscope-cli.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFileError = 1;
inline constexpr int kExitUsageError = 2;

enum class Command { Help, Version, List, Analyze, Compare, Report, Export, Quantize, Demo };

/// Everything the command line asked for, validated.
struct CliOptions {
    Command command = Command::Help;
    QString file;
    bool json = false;
    // analyze, compare and report
    QString tensor;
    QuantSpec spec; ///< --suggest is stored as method mse
    int threads = 0;
    QString imatrixFile; ///< --imatrix FILE, empty when not asked for
    // report only
    bool csv = false;
    QString planFile; ///< --plan PLAN.json, empty when the scheme options set the default
    // report's budget fit, as given (clibudget.h checks them)
    QString budgetBpw;     ///< --budget-bpw X
    QString budgetGib;     ///< --budget-gib X
    QString ladder;        ///< --ladder S1,S2,...
    QString savePlan;      ///< --save-plan OUT.json
    QString referenceFile; ///< --reference FILE, empty when not asked for
    // export and quantize
    QString target; ///< --to ID: an exporter's id (core/export/exporter.h)
    QString output; ///< -o / --output OUT: a file, or a folder for folder targets
    // analyze only
    bool params = false;     ///< --params: every group's scale and zero point in the report
    QString saveDequantized; ///< --save-dequantized OUT.npy, empty when not asked for
    QSet<QString> given;     ///< the options named on the command line, without "--"
};

/// Parses the arguments after the program name. Errors are usage errors (exit status 2).
Result<CliOptions> parseArguments(const QStringList &args);

/// The text printed by --help.
QString usageText();

} // namespace qs::cli
