#pragma once

#include "export/quantconfig.h"
#include "plan/quantplan.h"
#include "util/result.h"

#include <string>

namespace qs {

/// Schema identifier and version of plan files (see README "Plan files").
inline constexpr const char *kPlanFormat = "quantscope-plan";
inline constexpr int kPlanVersion = 1;

/// The JSON text of a plan (UTF-8, indented): format, version, default, rules, ignore,
/// ignore_defaults and overrides, each scheme with only its given keys. Parsing it gives plan
/// back, and writing that again gives the same text.
std::string planToJson(const QuantPlan &plan);

/// Parses and checks a plan file's text. Strict: an unknown key, an unknown format, a value the
/// CLI would refuse, a bad pattern, a key that does not apply to its format, a missing or other
/// version are errors. A "resolved" key (as `export --to quantscope` writes) is skipped. Each error starts
/// with source, then where it is (`default`, `rules[1]
/// (*.v_proj.weight)`, `ignore[0]`, `overrides["name"]`) and names the key or the value.
Result<QuantPlan> planFromJson(const std::string &json, const std::string &source);

/// One scheme as a compact JSON object with only its given keys, e.g.
/// {"bits":8,"granularity":"channel"}: what a plan editor shows in a cell.
std::string planSchemeToJson(const PlanScheme &scheme);
/// Parses one scheme object's text with the plan file's keys and checks, e.g. for an edited cell.
/// Errors name the key or value ("unknown key \"bitz\"").
Result<PlanScheme> planSchemeFromJson(const std::string &text);

/// Writes atomically with QSaveFile: a failed save leaves any existing file untouched. Errors
/// name the file.
Status savePlan(const std::string &path, const QuantPlan &plan);
/// Reads and checks a plan file of at most 16 MiB. A Hugging Face config.json whose
/// quantization_config is compressed-tensors', or such a quantization_config alone, reads as the
/// plan planFromCompressedTensors makes of it. Errors name the file.
Result<QuantPlan> loadPlan(const std::string &path);

/// A configuration ("quantscope-config") as plan overrides: each tensor by name, with every key
/// of its spec given (int, its bits, scheme, narrow, per tensor, minmax, and its clip range when
/// saturating), so the plan's default changes none of them.
PlanOverrides configToOverrides(const QuantConfig &config);

} // namespace qs
