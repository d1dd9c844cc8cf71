#pragma once

// Builds zip archives byte by byte for tests, following PKWARE's APPNOTE.TXT (local file
// headers, central directory, end of central directory, and the zip64 extra field, end record
// and locator). Header-only so that any test can use it; it links zlib only for crc32 and raw
// deflate. Overrides let tests write inconsistent archives on purpose.

#include <QByteArray>
#include <QtGlobal>

#include <cstdint>
#include <optional>
#include <vector>

#include <zlib.h>

namespace qs::testzip {

/// One member to write.
struct Member {
    QByteArray name;
    QByteArray data;                 ///< the uncompressed content
    std::uint16_t method = 0;        ///< 0 stored, 8 raw deflate; any other value is written as is
    std::optional<quint32> crc;      ///< written instead of the true CRC-32
    std::optional<quint64> declared; ///< uncompressed size written instead of data.size()
};

/// A stored member (aggregate initialisation of Member would warn about the optional fields).
inline Member stored(const QByteArray &name, const QByteArray &data) {
    Member member;
    member.name = name;
    member.data = data;
    return member;
}

/// A raw-deflated member.
inline Member deflated(const QByteArray &name, const QByteArray &data) {
    Member member = stored(name, data);
    member.method = 8;
    return member;
}

/// Archive-wide choices.
struct Options {
    bool zip64 = false;    ///< zip64 extra fields on every member, zip64 end record and locator
    quint32 alignment = 0; ///< pad local extra fields so member data starts at a multiple (torch: 64)
    QByteArray prefix;     ///< bytes before the first local header (a self-extracting stub)
    QByteArray comment;    ///< archive comment after the end record
};

/// Where the pieces of a built archive lie, for tests that corrupt them.
struct Layout {
    QByteArray bytes;
    std::vector<quint64> localHeaderOffsets;
    std::vector<quint64> dataOffsets;
    quint64 centralDirectoryOffset = 0;
    quint64 endRecordOffset = 0; ///< the classic end of central directory record
};

namespace detail {

inline void put(QByteArray &out, quint64 value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.append(char((value >> (8 * i)) & 0xFF));
}

inline QByteArray rawDeflate(const QByteArray &data) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        qFatal("testzip: deflateInit2 failed");
    QByteArray out(int(deflateBound(&stream, uLong(data.size()))), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    stream.avail_in = uInt(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END)
        qFatal("testzip: deflate failed");
    out.resize(int(stream.total_out));
    deflateEnd(&stream);
    return out;
}

inline quint32 crcOf(const QByteArray &data) {
    return quint32(
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(data.constData()), uInt(data.size())));
}

struct Prepared {
    QByteArray payload;
    quint32 crc = 0;
    quint64 uncompressed = 0;
};

inline Prepared prepare(const Member &member) {
    Prepared p;
    p.payload = member.method == 8 ? rawDeflate(member.data) : member.data;
    p.crc = member.crc.value_or(crcOf(member.data));
    p.uncompressed = member.declared.value_or(quint64(member.data.size()));
    return p;
}

// Zip64 extra field (header id 0x0001) with the given 8-byte values.
inline QByteArray zip64Extra(const std::vector<quint64> &values) {
    QByteArray extra;
    put(extra, 0x0001, 2);
    put(extra, quint64(values.size() * 8), 2);
    for (quint64 v : values)
        put(extra, v, 8);
    return extra;
}

// Padding extra field (an unregistered id, as torch uses "FB") bringing data to the alignment.
inline QByteArray paddingExtra(quint64 dataStartWithoutPadding, quint32 alignment) {
    if (alignment == 0)
        return {};
    const quint64 minimal = dataStartWithoutPadding + 4; // the padding field's own header
    const quint64 pad = (alignment - minimal % alignment) % alignment;
    QByteArray extra;
    put(extra, 0x4246, 2); // "FB"
    put(extra, pad, 2);
    extra.append(QByteArray(int(pad), 'Z'));
    return extra;
}

inline QByteArray localHeader(const Member &m, const Prepared &p, const Options &o, quint64 offset) {
    QByteArray extra = o.zip64 ? zip64Extra({p.uncompressed, quint64(p.payload.size())}) : QByteArray();
    const quint64 fixed = 30 + quint64(m.name.size()) + quint64(extra.size());
    extra += paddingExtra(offset + fixed, o.alignment);
    QByteArray h;
    put(h, 0x04034b50, 4);
    put(h, o.zip64 ? 45 : 20, 2); // version needed
    put(h, 0, 2);                 // flags
    put(h, m.method, 2);
    put(h, 0, 4); // time, date
    put(h, p.crc, 4);
    put(h, o.zip64 ? 0xFFFFFFFFu : quint32(p.payload.size()), 4);
    put(h, o.zip64 ? 0xFFFFFFFFu : quint32(p.uncompressed), 4);
    put(h, quint64(m.name.size()), 2);
    put(h, quint64(extra.size()), 2);
    return h + m.name + extra;
}

inline QByteArray centralHeader(const Member &m, const Prepared &p, const Options &o, quint64 localOffset) {
    const QByteArray extra =
        o.zip64 ? zip64Extra({p.uncompressed, quint64(p.payload.size()), localOffset}) : QByteArray();
    QByteArray h;
    put(h, 0x02014b50, 4);
    put(h, o.zip64 ? 45 : 20, 2); // version made by
    put(h, o.zip64 ? 45 : 20, 2); // version needed
    put(h, 0, 2);
    put(h, m.method, 2);
    put(h, 0, 4);
    put(h, p.crc, 4);
    put(h, o.zip64 ? 0xFFFFFFFFu : quint32(p.payload.size()), 4);
    put(h, o.zip64 ? 0xFFFFFFFFu : quint32(p.uncompressed), 4);
    put(h, quint64(m.name.size()), 2);
    put(h, quint64(extra.size()), 2);
    put(h, 0, 2); // comment length
    put(h, 0, 2); // disk number start
    put(h, 0, 2); // internal attributes
    put(h, 0, 4); // external attributes
    put(h, o.zip64 ? 0xFFFFFFFFu : quint32(localOffset), 4);
    return h + m.name + extra;
}

inline QByteArray zip64End(quint64 count, quint64 cdSize, quint64 cdOffset, quint64 endOffset) {
    QByteArray r;
    put(r, 0x06064b50, 4);
    put(r, 44, 8); // size of the rest of the record
    put(r, 45, 2);
    put(r, 45, 2);
    put(r, 0, 4); // this disk
    put(r, 0, 4); // disk of the central directory
    put(r, count, 8);
    put(r, count, 8);
    put(r, cdSize, 8);
    put(r, cdOffset, 8);
    put(r, 0x07064b50, 4); // locator
    put(r, 0, 4);
    put(r, endOffset, 8);
    put(r, 1, 4); // total disks
    return r;
}

inline QByteArray endRecord(const Options &o, quint64 count, quint64 cdSize, quint64 cdOffset) {
    QByteArray r;
    put(r, 0x06054b50, 4);
    put(r, 0, 2);
    put(r, 0, 2);
    put(r, o.zip64 ? 0xFFFF : count, 2);
    put(r, o.zip64 ? 0xFFFF : count, 2);
    put(r, o.zip64 ? 0xFFFFFFFFu : cdSize, 4);
    put(r, o.zip64 ? 0xFFFFFFFFu : cdOffset, 4);
    put(r, quint64(o.comment.size()), 2);
    return r + o.comment;
}

} // namespace detail

