#pragma once

#include "quant/quantspec.h"

#include <QHash>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;

namespace qs::ui {

// The scheme row of the toolbar: a preset (what people deploy), the number format, the
// granularity (the common ones in a list, any other typed as --granularity spells it) and the
// calibration method with the percentile's P, and the type scales are stored in. Bits, symmetric / asymmetric
// and narrow stay in QuantControls; setSpec shows a spec without emitting anything.
class SchemeControls : public QWidget {
    Q_OBJECT
public:
    explicit SchemeControls(QWidget *parent = nullptr);

    void setSpec(const qs::QuantSpec &spec);
    qs::QuantSpec spec() const { return m_spec; }
    // The rank of the tensor on screen (0: none): the list offers channel:1 … channel:rank-1.
    void setTensorRank(int rank);

    QComboBox *presetBox() const { return m_preset; }
    QComboBox *formatBox() const { return m_format; }
    // Editable: typing a granularity and pressing Enter (or leaving the box) applies it.
    QComboBox *granularityBox() const { return m_granularity; }
    QComboBox *methodBox() const { return m_method; }
    QDoubleSpinBox *percentileBox() const { return m_percentile; }
    QComboBox *scaleDtypeBox() const { return m_scaleDtype; }
    // Chooses the preset with this key ("w4a16", …) as the user would.
    bool choosePreset(const QString &key);

Q_SIGNALS:
    // The user changed the format, granularity, method, P or scale type; spec carries them
    // (bits, scheme and narrow as last shown).
    void schemeEdited(const qs::QuantSpec &spec);
    // The user picked a preset: its whole scheme.
    void presetChosen(const qs::QuantSpec &spec, const QString &key, const QString &name);
    // Typed text that is no granularity, and why; the box shows the spec's granularity again.
    void inputRejected(const QString &message);

private:
    void fillPresets();
    void fillFormats();
    void fillGranularities();
    void fillMethods();
    void fillScaleDtypes();
    void showGranularity(const qs::Granularity &granularity);
    void onPresetActivated(int index);
    void onGranularityActivated(int index);
    void onGranularityTyped();
    void onPercentileChanged(double percentile);
    void readControls();
    void edit(const qs::QuantSpec &spec);
    void updateEnabled();
    void setApplies(QWidget *widget, bool applies, const QString &why);
    // Int and FP8 round their scales to the chosen type; block formats and hqq keep their own.
    static bool scaleDtypeApplies(const qs::QuantSpec &spec);

    qs::QuantSpec m_spec;
    int m_rank = 0;
    int m_listedGranularities = 0; // entries after these show a spec's unlisted granularity
    QComboBox *m_preset = nullptr;
    QComboBox *m_format = nullptr;
    QComboBox *m_granularity = nullptr;
    QComboBox *m_method = nullptr;
    QDoubleSpinBox *m_percentile = nullptr;
    QComboBox *m_scaleDtype = nullptr;
    QHash<QWidget *, QString> m_tips; // each control's own tooltip, shown while it applies
};

} // namespace qs::ui
