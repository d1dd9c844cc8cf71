#pragma once

#include "io/dtype.h"
#include "util/result.h"
#include "util/runcontrol.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qs {

/// What the header of a NumPy .npy array says: element type, byte order, memory order, shape
/// and where the data starts. Shared by the .npy and .npz readers.
struct NpyHeader {
    int majorVersion = 1;
    int minorVersion = 0;
    DType dtype = DType::F32;
    bool bigEndian = false;    ///< elements stored most significant byte first ('>' descr)
    bool fortranOrder = false; ///< column-major storage; the shape is still listed outermost first
    std::vector<std::int64_t> shape;
    std::uint64_t dataOffset = 0; ///< bytes from the start of the .npy stream to the data
    std::uint64_t dataBytes = 0;  ///< element count x element size, checked for overflow
};

/// Largest header (the Python dict literal) accepted, in bytes.
inline constexpr std::uint64_t kMaxNpyHeaderBytes = 1 << 20;
/// Largest rank accepted (NumPy's own limit is 64).
inline constexpr std::size_t kMaxNpyRank = 64;
/// Bytes before the dict of a version 2.0 or 3.0 header: magic, version, 4-byte length.
inline constexpr std::size_t kNpyPreambleBytes = 12;

/// True if bytes start with the .npy magic "\x93NUMPY" and a known major version (1, 2 or 3).
bool looksLikeNpy(std::span<const std::byte> bytes);

/// Bytes the preamble and header occupy, read from the first kNpyPreambleBytes (or fewer for
/// version 1.0) of a stream; fails on a bad magic, an unknown version, a truncated preamble or
/// a header length over kMaxNpyHeaderBytes. Lets a caller fetch exactly the header.
Result<std::uint64_t> npyHeaderExtent(std::span<const std::byte> prefix);

/// Parses the preamble and header dict at the start of bytes (which may hold only the header):
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } with a strict literal parser
/// (no evaluation). Supported descr: f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1 in either byte order.
/// Errors say what is wrong, without a file name; callers prefix it.
Result<NpyHeader> parseNpyHeader(std::span<const std::byte> bytes);

/// The shape as NumPy prints it, e.g. "(2, 3)" or "(5,)".
std::string npyShapeText(const std::vector<std::int64_t> &shape);

/// Decodes the elements of an array stored as header describes (byte order swapped, Fortran
/// order transposed to row-major) into dst, which holds elementCount floats; data holds
/// header.dataBytes bytes. Runs in chunks on control.threads; false if cancelled.
bool decodeNpyData(const NpyHeader &header, std::span<const std::byte> data, std::span<float> dst,
                   const RunControl &control);

/// True if data of this header can be viewed as float32 in place: little-endian F32 in C
/// order (or a layout where C and Fortran order coincide) at a 4-byte aligned address.
bool npyViewableInPlace(const NpyHeader &header, const std::byte *data);
/// True when the array is stored column-major and has more than one dimension longer than 1, so
/// its bytes are not in row-major order.
bool npyNeedsTranspose(const NpyHeader &header);

} // namespace qs