/// Builds the archive and reports where its parts lie.
inline Layout buildLayout(const std::vector<Member> &members, const Options &options = {}) {
    Layout layout;
    layout.bytes = options.prefix;
    QByteArray central;
    for (const Member &member : members) {
        const detail::Prepared p = detail::prepare(member);
        const quint64 offset = quint64(layout.bytes.size());
        const QByteArray header = detail::localHeader(member, p, options, offset);
        layout.localHeaderOffsets.push_back(offset);
        layout.dataOffsets.push_back(offset + quint64(header.size()));
        layout.bytes += header + p.payload;
        central += detail::centralHeader(member, p, options, offset);
    }
    layout.centralDirectoryOffset = quint64(layout.bytes.size());
    layout.bytes += central;
    const quint64 count = members.size();
    if (options.zip64)
        layout.bytes += detail::zip64End(count, quint64(central.size()), layout.centralDirectoryOffset,
                                         quint64(layout.bytes.size()));
    layout.endRecordOffset = quint64(layout.bytes.size());
    layout.bytes += detail::endRecord(options, count, quint64(central.size()), layout.centralDirectoryOffset);
    return layout;
}

/// Builds the archive bytes.
inline QByteArray build(const std::vector<Member> &members, const Options &options = {}) {
    return buildLayout(members, options).bytes;
}

} // namespace qs::testzip
