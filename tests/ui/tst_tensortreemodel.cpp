#include "elidingdelegate.h"
#include "labelelider.h"
#include "tensorbrowser.h"
#include "tensortreemodel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QHeaderView>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <QTreeView>

using qs::ui::TensorTreeModel;

namespace {

qs::TensorInfo tensor(const char *name, std::vector<std::int64_t> shape = {2, 3},
                      qs::DType dtype = qs::DType::F32) {
    qs::TensorInfo info;
    info.name = name;
    info.shape = std::move(shape);
    info.dtype = dtype;
    info.byteSize = std::uint64_t(info.elementCount()) * qs::dtypeSize(dtype);
    return info;
}

std::vector<qs::TensorInfo> tensors(const QStringList &names) {
    std::vector<qs::TensorInfo> list;
    for (const QString &name : names)
        list.push_back(tensor(name.toUtf8().constData()));
    return list;
}

// The tree as text: "label{child,child}" in row order, for compact expectations.
QString describe(const QAbstractItemModel &model, const QModelIndex &parent = {}) {
    QStringList parts;
    for (int row = 0; row < model.rowCount(parent); ++row) {
        const QModelIndex index = model.index(row, 0, parent);
        QString part = index.data().toString();
        if (model.rowCount(index) > 0)
            part += QLatin1Char('{') + describe(model, index) + QLatin1Char('}');
        parts << part;
    }
    return parts.join(QLatin1Char(','));
}

// What the eliding delegate draws in the shape cell of the browser's first row, at the
// column's current width.
QString shownShape(qs::ui::TensorBrowser &browser) {
    QTreeView *view = browser.view();
    auto *delegate =
        qobject_cast<qs::ui::ElidingDelegate *>(view->itemDelegateForColumn(TensorTreeModel::ShapeColumn));
    if (!delegate)
        return QStringLiteral("(no eliding delegate)");
    const QModelIndex index = browser.viewIndex(0).siblingAtColumn(TensorTreeModel::ShapeColumn);
    QStyleOptionViewItem option;
    option.initFrom(view);
    option.widget = view;
    option.rect = view->visualRect(index);
    return delegate->shownText(option, index);
}

} // namespace

class TestTensorTreeModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void grouping_data();
    void grouping();
    void columns();
    void blockTypeColumn_data();
    void blockTypeColumn();
    void tensorIndexRoundTrip();
    void filtering_data();
    void filtering();
    void tenThousandTensors();
    void browserSelectsAndFilters();
    void elideText_data();
    void elideText();
    void shapeColumn_data();
    void shapeColumn();
    void nameKeepsRoomWhenNarrow();
    void shortNamesLeaveTheShapeWhole();
    void blockTypeFitsColumn();
    void groupTotalsFollowFilter();
    void escapeClearsFilter();
};

void TestTensorTreeModel::grouping_data() {
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QString>("tree");
    // The example: "a.b.c", "a.b.d", "a.e" -> a ▸ b ▸ {c, d}, e.
    QTest::addRow("issue example") << QStringList{QStringLiteral("a.b.c"), QStringLiteral("a.b.d"),
                                                  QStringLiteral("a.e")}
                                   << QStringLiteral("a{b{c,d},e}");
    // A group with a single child is merged with it: q_proj holds only "weight".
    QTest::addRow("single child merged")
        << QStringList{QStringLiteral("l.q_proj.weight"), QStringLiteral("l.k_proj.weight"),
                       QStringLiteral("l.norm")}
        << QStringLiteral("l{k_proj.weight,norm,q_proj.weight}");
    // Numbers compare by value: 2 before 10, although "10" < "2" as text.
    QTest::addRow("natural order") << QStringList{QStringLiteral("layers.10.w"), QStringLiteral("layers.2.w"),
                                                  QStringLiteral("layers.1.w")}
                                   << QStringLiteral("layers{1.w,2.w,10.w}");
    // A name that is both a tensor and a prefix of others keeps both nodes.
    QTest::addRow("tensor and group share a name")
        << QStringList{QStringLiteral("a.b"), QStringLiteral("a.b.c"), QStringLiteral("a.b.d")}
        << QStringLiteral("a{b,b{c,d}}");
    QTest::addRow("no dots") << QStringList{QStringLiteral("w2"), QStringLiteral("w1")}
                             << QStringLiteral("w1,w2");
    QTest::addRow("empty") << QStringList{} << QString();
}

