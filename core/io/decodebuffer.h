#pragma once

#include <cstddef>
#include <memory>

namespace qs {

/// Room for count float32 values, uninitialised, for a reader to decode one tensor into; nullptr
/// when memory runs out. Freed when the last shared_ptr goes, unless a DecodeBufferReuse is alive:
/// the buffer is then kept as the spare (one at most, the larger) and handed to the next request
/// it fits. A scan of many tensors thus touches fresh pages only when a tensor is larger than
/// all before it, and holds at most the largest tensor as float32 besides the one in use.
/// Thread-safe.
std::shared_ptr<float[]> allocateDecodeBuffer(std::size_t count);

/// While one is alive (on any thread), released decode buffers are kept for reuse; the last one
/// to go frees the spare. Whole-model scans hold one for their duration.
class DecodeBufferReuse {
public:
    DecodeBufferReuse();
    ~DecodeBufferReuse();
    DecodeBufferReuse(const DecodeBufferReuse &) = delete;
    DecodeBufferReuse &operator=(const DecodeBufferReuse &) = delete;
};

} // namespace qs
