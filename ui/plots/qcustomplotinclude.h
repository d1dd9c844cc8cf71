#pragma once

// qcustomplot.h uses the `signals` and `foreach` keywords, which the ui targets switch off
// (QT_NO_KEYWORDS); this header lends them to it for the duration of the include.
#ifdef QT_NO_KEYWORDS
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
#else
#include <qcustomplot.h>
#endif
