#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace qs {

// Counts the distinct finite values of a tensor, exactly up to a cap, during a parallel pass.
// A chunk borrows a free set (so there are only as many sets as chunks running at once), adds
// its values and gives it back; count() takes the union. A union's size does not depend on
// which chunk went into which set, and "above the cap" is only concluded from a set that holds
// more than cap values, so the result is the same at any thread count. Once that happens every
// later chunk returns at once: an ordinary float or 16-bit tensor costs about one piece.
class DistinctValues {
public:
    explicit DistinctValues(std::int64_t cap);
    ~DistinctValues();
    DistinctValues(const DistinctValues &) = delete;
    DistinctValues &operator=(const DistinctValues &) = delete;

    // Adds the finite values of x[0, n); -0 and +0 are one value. Thread-safe.
    void add(const float *x, std::size_t n);
    // The number of distinct values seen, or nullopt if it exceeds the cap.
    std::optional<std::int64_t> count() const;

private:
    class Set;

    Set *acquire();
    void release(Set *set);

    std::int64_t m_cap = 0;
    std::atomic<bool> m_exceeded{false};
    std::mutex m_mutex;
    std::vector<std::unique_ptr<Set>> m_all;
    std::vector<Set *> m_free;
};

} // namespace qs
