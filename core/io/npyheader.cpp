#include "io/npyheader.h"

#include "util/parallel.h"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <string_view>

namespace qs {

namespace {

constexpr std::array<unsigned char, 6> kMagic{0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kVersion1PreambleBytes = 10; // magic, version, 2-byte length

std::uint64_t readLittleEndian(const std::byte *p, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
        value |= std::uint64_t(p[i]) << (8 * i);
    return value;
}

bool hasMagic(std::span<const std::byte> bytes) {
    if (bytes.size() < kMagic.size())
        return false;
    for (std::size_t i = 0; i < kMagic.size(); ++i) {
        if (bytes[i] != std::byte{kMagic[i]})
            return false;
    }
    return true;
}

struct TypeCode {
    std::string_view code;
    DType dtype;
};

constexpr std::array<TypeCode, 12> kTypeCodes{{
    {"f8", DType::F64},
    {"f4", DType::F32},
    {"f2", DType::F16},
    {"i8", DType::I64},
    {"i4", DType::I32},
    {"i2", DType::I16},
    {"i1", DType::I8},
    {"u8", DType::U64},
    {"u4", DType::U32},
    {"u2", DType::U16},
    {"u1", DType::U8},
    {"b1", DType::BOOL},
}};

struct ParsedDescr {
    DType dtype;
    bool bigEndian;
};

Result<ParsedDescr> parseDescr(const std::string &descr) {
    if (descr.find('O') != std::string::npos)
        return Error{"descr '" + descr +
                     "' is an object array of pickled Python objects, which is not supported "
                     "(loading never runs pickle)"};
    const std::string supported = " (supported: f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1, with < or > byte order)";
    if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '|'))
        return Error{"unsupported descr '" + descr + "'" + supported};
    for (const TypeCode &type : kTypeCodes) {
        if (descr.substr(1) != type.code)
            continue;
        if (descr[0] == '|' && dtypeSize(type.dtype) > 1)
            return Error{"descr '" + descr + "' has no byte order for a multi-byte type"};
        return ParsedDescr{type.dtype, descr[0] == '>' && dtypeSize(type.dtype) > 1};
    }
    return Error{"unsupported descr '" + descr + "'" + supported};
}

// A strict reader of the one Python literal NumPy writes: a dict of string keys whose values
// are strings, True/False or tuples of integers. Nothing is evaluated.
class DictParser {
public:
    explicit DictParser(std::string_view text)
        : m_text(text) {}

    Status parse(NpyHeader &header) {
        skipSpace();
        if (!consume('{'))
            return fail("the header is not a Python dict literal (it does not start with '{')");
        while (true) {
            skipSpace();
            if (consume('}'))
                break;
            const Status entry = parseEntry(header);
            if (!entry)
                return entry;
            skipSpace();
            if (consume(','))
                continue;
            if (consume('}'))
                break;
            return fail("expected ',' or '}' after the value");
        }
        skipSpace();
        if (m_pos != m_text.size())
            return fail("unexpected text after the closing '}'");
        return checkComplete();
    }

private:
    Status parseEntry(NpyHeader &header) {
        const auto key = parseString();
        if (!key)
            return Error{key.error()};
        skipSpace();
        if (!consume(':'))
            return fail("expected ':' after key '" + key.value() + "'");
        skipSpace();
        if (key.value() == "descr")
            return once(m_haveDescr, key.value(), parseDescrValue(header));
        if (key.value() == "fortran_order")
            return once(m_haveOrder, key.value(), parseBoolInto(header.fortranOrder));
        if (key.value() == "shape")
            return once(m_haveShape, key.value(), parseShapeInto(header.shape));
        return fail("unexpected key '" + key.value() + "' (expected descr, fortran_order and shape)");
    }

    Status once(bool &seen, const std::string &key, Status parsed) {
        if (!parsed)
            return parsed;
        if (seen)
            return Error{"the header repeats key '" + key + "'"};
        seen = true;
        return {};
    }

