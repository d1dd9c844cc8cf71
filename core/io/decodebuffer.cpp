#include "io/decodebuffer.h"

#include <mutex>
#include <new>

namespace qs {

namespace {

struct Spare {
    std::mutex mutex;
    int scopes = 0;
    std::unique_ptr<float[]> buffer;
    std::size_t count = 0;
};

Spare &spare() {
    static Spare s;
    return s;
}

// Keeps a released buffer as the spare while reuse is on and it is the larger; frees it otherwise.
void release(float *buffer, std::size_t count) {
    std::unique_ptr<float[]> dropped(buffer);
    Spare &s = spare();
    const std::lock_guard lock(s.mutex);
    if (s.scopes > 0 && count > s.count) {
        std::swap(dropped, s.buffer);
        s.count = count;
    }
}

} // namespace

std::shared_ptr<float[]> allocateDecodeBuffer(std::size_t count) {
    Spare &s = spare();
    std::unique_ptr<float[]> buffer;
    std::size_t capacity = count;
    bool fits = false;
    {
        const std::lock_guard lock(s.mutex);
        fits = s.buffer && s.count >= count;
        if (fits)
            capacity = s.count;
        buffer = std::move(s.buffer);
        s.count = 0;
    }
    if (!fits)
        buffer.reset(); // a spare too small goes before a larger buffer is touched: never both
    if (!buffer) {
        buffer.reset(new (std::nothrow) float[count]); // default-initialised: no zero fill
        if (!buffer)
            return nullptr;
    }
    float *raw = buffer.release();
    return std::shared_ptr<float[]>(raw, [capacity](float *p) { release(p, capacity); });
}

DecodeBufferReuse::DecodeBufferReuse() {
    Spare &s = spare();
    const std::lock_guard lock(s.mutex);
    ++s.scopes;
}

DecodeBufferReuse::~DecodeBufferReuse() {
    std::unique_ptr<float[]> dropped;
    Spare &s = spare();
    const std::lock_guard lock(s.mutex);
    if (--s.scopes == 0) {
        dropped = std::move(s.buffer);
        s.count = 0;
    }
}

} // namespace qs
