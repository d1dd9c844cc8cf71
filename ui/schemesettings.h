#pragma once

#include "quant/quantspec.h"

class QSettings;

namespace qs::ui {

// The scheme new tensors start from, kept across runs under "scheme/": the preset it matches,
// else its format, bits, scheme, narrow, granularity and method; the percentile's P always (it
// stays chosen while another method is).
void saveScheme(QSettings &settings, const qs::QuantSpec &spec);
// The saved scheme over fallback; what is missing or does not parse keeps fallback's value.
qs::QuantSpec restoredScheme(const QSettings &settings, const qs::QuantSpec &fallback);

} // namespace qs::ui
