#include "clibudget.h"

#include "clicommands.h"
#include "clijson.h"

#include "plan/budgetfit.h"
#include "plan/planjson.h"

#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qs::cli {

namespace {

bool given(const CliOptions &o, const char *name) {
    return o.given.contains(QLatin1String(name));
}

// A positive, finite number, or the problem naming the option.
Result<double> budgetValue(const QString &option, const QString &text) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || !std::isfinite(value) || !(value > 0.0))
        return Error{
            QStringLiteral("--%1 must be a positive number, not \"%2\"").arg(option, text).toStdString()};
    return value;
}

// The budget the options ask for; check with checkBudgetOptions first.
Result<Budget> budgetOf(const CliOptions &o) {
    const bool bpw = given(o, "budget-bpw");
    const auto value = bpw ? budgetValue(QStringLiteral("budget-bpw"), o.budgetBpw)
                           : budgetValue(QStringLiteral("budget-gib"), o.budgetGib);
    if (!value)
        return Error{value.error()};
    return bpw ? Budget::bitsPerWeight(value.value()) : Budget::gib(value.value());
}

bool sameFile(const QString &a, const QString &b) {
    const QFileInfo fa(a);
    return !b.isEmpty() && fa.exists() && fa.canonicalFilePath() == QFileInfo(b).canonicalFilePath();
}

std::optional<QString> checkSaveTarget(const CliOptions &o) {
    if (!given(o, "save-plan"))
        return std::nullopt;
    if (o.savePlan.isEmpty())
        return QStringLiteral("--save-plan needs a file name");
    for (const QString &input : {o.file, o.planFile, o.imatrixFile})
        if (sameFile(o.savePlan, input))
            return QStringLiteral("--save-plan %1 is an input file; refusing to overwrite it")
                .arg(o.savePlan);
    return std::nullopt;
}

QString budgetText(const CliOptions &o) {
    return given(o, "budget-bpw") ? QStringLiteral("%1 bits per weight").arg(o.budgetBpw)
                                  : QStringLiteral("%1 GiB").arg(o.budgetGib);
}

void printLine(const QString &line) {
    const QByteArray bytes = (line + QLatin1Char('\n')).toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

void printFit(const CliOptions &o, const BudgetFit &fit, const Ladder &ladder, std::size_t fitted) {
    const QString size = QStringLiteral("%1 bits per weight, %2 bytes")
                             .arg(fit.avgBitsPerWeight, 0, 'g', 6)
                             .arg(fit.totalBits / 8.0, 0, 'f', 0);
    if (fit.overBudget) {
        printLine(
            QStringLiteral("warning: --%1 %2: the first rungs alone need %3; every tensor stays on its "
                           "first rung")
                .arg(given(o, "budget-bpw") ? QStringLiteral("budget-bpw") : QStringLiteral("budget-gib"),
                     given(o, "budget-bpw") ? o.budgetBpw : o.budgetGib, size));
        return;
    }
    const auto noRung = std::count(fit.rungs.begin(), fit.rungs.end(), -1);
    const QString left = noRung ? QStringLiteral(" (%1 could take no rung)").arg(noRung) : QString();
    printLine(QStringLiteral("budget: fitted %1 tensors%6 to %2 on %3 (raises: %4): %5")
                  .arg(fitted)
                  .arg(budgetText(o), qstr(ladderText(ladder)))
                  .arg(fit.raises.size())
                  .arg(size, left));
}

Result<QuantPlan> fitPlan(const CliOptions &o, const CheckpointReader &reader, const QuantPlan &plan,
                          const ImportanceMatrix *matrix) {
    const auto ladder = parseLadder(o.ladder.toStdString());
    const auto budget = budgetOf(o);
    if (!ladder || !budget) // checkBudgetOptions let them through
        return Error{ladder ? budget.error() : ladder.error()};
    RunControl control;
    control.threads = o.threads;
    const auto problem = measureLadder(reader, plan, ladder.value(), matrix, control);
    if (!problem)
        return Error{problem.error()};
    const BudgetFit fit = fitBudget(problem.value(), budget->totalBits(problem->totalParams));
    printFit(o, fit, ladder.value(), problem->tensors.size());
    return applyBudgetFit(plan, ladder.value(), problem.value(), fit);
}

} // namespace

std::optional<QString> checkBudgetOptions(const CliOptions &o) {
    const bool bpw = given(o, "budget-bpw");
    const bool gib = given(o, "budget-gib");
    if (bpw && gib)
        return QStringLiteral("--budget-bpw and --budget-gib exclude each other");
    if ((bpw || gib) && !given(o, "ladder"))
        return QStringLiteral("--%1 needs --ladder S1,S2,... (the schemes to fit)")
            .arg(bpw ? QStringLiteral("budget-bpw") : QStringLiteral("budget-gib"));
    if (given(o, "ladder") && !bpw && !gib)
        return QStringLiteral("--ladder needs a budget: --budget-bpw X or --budget-gib X");
    if (bpw || gib)
        if (const auto budget = budgetOf(o); !budget)
            return qstr(budget.error());
    if (given(o, "ladder"))
        if (const auto ladder = parseLadder(o.ladder.toStdString()); !ladder)
            return QStringLiteral("--ladder: %1").arg(qstr(ladder.error()));
    return checkSaveTarget(o);
}

Result<QuantPlan> budgetPlan(const CliOptions &options, const CheckpointReader &reader, QuantPlan plan,
                             const ImportanceMatrix *matrix) {
    if (given(options, "ladder")) {
        auto fitted = fitPlan(options, reader, plan, matrix);
        if (!fitted)
            return fitted;
        plan = std::move(fitted).value();
    }
    if (!options.savePlan.isEmpty())
        if (const Status saved = savePlan(options.savePlan.toStdString(), plan); !saved)
            return Error{saved.error()};
    return plan;
}

} // namespace qs::cli