void TestTensorTreeModel::grouping() {
    QFETCH(QStringList, names);
    QFETCH(QString, tree);
    TensorTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTensors(tensors(names));
    QCOMPARE(describe(model), tree);
    QCOMPARE(model.tensorCount(), std::size_t(names.size()));
}

void TestTensorTreeModel::columns() {
    TensorTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTensors({tensor("m.w", {4096, 1024}, qs::DType::BF16), tensor("m.b", {1024}, qs::DType::F16)});
    QCOMPARE(model.columnCount(), 4);
    QCOMPARE(model.headerData(TensorTreeModel::NameColumn, Qt::Horizontal).toString(),
             QStringLiteral("Name"));
    QCOMPARE(model.headerData(TensorTreeModel::ElementsColumn, Qt::Horizontal).toString(),
             QStringLiteral("Elements"));

    const QModelIndex w = model.indexForTensor(0);
    QCOMPARE(w.data().toString(), QStringLiteral("w"));
    QCOMPARE(w.siblingAtColumn(TensorTreeModel::ShapeColumn).data().toString(),
             QStringLiteral("4096 × 1024"));
    QCOMPARE(w.siblingAtColumn(TensorTreeModel::DTypeColumn).data().toString(), QStringLiteral("BF16"));
    // 4096 · 1024 = 4,194,304 -> three significant digits: "4.19 M".
    QCOMPARE(w.siblingAtColumn(TensorTreeModel::ElementsColumn).data().toString(), QStringLiteral("4.19 M"));
    QCOMPARE(w.data(TensorTreeModel::PathRole).toString(), QStringLiteral("m.w"));

    // The group sums its tensors: 4,194,304 + 1,024 = 4,195,328 -> "4.20 M"; no shape or type.
    const QModelIndex group = w.parent();
    QCOMPARE(group.data().toString(), QStringLiteral("m"));
    QVERIFY(!group.data(TensorTreeModel::TensorIndexRole).isValid());
    QCOMPARE(group.siblingAtColumn(TensorTreeModel::ElementsColumn).data().toString(),
             QStringLiteral("4.20 M"));
    QVERIFY(group.siblingAtColumn(TensorTreeModel::ShapeColumn).data().toString().isEmpty());

    // Configured tensors are shown bold and say so.
    QVERIFY(!w.data(TensorTreeModel::ConfiguredRole).toBool());
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setConfigured(0, true);
    QCOMPARE(changed.count(), 1);
    QVERIFY(w.data(TensorTreeModel::ConfiguredRole).toBool());
    QVERIFY(w.data(Qt::FontRole).value<QFont>().bold());
}

void TestTensorTreeModel::blockTypeColumn_data() {
    QTest::addColumn<QString>("storage");
    QTest::addColumn<qint64>("elements");
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("shown");
    // ggml block layouts: Q4_K packs 256 weights in 144 bytes (2 + 2 + 12 scale bytes + 128
    // nibble bytes) -> 144 · 8 / 256 = 4.5 bits.
    QTest::addRow("Q4_K") << QStringLiteral("Q4_K") << qint64(512) << qint64(288)
                          << QStringLiteral("Q4_K · 4.5 bpw");
    // Q8_0: 32 weights in 34 bytes (f16 scale + 32 int8) -> 8.5 bits.
    QTest::addRow("Q8_0") << QStringLiteral("Q8_0") << qint64(64) << qint64(68)
                          << QStringLiteral("Q8_0 · 8.5 bpw");
    // Q4_1: 32 weights in 20 bytes (f16 scale + f16 min + 16 nibble bytes) -> 5 bits, shown
    // with its decimal like the others (it read "5 b").
    QTest::addRow("Q4_1") << QStringLiteral("Q4_1") << qint64(64) << qint64(40)
                          << QStringLiteral("Q4_1 · 5.0 bpw");
    // Q6_K: 256 weights in 210 bytes -> 6.5625 bits, one decimal.
    QTest::addRow("Q6_K") << QStringLiteral("Q6_K") << qint64(256) << qint64(210)
                          << QStringLiteral("Q6_K · 6.6 bpw");
    // A plain dtype shows its name alone: its bits follow from it.
    QTest::addRow("plain BF16") << QString() << qint64(256) << qint64(512) << QStringLiteral("BF16");
}

