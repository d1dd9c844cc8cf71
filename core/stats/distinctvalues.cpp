#include "stats/distinctvalues.h"

#include <algorithm>
#include <bit>

namespace qs {

namespace {

// Every F16, BF16 and FP8 value decodes to a float whose low 13 mantissa bits are zero; those
// (most values of 16-bit checkpoints) mark a byte indexed by the upper 19 bits, the rest go to
// a hash set. Plain byte stores, unlike bit updates, do not wait for each other when values
// repeat, which keeps 16-bit tensors fast. Marks of NaN and Inf patterns are ignored when
// counting.
constexpr std::uint32_t kLowBits = 13;
constexpr std::uint32_t kLowMask = (1u << kLowBits) - 1;
constexpr std::size_t kMarks = std::size_t(1) << (32 - kLowBits); // plus one spare
constexpr std::size_t kNegativeZeroMark = std::size_t(0x80000000u >> kLowBits);
constexpr std::uint32_t kExponentMask = 0x7F800000u;
// A NaN pattern, never a finite value's: marks an empty hash slot.
constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
constexpr std::size_t kBlock = 256;

// Load factor about 1/2 at most, and always a free slot: a set stops at cap + 1 entries.
std::size_t hashSlots(std::int64_t cap) {
    return std::bit_ceil(std::max<std::size_t>(std::size_t(cap) * 2, 4));
}

} // namespace

class DistinctValues::Set {
public:
    explicit Set(std::int64_t cap)
        : m_cap(cap)
        , m_marks(kMarks + 1, 0)
        , m_slots(hashSlots(cap), kEmpty)
        , m_shift(std::uint32_t(32 - std::countr_zero(m_slots.size()))) {}

    // False as soon as this set holds more than cap values.
    bool add(const float *x, std::size_t n) {
        for (std::size_t i = 0; i < n; i += kBlock) {
            const std::size_t m = std::min(kBlock, n - i);
            if (markBlock(x + i, m) && !hashBlock(x + i, m))
                return false;
            if (m_fresh + m_hashSize - m_slack > m_cap && !withinCap())
                return false;
        }
        return true;
    }

    // Adds other's values to this set; false once it holds more than cap values.
    bool merge(const Set &other) {
        for (std::size_t k = 0; k < kMarks; ++k)
            m_marks[k] |= other.m_marks[k];
        for (std::uint32_t bits : other.m_slots)
            if (bits != kEmpty && !insert(bits))
                return false;
        return size() <= m_cap;
    }

    // Marks that are finite values, with -0 and +0 counted once, plus the hashed values.
    std::int64_t size() const {
        std::int64_t n = m_hashSize;
        for (std::size_t k = 0; k < kMarks; ++k)
            n += (m_marks[k] && !isNonFiniteMark(k)) ? 1 : 0;
        return n - ((m_marks[0] && m_marks[kNegativeZeroMark]) ? 1 : 0);
    }

private:
    static bool isNonFiniteMark(std::size_t k) { return ((k >> (23 - kLowBits)) & 0xFF) == 0xFF; }

    // Marks the values whose low bits are zero (one branch-free store each: a value with low
    // bits set marks a spare byte instead); true if the block holds such other values.
    bool markBlock(const float *x, std::size_t n) {
        std::uint8_t *marks = m_marks.data(); // byte stores may alias the vector: load it once
        std::uint32_t low = 0;
        std::int64_t fresh = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bits = std::bit_cast<std::uint32_t>(x[i]);
            const std::uint32_t lowBits = bits & kLowMask;
            low |= lowBits;
            std::uint8_t &mark = marks[lowBits ? kMarks : bits >> kLowBits];
            fresh += mark ^ 1;
            mark = 1;
        }
        m_fresh += fresh;
        return low != 0;
    }

    bool hashBlock(const float *x, std::size_t n) {
        std::uint32_t previous = kEmpty;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bits = std::bit_cast<std::uint32_t>(x[i]);
            if ((bits & kLowMask) == 0 || bits == previous || (bits & kExponentMask) == kExponentMask)
                continue;
            previous = bits;
            if (!insert(bits))
                return false;
        }
        return true;
    }

    bool insert(std::uint32_t bits) {
        const std::size_t mask = m_slots.size() - 1;
        for (std::size_t i = (bits * 0x9E3779B1u) >> m_shift;; i = (i + 1) & mask) {
            if (m_slots[i] == bits)
                return true;
            if (m_slots[i] == kEmpty) {
                m_slots[i] = bits;
                return ++m_hashSize <= m_cap;
            }
        }
    }

    // Bytes newly marked count at most one value each, but the spare byte, -0 beside +0 and NaN
    // or Inf patterns count none: once they could pass the cap, the exact count decides, and the
    // marks it found to be no values (m_slack) are set aside for the next check.
    bool withinCap() {
        const std::int64_t exact = size();
        m_slack = m_fresh + m_hashSize - exact;
        return exact <= m_cap;
    }

    std::int64_t m_cap = 0;
    std::int64_t m_fresh = 0;
    std::int64_t m_slack = 0;
    std::vector<std::uint8_t> m_marks;
    std::vector<std::uint32_t> m_slots;
    std::uint32_t m_shift = 0;
    std::int64_t m_hashSize = 0;
};

DistinctValues::DistinctValues(std::int64_t cap)
    : m_cap(std::max<std::int64_t>(cap, 0)) {}

DistinctValues::~DistinctValues() = default;

void DistinctValues::add(const float *x, std::size_t n) {
    if (m_exceeded.load(std::memory_order_relaxed))
        return;
    Set *set = acquire();
    if (!set->add(x, n))
        m_exceeded.store(true, std::memory_order_relaxed);
    release(set);
}

std::optional<std::int64_t> DistinctValues::count() const {
    if (m_exceeded.load())
        return std::nullopt;
    if (m_all.empty())
        return 0;
    Set total(m_cap);
    for (const auto &set : m_all)
        if (!total.merge(*set))
            return std::nullopt;
    return total.size();
}

DistinctValues::Set *DistinctValues::acquire() {
    const std::lock_guard lock(m_mutex);
    if (m_free.empty()) {
        m_all.push_back(std::make_unique<Set>(m_cap));
        return m_all.back().get();
    }
    Set *set = m_free.back();
    m_free.pop_back();
    return set;
}

void DistinctValues::release(Set *set) {
    const std::lock_guard lock(m_mutex);
    m_free.push_back(set);
}

} // namespace qs
