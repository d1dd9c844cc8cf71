#pragma once

class QWidget;

namespace qs::ui {

void showAboutDialog(QWidget *parent);
// A non-modal window summarising the formulas and conventions Quantscope follows.
void showConventionsDialog(QWidget *parent);

} // namespace qs::ui