void TestTensorTreeModel::blockTypeColumn() {
    QFETCH(QString, storage);
    QFETCH(qint64, elements);
    QFETCH(qint64, bytes);
    QFETCH(QString, shown);
    qs::TensorInfo info =
        tensor("blk.0.attn_q.weight", {elements}, storage.isEmpty() ? qs::DType::BF16 : qs::DType::F32);
    info.storageType = storage.toStdString();
    info.byteSize = std::uint64_t(bytes);
    TensorTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTensors({info});
    const QModelIndex index = model.indexForTensor(0);
    QCOMPARE(index.siblingAtColumn(TensorTreeModel::DTypeColumn).data().toString(), shown);
    const QString tip = index.data(Qt::ToolTipRole).toString();
    QCOMPARE(tip.contains(QStringLiteral("Stored as %1 blocks").arg(storage)), !storage.isEmpty());
    // "bpw" is spelled out where it is shown.
    QCOMPARE(tip.contains(QStringLiteral("bits per weight (bpw)")), !storage.isEmpty());
}

void TestTensorTreeModel::tensorIndexRoundTrip() {
    TensorTreeModel model;
    const QStringList names{QStringLiteral("x.layers.3.a"), QStringLiteral("x.layers.3.b"),
                            QStringLiteral("x.layers.12.a"), QStringLiteral("x.layers.12.b"),
                            QStringLiteral("x.emb")};
    model.setTensors(tensors(names));
    for (std::size_t i = 0; i < std::size_t(names.size()); ++i) {
        const QModelIndex index = model.indexForTensor(i);
        QVERIFY(index.isValid());
        QCOMPARE(model.tensorAt(index), std::optional<std::size_t>(i));
        QCOMPARE(index.data(TensorTreeModel::PathRole).toString(), names[qsizetype(i)]);
    }
    QVERIFY(!model.indexForTensor(names.size()).isValid());
}

void TestTensorTreeModel::filtering_data() {
    QTest::addColumn<QString>("filter");
    QTest::addColumn<QString>("tree");
    // Matching is on the full dotted name, case-insensitive; parents of matches stay visible.
    QTest::addRow("leaf name") << QStringLiteral("q_proj")
                               << QStringLiteral("m{layers{0{q_proj.weight},1{q_proj.weight}}}");
    QTest::addRow("dotted prefix") << QStringLiteral("layers.1.")
                                   << QStringLiteral("m{layers{1{k_proj.weight,q_proj.weight}}}");
    QTest::addRow("case-insensitive") << QStringLiteral("EMBED") << QStringLiteral("m{embed}");
    QTest::addRow("no match") << QStringLiteral("nothing") << QString();
    QTest::addRow("cleared")
        << QString()
        << QStringLiteral("m{embed,layers{0{k_proj.weight,q_proj.weight},1{k_proj.weight,q_proj.weight}}}");
}

void TestTensorTreeModel::filtering() {
    QFETCH(QString, filter);
    QFETCH(QString, tree);
    TensorTreeModel model;
    model.setTensors(
        tensors({QStringLiteral("m.embed"), QStringLiteral("m.layers.0.q_proj.weight"),
                 QStringLiteral("m.layers.0.k_proj.weight"), QStringLiteral("m.layers.1.q_proj.weight"),
                 QStringLiteral("m.layers.1.k_proj.weight")}));
    QSortFilterProxyModel proxy;
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSourceModel(&model);
    proxy.setFilterRole(TensorTreeModel::PathRole);
    proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy.setRecursiveFilteringEnabled(true);
    proxy.setFilterFixedString(filter);
    QCOMPARE(describe(proxy), tree);
}

void TestTensorTreeModel::tenThousandTensors() {
    // 100 layers × 100 tensors: every tensor reachable, grouping by layer; "model" has the
    // single child "layers", so the two are merged.
    std::vector<qs::TensorInfo> list;
    for (int layer = 0; layer < 100; ++layer)
        for (int t = 0; t < 100; ++t)
            list.push_back(
                tensor(QStringLiteral("model.layers.%1.t%2").arg(layer).arg(t).toUtf8().constData()));
    TensorTreeModel model;
    model.setTensors(list);
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex layers = model.index(0, 0);
    QCOMPARE(layers.data().toString(), QStringLiteral("model.layers"));
    QCOMPARE(model.rowCount(layers), 100);
    QCOMPARE(model.index(99, 0, layers).data().toString(), QStringLiteral("99")); // natural order
    QCOMPARE(model.tensorAt(model.indexForTensor(9999)), std::optional<std::size_t>(9999));
    QCOMPARE(model.indexForTensor(9999).data(TensorTreeModel::PathRole).toString(),
             QStringLiteral("model.layers.99.t99"));
}