    Status checkComplete() const {
        if (!m_haveDescr)
            return Error{"the header has no 'descr'"};
        if (!m_haveOrder)
            return Error{"the header has no 'fortran_order'"};
        if (!m_haveShape)
            return Error{"the header has no 'shape'"};
        return {};
    }

    Status parseDescrValue(NpyHeader &header) {
        if (peek() == '[')
            return fail("descr is a list: structured (record) arrays are not supported");
        const auto descr = parseString();
        if (!descr)
            return Error{descr.error()};
        const auto parsed = parseDescr(descr.value());
        if (!parsed)
            return Error{parsed.error()};
        header.dtype = parsed->dtype;
        header.bigEndian = parsed->bigEndian;
        return {};
    }

    Status parseBoolInto(bool &value) {
        if (consumeWord("True"))
            value = true;
        else if (consumeWord("False"))
            value = false;
        else
            return fail("fortran_order is not True or False");
        return {};
    }

    Status parseShapeInto(std::vector<std::int64_t> &shape) {
        if (!consume('('))
            return fail("shape is not a tuple");
        skipSpace();
        bool trailingComma = false;
        while (!consume(')')) {
            if (shape.size() == kMaxNpyRank)
                return fail("shape has more than " + std::to_string(kMaxNpyRank) + " dimensions");
            const auto dim = parseDimension();
            if (!dim)
                return Error{dim.error()};
            shape.push_back(dim.value());
            skipSpace();
            trailingComma = consume(',');
            skipSpace();
            if (!trailingComma && peek() != ')')
                return fail("expected ',' or ')' in shape");
        }
        if (shape.size() == 1 && !trailingComma)
            return fail("shape (" + std::to_string(shape[0]) +
                        ") is not a tuple (one dimension is written (n,))");
        return {};
    }

    Result<std::int64_t> parseDimension() {
        if (peek() == '-')
            return fail("shape has a negative dimension");
        if (!isDigit(peek()))
            return fail("shape holds something other than an integer");
        std::int64_t value = 0;
        while (isDigit(peek())) {
            if (__builtin_mul_overflow(value, 10, &value) ||
                __builtin_add_overflow(value, std::int64_t(m_text[m_pos] - '0'), &value))
                return fail("a shape dimension overflows a 64-bit integer");
            ++m_pos;
        }
        consume('L'); // Python 2 wrote long integers with a suffix
        return value;
    }

    Result<std::string> parseString() {
        const char quote = peek();
        if (quote != '\'' && quote != '"')
            return fail("expected a quoted string");
        ++m_pos;
        const std::size_t end = m_text.find(quote, m_pos);
        if (end == std::string_view::npos)
            return fail("unterminated string");
        std::string text(m_text.substr(m_pos, end - m_pos));
        if (text.find('\\') != std::string::npos)
            return fail("escape sequences in strings are not supported");
        m_pos = end + 1;
        return text;
    }

