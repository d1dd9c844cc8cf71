#pragma once

#include "plan/quantplan.h"
#include "quant/quantspec.h"

#include <QString>

namespace qs::ui {

// Plans by checkpoint path, in the settings, so reopening a checkpoint keeps its per-tensor
// settings. The most recently used kPlanMemorySize checkpoints are remembered.
inline constexpr int kPlanMemorySize = 20;

// The plan last used with the checkpoint at path; else (or when the stored text no longer
// parses) a plan with defaultScheme as its default.
qs::QuantPlan rememberedPlan(const QString &path, const qs::QuantSpec &defaultScheme);
void rememberPlan(const QString &path, const qs::QuantPlan &plan);

} // namespace qs::ui
