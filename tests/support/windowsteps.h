#pragma once

// Steps several main-window tests take the same way: find a tensor of the open checkpoint by
// name, and open a file and select one of its tensors, waiting until its exact figures show.

#include "analysiscontroller.h"
#include "mainwindow.h"
#include "tensorbrowser.h"

#include <QSignalSpy>
#include <QTest>

#include <cstddef>

namespace qs::test {

inline std::size_t tensorIndexOf(qs::ui::MainWindow &window, const char *name) {
    return window.controller()->session().indexOf(name).value_or(std::size_t(-1));
}

/// Opens file (if it is not the open one already) and selects tensor `name`; true once the
/// tensor's exact figures are on screen within timeoutMs.
inline bool openAndSelectTensor(qs::ui::MainWindow &window, const QString &file, const char *name,
                                int timeoutMs) {
    QSignalSpy shown(window.controller(), &qs::ui::AnalysisController::exactShown);
    if (!window.openFile(file) || !QTest::qWaitFor([&] { return !shown.isEmpty(); }, timeoutMs))
        return false;
    const std::size_t index = tensorIndexOf(window, name);
    if (window.controller()->currentTensor() == index)
        return true;
    shown.clear();
    window.browser()->selectTensor(index);
    return QTest::qWaitFor(
        [&] { return !shown.isEmpty() && shown.last().at(0).value<std::size_t>() == index; }, timeoutMs);
}

} // namespace qs::test