void TestTensorTreeModel::browserSelectsAndFilters() {
    qs::ui::TensorBrowser browser;
    browser.resize(400, 600);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    browser.setTensors(
        tensors({QStringLiteral("m.a.weight"), QStringLiteral("m.b.weight"), QStringLiteral("m.c")}));
    QSignalSpy selected(&browser, &qs::ui::TensorBrowser::tensorSelected);

    // Clicking a row selects its tensor.
    const QModelIndex b = browser.viewIndex(1);
    QTest::mouseClick(browser.view()->viewport(), Qt::LeftButton, {}, browser.view()->visualRect(b).center());
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.last().at(0).value<std::size_t>(), std::size_t(1));

    // Filtering the selected tensor away selects nothing else (no surprise load)...
    browser.setFilterText(QStringLiteral("m.c"));
    QCOMPARE(selected.count(), 1);
    QVERIFY(!browser.viewIndex(1).isValid());
    // ...and Enter in the filter box selects the first match.
    QTest::keyClick(browser.filterEdit(), Qt::Key_Return);
    QCOMPARE(selected.count(), 2);
    QCOMPARE(selected.last().at(0).value<std::size_t>(), std::size_t(2));
}

void TestTensorTreeModel::elideText_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("style");
    QTest::addColumn<QString>("room"); // the width of this text is the width given
    QTest::addColumn<int>("less");     // pixels less than that
    QTest::addColumn<QString>("shown");
    const QString info = QStringLiteral("s = 0.0123, z = 0 · 8-bit symmetric, non-saturating");
    const int segments = int(qs::ui::ElideStyle::Segments);
    const int shape = int(qs::ui::ElideStyle::Shape);
    QTest::addRow("fits") << info << segments << info << 0 << info;
    // The plot info of the issue ("…non-satur"): whole parts go, the last first.
    QTest::addRow("last part dropped")
        << info << segments << QStringLiteral("s = 0.0123, z = 0 · 8-bit symmetric, …") << 0
        << QStringLiteral("s = 0.0123, z = 0 · 8-bit symmetric, …");
    QTest::addRow("two parts dropped")
        << info << segments << QStringLiteral("s = 0.0123, z = 0 · 8-bit symmetric, …") << 1
        << QStringLiteral("s = 0.0123, z = 0 · …");
    QTest::addRow("first part only") << info << segments << QStringLiteral("s = 0.0123, …") << 0
                                     << QStringLiteral("s = 0.0123, …");
    // The tree's Shape column cut "4096 × 40…" and 4-D shapes mid-number, and at 1024 px, next
    // to long names, "409…": whole numbers only, spaced while they fit, then tight. (An inner
    // dimension of four digits keeps every dimension, tight, wider than the first and last
    // spaced, whatever the font's space.)
    const QString kernel = QStringLiteral("64 × 3200 × 3 × 3");
    QTest::addRow("4-D fits") << kernel << shape << kernel << 0 << kernel;
    QTest::addRow("4-D every dim, tight")
        << kernel << shape << QStringLiteral("64×3200×3×3") << 0 << QStringLiteral("64×3200×3×3");
    QTest::addRow("4-D inner dims") << kernel << shape << QStringLiteral("64 × … × 3") << 0
                                    << QStringLiteral("64 × … × 3");
    QTest::addRow("4-D inner dims, tight")
        << kernel << shape << QStringLiteral("64 × … × 3") << 1 << QStringLiteral("64×…×3");
    QTest::addRow("4-D first dim") << kernel << shape << QStringLiteral("64×…×3") << 1
                                   << QStringLiteral("64 × …");
    QTest::addRow("4-D first dim, tight")
        << kernel << shape << QStringLiteral("64 × …") << 1 << QStringLiteral("64×…");
    const QString wide = QStringLiteral("4096 × 40960");
    QTest::addRow("2-D tight") << wide << shape << QStringLiteral("4096×40960") << 0
                               << QStringLiteral("4096×40960");
    QTest::addRow("2-D first dim") << wide << shape << QStringLiteral("4096 × …") << 0
                                   << QStringLiteral("4096 × …");
    QTest::addRow("2-D first dim, tight")
        << wide << shape << QStringLiteral("4096 × …") << 1 << QStringLiteral("4096×…");
}