    static bool isDigit(char c) { return c >= '0' && c <= '9'; }
    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    bool consume(char c) {
        if (peek() != c)
            return false;
        ++m_pos;
        return true;
    }
    bool consumeWord(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }
    void skipSpace() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }
    Error fail(const std::string &problem) const {
        return Error{"header dict at character " + std::to_string(m_pos) + ": " + problem};
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    bool m_haveDescr = false;
    bool m_haveOrder = false;
    bool m_haveShape = false;
};

Status computeDataBytes(NpyHeader &header) {
    std::int64_t count = 1;
    for (std::int64_t dim : header.shape) {
        if (__builtin_mul_overflow(count, dim, &count))
            return Error{"shape " + npyShapeText(header.shape) + " overflows a 64-bit element count"};
    }
    if (__builtin_mul_overflow(std::uint64_t(count), std::uint64_t(dtypeSize(header.dtype)),
                               &header.dataBytes))
        return Error{"shape " + npyShapeText(header.shape) + " of " + std::string(dtypeName(header.dtype)) +
                     " overflows a 64-bit byte count"};
    return {};
}

template <typename T>
T loadElement(const std::byte *p, bool swap) {
    std::array<std::byte, sizeof(T)> raw;
    std::memcpy(raw.data(), p, sizeof(T));
    if (swap)
        std::reverse(raw.begin(), raw.end());
    return std::bit_cast<T>(raw);
}

// At most one dimension longer than 1: column-major and row-major storage are the same bytes.
bool orderIsIrrelevant(const std::vector<std::int64_t> &shape) {
    return std::count_if(shape.begin(), shape.end(), [](std::int64_t d) { return d > 1; }) <= 1;
}

bool needsTranspose(const NpyHeader &header) {
    return header.fortranOrder && !orderIsIrrelevant(header.shape);
}

// Walks output elements [begin, end) in row-major order and yields the matching source element
// index: the same index for C order; for Fortran order the column-major position.
class SourceIndex {
public:
    SourceIndex(const NpyHeader &header, std::size_t begin)
        : m_fortran(needsTranspose(header))
        , m_shape(header.shape)
        , m_index(header.shape.size())
        , m_stride(header.shape.size()) {
        m_source = begin;
        if (!m_fortran)
            return;
        std::size_t stride = 1;
        for (std::size_t k = 0; k < m_shape.size(); ++k) {
            m_stride[k] = stride;
            stride *= std::size_t(m_shape[k]);
        }
        m_source = 0;
        for (std::size_t k = m_shape.size(); k-- > 0;) {
            m_index[k] = begin % std::size_t(m_shape[k]);
            begin /= std::size_t(m_shape[k]);
            m_source += m_index[k] * m_stride[k];
        }
    }

    std::size_t value() const { return m_source; }

    void next() {
        if (!m_fortran) {
            ++m_source;
            return;
        }
        for (std::size_t k = m_shape.size(); k-- > 0;) {
            m_source += m_stride[k];
            if (++m_index[k] < std::size_t(m_shape[k]))
                return;
            m_source -= m_index[k] * m_stride[k];
            m_index[k] = 0;
        }
    }

private:
    bool m_fortran;
    const std::vector<std::int64_t> &m_shape;
    std::vector<std::size_t> m_index;
    std::vector<std::size_t> m_stride;
    std::size_t m_source = 0;
};

template <typename T>
void decodeRange(const NpyHeader &header, const std::byte *src, float *dst, std::size_t begin,
                 std::size_t end) {
    const bool swap = header.bigEndian != (std::endian::native == std::endian::big);
    SourceIndex source(header, begin);
    for (std::size_t i = begin; i < end; ++i, source.next()) {
        dst[i] = static_cast<float>(loadElement<T>(src + source.value() * sizeof(T), swap));
    }
}

using RangeDecoder = void (*)(const NpyHeader &, const std::byte *, float *, std::size_t, std::size_t);

RangeDecoder rangeDecoderFor(DType dtype) {
    switch (dtype) {
    case DType::F64:
        return &decodeRange<double>;
    case DType::F32:
        return &decodeRange<float>;
    case DType::F16:
        return &decodeRange<Eigen::half>;
    case DType::I64:
        return &decodeRange<std::int64_t>;
    case DType::I32:
        return &decodeRange<std::int32_t>;
    case DType::I16:
        return &decodeRange<std::int16_t>;
    case DType::I8:
        return &decodeRange<std::int8_t>;
    case DType::U64:
        return &decodeRange<std::uint64_t>;
    case DType::U32:
        return &decodeRange<std::uint32_t>;
    case DType::U16:
        return &decodeRange<std::uint16_t>;
    case DType::U8:
        return &decodeRange<std::uint8_t>;
    default:
        return nullptr;
    }
}

void decodeBoolRange(const std::byte *src, float *dst, std::size_t begin, std::size_t end,
                     const NpyHeader &header) {
    SourceIndex source(header, begin);
    for (std::size_t i = begin; i < end; ++i, source.next())
        dst[i] = src[source.value()] != std::byte{0} ? 1.0f : 0.0f;
}

} // namespace

