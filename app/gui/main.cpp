#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

namespace {

QIcon applicationIcon() {
    QIcon icon;
    for (int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/quantscope-%1.png").arg(size), QSize(size, size));
    return icon;
}

} // namespace

int main(int argc, char *argv[]) {
    // The UI's resources live in a static library; make sure the linker keeps them.
    Q_INIT_RESOURCE(quantscope);

    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Quantscope"));
    QApplication::setApplicationName(QStringLiteral("Quantscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Quantscope"));
    QApplication::setApplicationVersion(QStringLiteral(QUANTSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.github.quantscope.Quantscope"));
    QApplication::setWindowIcon(applicationIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "See what linear integer quantization does to neural-network "
                                        "weights, tensor by tensor."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("file"),
        QApplication::translate("main", "Checkpoint to open (default: a generated demo checkpoint)."),
        QStringLiteral("[file]"));
    parser.process(app);

    qs::ui::MainWindow window;
    window.show();
    const QStringList files = parser.positionalArguments();
    if (files.isEmpty())
        window.openDemo(); // a first-time user sees every plot at once
    else
        window.openFile(files.first());
    return app.exec();
}
