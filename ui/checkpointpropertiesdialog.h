#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace qs {
class CheckpointReader;
}

namespace qs::ui {

// File ▸ Properties: the checkpoint's format, path, file size, tensor count and stored bytes,
// and its metadata as a two-column table filtered as you type (a GGUF file carries dozens of
// keys: architecture, context length, tokenizer, ...).
class CheckpointPropertiesDialog : public QDialog {
    Q_OBJECT
public:
    explicit CheckpointPropertiesDialog(const qs::CheckpointReader &reader, QWidget *parent = nullptr);

    QLineEdit *filterEdit() const { return m_filter; }
    QTableView *metadataView() const { return m_view; }
    // Metadata rows that pass the filter.
    int visibleRows() const;

private:
    QWidget *createSummary(const qs::CheckpointReader &reader);
    QWidget *createMetadataTable(const qs::CheckpointReader &reader);
    void applyFilter(const QString &text);

    QLineEdit *m_filter = nullptr;
    QTableView *m_view = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QLabel *m_shown = nullptr;
    int m_total = 0;
};

} // namespace qs::ui