bool looksLikeNpy(std::span<const std::byte> bytes) {
    if (!hasMagic(bytes) || bytes.size() < kMagic.size() + 2)
        return false;
    const auto major = std::uint8_t(bytes[6]);
    return major >= 1 && major <= 3;
}

Result<std::uint64_t> npyHeaderExtent(std::span<const std::byte> prefix) {
    if (!hasMagic(prefix))
        return Error{"bad magic: not a NumPy .npy array (it does not start with \\x93NUMPY)"};
    if (prefix.size() < kMagic.size() + 2)
        return Error{"truncated before the format version"};
    const int major = int(prefix[6]);
    if (major < 1 || major > 3)
        return Error{"unsupported .npy format version " + std::to_string(major) + "." +
                     std::to_string(int(prefix[7])) + " (supported: 1.0, 2.0, 3.0)"};
    const std::size_t preamble = major == 1 ? kVersion1PreambleBytes : kNpyPreambleBytes;
    if (prefix.size() < preamble)
        return Error{"truncated inside the header length"};
    const std::uint64_t length = readLittleEndian(prefix.data() + 8, major == 1 ? 2 : 4);
    if (length > kMaxNpyHeaderBytes)
        return Error{"header length " + std::to_string(length) + " exceeds the limit of " +
                     std::to_string(kMaxNpyHeaderBytes) + " bytes"};
    return preamble + length;
}

Result<NpyHeader> parseNpyHeader(std::span<const std::byte> bytes) {
    const auto extent = npyHeaderExtent(bytes);
    if (!extent)
        return Error{extent.error()};
    NpyHeader header;
    header.majorVersion = int(bytes[6]);
    header.minorVersion = int(bytes[7]);
    const std::size_t preamble = header.majorVersion == 1 ? kVersion1PreambleBytes : kNpyPreambleBytes;
    if (extent.value() > bytes.size())
        return Error{"header length " + std::to_string(extent.value() - preamble) + " runs past the end (" +
                     std::to_string(bytes.size()) + " bytes)"};
    const std::string_view text(reinterpret_cast<const char *>(bytes.data()) + preamble,
                                std::size_t(extent.value()) - preamble);
    DictParser parser(text);
    const Status parsed = parser.parse(header);
    if (!parsed)
        return Error{parsed.error()};
    const Status size = computeDataBytes(header);
    if (!size)
        return Error{size.error()};
    header.dataOffset = extent.value();
    return header;
}

std::string npyShapeText(const std::vector<std::int64_t> &shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + (shape.size() == 1 ? ",)" : ")");
}

bool decodeNpyData(const NpyHeader &header, std::span<const std::byte> data, std::span<float> dst,
                   const RunControl &control) {
    const std::byte *src = data.data();
    float *out = dst.data();
    if (header.dtype == DType::BOOL)
        return parallelChunks(
            dst.size(), kChunkSize, control,
            [&](std::size_t, std::size_t b, std::size_t e) { decodeBoolRange(src, out, b, e, header); });
    const RangeDecoder decode = rangeDecoderFor(header.dtype);
    if (!decode)
        return false;
    return parallelChunks(dst.size(), kChunkSize, control,
                          [&](std::size_t, std::size_t b, std::size_t e) { decode(header, src, out, b, e); });
}

bool npyNeedsTranspose(const NpyHeader &header) {
    return needsTranspose(header);
}

bool npyViewableInPlace(const NpyHeader &header, const std::byte *data) {
    return header.dtype == DType::F32 && !needsTranspose(header) &&
           header.bigEndian == (std::endian::native == std::endian::big) &&
           reinterpret_cast<std::uintptr_t>(data) % alignof(float) == 0;
}

} // namespace qs
