#pragma once

#include "quant/quantspec.h"

#include <QWidget>

class QComboBox;

namespace qs::ui {

// The scheme row of the toolbar: a preset (what people deploy), the number format, the
// granularity and the calibration method. Bits, symmetric / asymmetric and narrow stay in
// QuantControls; setSpec shows a spec without emitting anything.
class SchemeControls : public QWidget {
    Q_OBJECT
public:
    explicit SchemeControls(QWidget *parent = nullptr);

    void setSpec(const qs::QuantSpec &spec);
    qs::QuantSpec spec() const { return m_spec; }

    QComboBox *presetBox() const { return m_preset; }
    QComboBox *formatBox() const { return m_format; }
    QComboBox *granularityBox() const { return m_granularity; }
    QComboBox *methodBox() const { return m_method; }
    // Chooses the preset with this key ("w4a16", …) as the user would.
    bool choosePreset(const QString &key);

Q_SIGNALS:
    // The user changed the format, granularity or method; spec carries them (bits, scheme and
    // narrow as last shown).
    void schemeEdited(const qs::QuantSpec &spec);
    // The user picked a preset: its whole scheme.
    void presetChosen(const qs::QuantSpec &spec, const QString &key, const QString &name);

private:
    void fillPresets();
    void fillFormats();
    void fillGranularities();
    void fillMethods();
    void showGranularity(const qs::Granularity &granularity);
    void onPresetActivated(int index);
    void readControls();
    void updateEnabled();

    qs::QuantSpec m_spec;
    QComboBox *m_preset = nullptr;
    QComboBox *m_format = nullptr;
    QComboBox *m_granularity = nullptr;
    QComboBox *m_method = nullptr;
};

} // namespace qs::ui