void TestTensorTreeModel::elideText() {
    QFETCH(QString, text);
    QFETCH(int, style);
    QFETCH(QString, room);
    QFETCH(int, less);
    QFETCH(QString, shown);
    const QFontMetrics metrics(QApplication::font());
    const int width = metrics.horizontalAdvance(room) - less;
    QCOMPARE(qs::ui::elideText(text, metrics, width, qs::ui::ElideStyle(style)), shown);
}

void TestTensorTreeModel::shapeColumn_data() {
    QTest::addColumn<QList<qlonglong>>("dims");
    QTest::addColumn<QString>("shape");
    QTest::addColumn<QString>("narrow"); // shown in a column narrowed to this text
    // Typical shapes fit the column as sized on opening: whole.
    QTest::addRow("square projection")
        << QList<qlonglong>{4096, 4096} << QStringLiteral("4096 × 4096") << QStringLiteral("4096 × …");
    QTest::addRow("vocabulary") << QList<qlonglong>{32000, 4096} << QStringLiteral("32000 × 4096")
                                << QStringLiteral("32000 × …");
    QTest::addRow("conv kernel") << QList<qlonglong>{64, 32, 3, 3} << QStringLiteral("64 × 32 × 3 × 3")
                                 << QStringLiteral("64 × … × 3");
    QTest::addRow("issue's 3-D") << QList<qlonglong>{258, 1, 256} << QStringLiteral("258 × 1 × 256")
                                 << QStringLiteral("258 × …");
}

void TestTensorTreeModel::shapeColumn() {
    QFETCH(QList<qlonglong>, dims);
    QFETCH(QString, shape);
    QFETCH(QString, narrow);
    qs::ui::TensorBrowser browser;
    browser.resize(420, 400);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    browser.setTensors({tensor("m.w", std::vector<std::int64_t>(dims.begin(), dims.end()))});
    QTreeView *view = browser.view();
    auto *delegate =
        qobject_cast<qs::ui::ElidingDelegate *>(view->itemDelegateForColumn(TensorTreeModel::ShapeColumn));
    QVERIFY(delegate);
    const QModelIndex index = browser.viewIndex(0).siblingAtColumn(TensorTreeModel::ShapeColumn);
    QCOMPARE(index.data().toString(), shape);
    QVERIFY2(index.data(Qt::ToolTipRole).toString().contains(shape),
             qPrintable(index.data(Qt::ToolTipRole).toString()));
    QStyleOptionViewItem option;
    option.initFrom(view);
    option.widget = view;
    option.rect = view->visualRect(index);
    QCOMPARE(option.rect.width(), view->header()->sectionSize(TensorTreeModel::ShapeColumn));
    QCOMPARE(delegate->shownText(option, index), shape);

    // Narrowed by the user: a shape loses inner dimensions, never half a number.
    const int margins = option.rect.width() - qs::ui::ElidingDelegate::textWidth(option.rect.width(), view);
    view->header()->resizeSection(TensorTreeModel::ShapeColumn,
                                  view->fontMetrics().horizontalAdvance(narrow) + margins);
    option.rect = view->visualRect(index);
    QCOMPARE(delegate->shownText(option, index), narrow);
}

