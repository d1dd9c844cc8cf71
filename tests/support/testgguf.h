// Builds small GGUF files (version 3, little-endian) for tests, from the layout in gguf.md:
// magic, version, tensor count, metadata count, key/value pairs, tensor infos (name, rank, dims
// fastest-first, ggml type, offset), zero padding to the alignment, data section.
#pragma once

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <cstring>
#include <vector>

namespace qs::test {

class GgufBuilder {
public:
    // gguf_type values
    enum : quint32 { kU32 = 4, kString = 8, kArray = 9 };
    // ggml_type values
    enum : quint32 { kF32 = 0, kF16 = 1, kQ8_0 = 8, kBF16 = 30 };
    static constexpr int kAlignment = 32;

    static QByteArray le32(quint32 value) { return le(value, 4); }
    static QByteArray le64(quint64 value) { return le(value, 8); }
    static QByteArray str(const QByteArray &text) { return le64(quint64(text.size())) + text; }
    static QByteArray floats(const std::vector<float> &values) {
        QByteArray out;
        for (float v : values) {
            quint32 bits = 0;
            std::memcpy(&bits, &v, 4);
            out += le32(bits);
        }
        return out;
    }

    GgufBuilder &string(const QByteArray &key, const QByteArray &value) {
        return pair(key, kString, str(value));
    }
    GgufBuilder &u32(const QByteArray &key, quint32 value) { return pair(key, kU32, le32(value)); }
    /// Sets general.alignment (a power of two) and lays the data out by it.
    GgufBuilder &alignment(quint32 value) {
        m_alignment = int(value);
        return u32("general.alignment", value);
    }
    /// Any pair: gguf_type and the value's bytes as stored.
    GgufBuilder &raw(const QByteArray &key, quint32 type, const QByteArray &value) {
        return pair(key, type, value);
    }
    GgufBuilder &strings(const QByteArray &key, const QList<QByteArray> &values) {
        QByteArray items = le32(kString) + le64(quint64(values.size()));
        for (const QByteArray &value : values)
            items += str(value);
        return pair(key, kArray, items);
    }
    /// dims fastest-varying first, as GGUF stores them (ne0 = row length).
    GgufBuilder &tensor(const QByteArray &name, const std::vector<quint64> &dims, quint32 type,
                        const QByteArray &data) {
        while (m_data.size() % m_alignment != 0)
            m_data += '\0';
        m_infos += str(name) + le32(quint32(dims.size()));
        for (quint64 dim : dims)
            m_infos += le64(dim);
        m_infos += le32(type) + le64(quint64(m_data.size()));
        m_data += data;
        ++m_tensors;
        return *this;
    }
    GgufBuilder &f32(const QByteArray &name, const std::vector<quint64> &dims,
                     const std::vector<float> &values) {
        return tensor(name, dims, kF32, floats(values));
    }

    QByteArray build() const {
        QByteArray out =
            QByteArray("GGUF") + le32(3) + le64(m_tensors) + le64(m_pairs) + m_pairBytes + m_infos;
        while (out.size() % m_alignment != 0)
            out += '\0';
        return out + m_data;
    }

private:
    static QByteArray le(quint64 value, int bytes) {
        QByteArray out(bytes, '\0');
        for (int i = 0; i < bytes; ++i)
            out[i] = char((value >> (8 * i)) & 0xFF);
        return out;
    }
    GgufBuilder &pair(const QByteArray &key, quint32 type, const QByteArray &value) {
        m_pairBytes += str(key) + le32(type) + value;
        ++m_pairs;
        return *this;
    }

    int m_alignment = kAlignment;
    quint64 m_pairs = 0;
    quint64 m_tensors = 0;
    QByteArray m_pairBytes;
    QByteArray m_infos;
    QByteArray m_data;
};

} // namespace qs::test
