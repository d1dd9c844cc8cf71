#include "helpdialogs.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QMessageBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace qs::ui {

namespace {

QString conventionsHtml() {
    return QCoreApplication::translate(
        "qs::ui::HelpDialogs",
        "<h3>Linear integer quantization, per tensor</h3>"
        "<p>Conventions of PyTorch's <code>torch.ao.quantization</code>; b is the bit width (2 to 16).</p>"
        "<table cellpadding='4'>"
        "<tr><td><b>Symmetric</b></td><td>q ∈ [−2<sup>b−1</sup>, 2<sup>b−1</sup>−1], zero point z = 0,<br>"
        "s = max(|lo|, |hi|) / ((qmax − qmin) / 2)</td></tr>"
        "<tr><td><b>Narrow symmetric</b></td><td>q ∈ [−(2<sup>b−1</sup>−1), 2<sup>b−1</sup>−1] "
        "(TensorRT),<br>"
        "s = max(|lo|, |hi|) / qmax</td></tr>"
        "<tr><td><b>Asymmetric</b></td><td>q ∈ [0, 2<sup>b</sup>−1]; [lo, hi] is first widened to include "
        "0,<br>"
        "s = (hi − lo) / (qmax − qmin), z = clamp(qmin − round(lo / s), qmin, qmax)</td></tr>"
        "<tr><td><b>Quantize</b></td><td>q = clamp(round_half_to_even(x / s) + z, qmin, qmax)</td></tr>"
        "<tr><td><b>Dequantize</b></td><td>Q(x) = (q − z) · s, the value q stands for</td></tr>"
        "</table>"
        "<p>Scale and zero point are computed in float32, as PyTorch's observers do; the scale is at least "
        "float32's epsilon, so "
        "constant or all-zero tensors give finite results.</p>"
        "<h3>Range</h3>"
        "<p><b>Non-saturating</b>: [lo, hi] = [min, max] of the tensor (symmetric: ±max|x|); nothing is "
        "clipped.<br><b>Saturating</b>: [lo, hi] are the thresholds set with the histogram's handles; "
        "values beyond them saturate to qmin / qmax. <i>Use suggested threshold</i> picks the threshold "
        "that minimises the MSE, found from the fine histogram.<br>"
        "clip_min / clip_max always report the effective range (symmetric: ±max(|lo|, |hi|)).</p>"
        "<h3>Error figures</h3>"
        "<p>MSE = mean((x − Q(x))²); SQNR = 10 · log10(Σx² / Σ(x − Q(x))²) dB; max |x − Q(x)|; the fraction "
        "of "
        "values outside [clip_min, clip_max]. NaN and ±Inf are counted and excluded from everything "
        "else.</p>"
        "<p>While a handle is dragged, the figures are <i>estimated</i> from the 4096-bin histogram "
        "(shown as ≈ in italics); the exact pass over every value replaces them when it ends.</p>");
}

} // namespace

void showAboutDialog(QWidget *parent) {
    QMessageBox::about(
        parent, QCoreApplication::translate("qs::ui::HelpDialogs", "About Quantscope"),
        QCoreApplication::translate("qs::ui::HelpDialogs",
                                    "<h3>Quantscope %1</h3>"
                                    "<p>See what linear integer quantization does to the weights of a "
                                    "neural network, tensor by tensor: the histogram with the "
                                    "quantization levels, the float-to-integer mapping and the error, "
                                    "with draggable clip thresholds.</p>"
                                    "<p>Built with Qt %2, QCustomPlot and Eigen.</p>")
            .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
}

void showConventionsDialog(QWidget *parent) {
    auto *dialog = new QDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QCoreApplication::translate("qs::ui::HelpDialogs", "Formulas and Conventions"));
    auto *text = new QTextBrowser(dialog);
    text->setHtml(conventionsHtml());
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(text);
    layout->addWidget(buttons);
    dialog->resize(660, 560);
    dialog->show();
}

} // namespace qs::ui