// In a dock squeezed by a narrow window the name keeps 40 % of the width; the other columns give
// way (before, they kept their full width and left the names a few pixels), their titles whole
// and, where the width allows, the shape's first dimension.
void TestTensorTreeModel::nameKeepsRoomWhenNarrow() {
    qs::ui::TensorBrowser browser;
    browser.resize(260, 400);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    browser.setTensors({tensor("model.layers.0.mlp.gate_proj.weight", {1376, 512})});
    QTreeView *view = browser.view();
    const int available = view->viewport()->width();
    QVERIFY2(view->header()->sectionSize(TensorTreeModel::NameColumn) >= available * 40 / 100 - 1,
             qPrintable(QStringLiteral("name %1 of %2 px")
                            .arg(view->header()->sectionSize(TensorTreeModel::NameColumn))
                            .arg(available)));
    int total = 0;
    for (int column = 0; column < TensorTreeModel::ColumnCount; ++column)
        total += view->header()->sectionSize(column);
    QVERIFY(total <= available + 1);
    // The columns that give way keep their titles whole (the shape's read "hape" at 1024 px).
    for (int column :
         {TensorTreeModel::ShapeColumn, TensorTreeModel::DTypeColumn, TensorTreeModel::ElementsColumn}) {
        const QString title = view->model()->headerData(column, Qt::Horizontal).toString();
        QVERIFY2(view->header()->fontMetrics().horizontalAdvance(title) <=
                     view->header()->sectionSize(column) - 8,
                 qPrintable(
                     QStringLiteral("\"%1\" in %2 px").arg(title).arg(view->header()->sectionSize(column))));
    }
    // As wide as the dock of a 1024 px window: the name keeps its share, and the element count
    // gives way before the shape is cut below a whole first dimension (it read "137…").
    browser.resize(300, 400);
    QCoreApplication::processEvents();
    QVERIFY(view->header()->sectionSize(TensorTreeModel::NameColumn) >=
            view->viewport()->width() * 40 / 100 - 1);
    const QString shown = shownShape(browser);
    QVERIFY2(shown.startsWith(QStringLiteral("1376×")) || shown.startsWith(QStringLiteral("1376 ×")),
             qPrintable(QStringLiteral("\"%1\" in %2 px")
                            .arg(shown)
                            .arg(view->header()->sectionSize(TensorTreeModel::ShapeColumn))));
    // Wide again: every column back at the width its typical contents need.
    browser.resize(520, 400);
    QCoreApplication::processEvents();
    const QModelIndex shape = browser.viewIndex(0).siblingAtColumn(TensorTreeModel::ShapeColumn);
    QVERIFY(view->fontMetrics().horizontalAdvance(QStringLiteral("32000 × 4096")) <=
            view->header()->sectionSize(TensorTreeModel::ShapeColumn));
    QCOMPARE(shape.data().toString(), QStringLiteral("1376 × 512"));
}

// A file of short names (a single "w", as NumPy and test files have) in a dock as narrow as
// the 1024-px window's: the name needs little, so the shape keeps the width it needs instead of
// giving way to a 40 % share the name leaves empty (it read "409…"). widestLabel is the
// indentation of the label's level plus the label.
void TestTensorTreeModel::shortNamesLeaveTheShapeWhole() {
    qs::ui::TensorBrowser browser;
    browser.resize(260, 400);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    browser.setTensors({tensor("w", {4096, 4096})});
    QTreeView *view = browser.view();
    const QFontMetrics metrics(view->font());
    const auto *model = qobject_cast<const TensorTreeModel *>(
        qobject_cast<const QSortFilterProxyModel *>(view->model())->sourceModel());
    QVERIFY(model);
    QCOMPARE(model->widestLabel(metrics, 20), 20 + metrics.horizontalAdvance(QStringLiteral("w")));
    QCoreApplication::processEvents();
    const int shapeWidth = view->header()->sectionSize(TensorTreeModel::ShapeColumn);
    QVERIFY2(metrics.horizontalAdvance(QStringLiteral("4096 × 4096")) < shapeWidth,
             qPrintable(QStringLiteral("shape column %1 px").arg(shapeWidth)));
    const QModelIndex name = browser.viewIndex(0);
    QVERIFY(view->visualRect(name).width() > metrics.horizontalAdvance(QStringLiteral("w")));
    int total = 0;
    for (int column = 0; column < TensorTreeModel::ColumnCount; ++column)
        total += view->header()->sectionSize(column);
    QVERIFY(total <= view->viewport()->width() + 1);
}

void TestTensorTreeModel::blockTypeFitsColumn() {
    qs::ui::TensorBrowser browser;
    browser.resize(420, 400);
    qs::TensorInfo info = tensor("blk.0.ffn_down.weight", {256}, qs::DType::F32);
    info.storageType = "Q6_K";
    info.byteSize = 210; // 6.5625 bits per weight, the widest block type text
    browser.setTensors({info});
    const QModelIndex index = browser.viewIndex(0).siblingAtColumn(TensorTreeModel::DTypeColumn);
    QCOMPARE(index.data().toString(), QStringLiteral("Q6_K · 6.6 bpw"));
    const int room = qs::ui::ElidingDelegate::textWidth(
        browser.view()->header()->sectionSize(TensorTreeModel::DTypeColumn), browser.view());
    QVERIFY(browser.view()->fontMetrics().horizontalAdvance(index.data().toString()) <= room);
}

