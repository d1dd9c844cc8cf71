// libFuzzer target for the importance matrix loader (imatrix.dat and GGUF imatrix): any byte
// string must give a matrix or an error naming the file, never a crash, a sanitizer report or an
// allocation the file cannot back; every accepted weight is finite and not negative.
#include "fuzzfixture.h"
#include "io/imatrix.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

const std::string &fixturePath() {
    static const std::string path = qs::fuzz::processTempPath("imatrix-", ".dat");
    return path;
}

// Looks every entry up as a 2D tensor of its own length, which must fit.
void checkEntries(const qs::ImportanceMatrix &matrix) {
    for (const auto &[name, entry] : matrix.entries()) {
        for (float w : entry.weights) {
            if (!std::isfinite(w) || w < 0.0f)
                __builtin_trap(); // weights are validated when loading
        }
        const std::int64_t columns = std::int64_t(entry.weights.size()) / entry.rows;
        const std::int64_t shape[] = {entry.rows, 2, columns};
        const auto found = matrix.lookup(name, entry.rows > 1 ? std::span(shape) : std::span(shape).last(2));
        if (!found || found->weights.size() != entry.weights.size())
            __builtin_trap(); // an entry always fits its own shape
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (!qs::fuzz::writeFile(fixturePath(), data, size))
        return 0;
    const auto matrix = qs::loadImportanceMatrix(fixturePath());
    if (matrix)
        checkEntries(*matrix.value());
    else if (!qs::fuzz::namesFile(matrix.error(), fixturePath()))
        __builtin_trap(); // every error names the file
    return 0;
}