// Filtered, a group's Elements and tooltip count the tensors it shows, not all it holds.
void TestTensorTreeModel::groupTotalsFollowFilter() {
    qs::ui::TensorBrowser browser;
    std::vector<qs::TensorInfo> list{
        tensor("m.layers.0.q_proj.weight", {64, 64}), tensor("m.layers.0.k_proj.weight", {64, 16}),
        tensor("m.layers.1.q_proj.weight", {64, 64}), tensor("m.layers.1.k_proj.weight", {64, 16}),
        tensor("m.embed", {1000, 64})};
    browser.setTensors(list);
    QAbstractItemModelTester tester(browser.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto group = [&browser](const QString &path) {
        QModelIndexList found =
            browser.proxy()->match(browser.proxy()->index(0, 0), TensorTreeModel::PathRole, path, 1,
                                   Qt::MatchExactly | Qt::MatchRecursive);
        return found.isEmpty() ? QModelIndex() : found.first();
    };
    const auto elements = [](const QModelIndex &index) {
        return index.siblingAtColumn(TensorTreeModel::ElementsColumn).data().toString();
    };
    // Unfiltered "m": 4096 + 1024 + 4096 + 1024 + 64,000 = 74,240 values -> "74.2 k".
    QCOMPARE(elements(group(QStringLiteral("m"))), QStringLiteral("74.2 k"));
    QVERIFY(group(QStringLiteral("m"))
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("5 tensors, 74,240 values")));

    // "q_proj": two 64 × 64 matrices, 8,192 values, in "m" and in "m.layers"; one in each layer.
    browser.setFilterText(QStringLiteral("q_proj"));
    QCOMPARE(elements(group(QStringLiteral("m"))), QStringLiteral("8192"));
    QCOMPARE(elements(group(QStringLiteral("m.layers"))), QStringLiteral("8192"));
    QCOMPARE(elements(group(QStringLiteral("m.layers.0"))), QStringLiteral("4096"));
    const QString tip = group(QStringLiteral("m")).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("2 tensors, 8,192 values")), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("of 5 tensors")), qPrintable(tip));
    const QString layerTip = group(QStringLiteral("m.layers.1")).data(Qt::ToolTipRole).toString();
    QVERIFY2(layerTip.contains(QStringLiteral("1 tensor, 4,096 values")), qPrintable(layerTip));

    // Matching is on the full name, any case, as the tree's: "LAYERS.1." keeps layer 1 alone.
    browser.setFilterText(QStringLiteral("LAYERS.1."));
    QCOMPARE(elements(group(QStringLiteral("m"))), QStringLiteral("5120"));

    browser.setFilterText(QString());
    QCOMPARE(elements(group(QStringLiteral("m"))), QStringLiteral("74.2 k"));
    QVERIFY(
        !group(QStringLiteral("m")).data(Qt::ToolTipRole).toString().contains(QStringLiteral("matching")));
}

void TestTensorTreeModel::escapeClearsFilter() {
    QWidget window;
    auto *browser = new qs::ui::TensorBrowser(&window);
    // A window-wide Escape shortcut must not take the key from a filter with text in it.
    auto *cancel = new QAction(&window);
    cancel->setShortcut(Qt::Key_Escape);
    window.addAction(cancel);
    QSignalSpy cancelled(cancel, &QAction::triggered);
    window.resize(400, 500);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    browser->setTensors(
        tensors({QStringLiteral("m.a.weight"), QStringLiteral("m.b.weight"), QStringLiteral("m.c")}));
    browser->focusFilter();
    QTest::keyClicks(browser->filterEdit(), QStringLiteral("m.c"));
    QTRY_VERIFY(!browser->viewIndex(0).isValid()); // applied after the typing pause

    QTest::keyClick(browser->filterEdit(), Qt::Key_Escape);
    QVERIFY(browser->filterEdit()->text().isEmpty());
    for (std::size_t i = 0; i < 3; ++i)
        QVERIFY(browser->viewIndex(i).isValid());
    QCOMPARE(browser->model()->filterText(), QString());
    QCOMPARE(cancelled.count(), 0);
    // With nothing left to clear, Escape is the window's again.
    QTest::keyClick(browser->filterEdit(), Qt::Key_Escape);
    QCOMPARE(cancelled.count(), 1);
}

QTEST_MAIN(TestTensorTreeModel)
#include "tst_tensortreemodel.moc"
