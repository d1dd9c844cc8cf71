#pragma once

// Internal to core: the fused, vectorised inner loops of the statistics and error passes (and
// the whole-model sweep's moments). Each kernel reads a piece of finite float32 values once (a piece fits the
// L1 cache) and does all of its work on it in kStatLanes float lanes. A lane performs IEEE float32 operations
// only, in a fixed order; every kLaneBlock values each lane's float sums are added to its double sums, and at
// the end of the piece those are added in lane order. So the results do not depend on which build runs (SSE2,
// AVX2 or AVX-512, chosen at run time) nor on the thread count, and the fake-quantized x̂ is fakeQuantize's to
// the bit.

#include "quant/microscaling.h"
#include "quant/nf4.h"
#include "quant/quantspec.h"
#include "quant/valueerror.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace qs::detail {

/// Float lanes the kernels run side by side: enough independent sums to hide the adds' latency.
inline constexpr int kStatLanes = 32;
/// The most values a spread or error kernel takes at once: a piece that fits the L1 cache.
inline constexpr std::size_t kLaneMaxPiece = 4096;
/// Values per lane block: float sums over 8 values per lane, then added in double. Each block
/// ends by widening every float sum and adding it to double sums that do not all fit the
/// registers: 8 values a lane (against 4) made the error pass 13 % faster, within the float-sum
/// precision the figures are tested to.
inline constexpr std::size_t kLaneBlock = 8 * kStatLanes;

/// Bytes the running thread will read next (the next chunk of a pass, see upcomingChunk()):
/// each lane block of every kernel asks for a few more of their cache lines into the L2 cache,
/// so they arrive while the current piece is worked from the cache instead of after it.
struct PrefetchStream {
    const char *at = nullptr;
    const char *end = nullptr;
};
/// The running thread's stream; empty when nothing is set. A variable of the initial-exec model
/// (core is linked into the programs, never loaded later): a call in the kernels' loops, to a
/// function or to the general model's __tls_get_addr, made GCC spill the vector sums around it
/// every block.
extern constinit thread_local PrefetchStream t_prefetchStream [[gnu::tls_model("initial-exec")]];
inline PrefetchStream &prefetchStream() {
    return t_prefetchStream;
}
/// Sets the running thread's stream for its lifetime and clears it after.
class StreamNext {
public:
    StreamNext(const void *bytes, std::size_t size);
    ~StreamNext();
    StreamNext(const StreamNext &) = delete;
    StreamNext &operator=(const StreamNext &) = delete;

private:
    PrefetchStream m_outer;
};

/// A uniform binning: bin of x = trunc(clamp((x - lo) · binsPerUnit, 0, last)).
struct LaneBinning {
    float lo = 0.0f;
    float binsPerUnit = 0.0f;
    float last = 0.0f;
    int binOf(float x) const {
        float t = (x - lo) * binsPerUnit;
        t = t < 0.0f ? 0.0f : t;
        t = last < t ? last : t;
        return int(t);
    }
};

/// Min, max and Σx of a piece; finite is false when the sum is not (a NaN, an Inf or a float
/// overflow in the piece), and the caller then takes its careful path.
struct LaneScan {
    float min = 0.0f;
    float max = 0.0f;
    double sum = 0.0;
    bool finite = true;
};

/// Σx² and Σ(x - mean)² of a piece; finite is false when a float sum overflowed.
struct LaneSpread {
    double sumSquares = 0.0;
    double sumSquaredDeviations = 0.0;
    bool finite = true;
};

/// x against x̂ over a piece: compareChunk's partial sums (Σx², Σ(x - x̂)², Σx·x̂, Σx̂², max
/// |x - x̂|, count); finite is false when a float sum is not finite (a non-finite x or x̂, or an
/// overflow), and the caller then takes its careful path.
struct LaneCompare {
    ValueErrorPartial sums;
    bool finite = true;
};

/// Adding and subtracting 1.5 · 2^23 rounds a float below 2^22 in magnitude half to even.
inline constexpr float kLaneRoundingMagic = 12582912.0f;

/// fakeQuantize's constants for one QuantParams.
struct LaneQuant {
    float inverse = 1.0f;
    float below = 0.0f; ///< x · (1/s) is limited to [below, above] before rounding
    float above = 0.0f;
    float zeroPoint = 0.0f;
    float qmin = 0.0f;
    float qmax = 0.0f;
    float scale = 1.0f;
    static LaneQuant of(const QuantParams &p);
    /// As of(p), written in place: where one is set per group, a returned copy went through the
    /// stack field by field and was read back wider, a stalled store forwarding each time.
    void setFrom(const QuantParams &p);
};

/// The error pass's extras: values outside [belowLimit, aboveLimit] count as clipped, and x - x̂
/// goes to the error histogram.
struct LaneErrorSetup {
    LaneQuant quant;
    float belowLimit = 0.0f;
    float aboveLimit = 0.0f;
    LaneBinning errorBins;
    /// False promises that every x lies in [belowLimit, aboveLimit] (as when the tensor's min and
    /// max do): the count of clipped values is 0 and the kernels skip its comparisons.
    bool clips = true;
};

struct LaneError {
    LaneCompare compare;
    std::int64_t clipped = 0;
};

/// min, max and Σx of x[0, n), n > 0; any values.
LaneScan laneScan(const float *x, std::size_t n);
/// Σx², Σ(x - mean)² of x[0, n), n ≤ kLaneMaxPiece, and one count per value in counts[bin]. Every x must be
/// finite (a NaN would land in bin 0).
LaneSpread laneSpread(const float *x, std::size_t n, float mean, const LaneBinning &bins,
                      std::uint32_t *counts);
/// x against y, value by value; any values.
LaneCompare laneCompare(const float *x, const float *y, std::size_t n);
/// x[0, n), n ≤ kLaneMaxPiece, against its fake-quantized x̂ (computed in the lanes, never stored), the
/// clipped count and the error histogram (counts[bin]): compare equals laneCompare(x,
/// fakeQuantize(x)) to the bit. Every x must be finite; the counts are right even when compare.finite is
/// false. counts may be nullptr: then no error histogram is counted (one store per value saved).
LaneError laneError(const float *x, std::size_t n, const LaneErrorSetup &setup, std::uint32_t *counts);
/// The spread and the error of x[0, n), n ≤ kLaneMaxPiece, from one read of each value: spread equals
/// laneSpread(x, n, mean, bins, counts) and error equals laneError(x, n, setup, errorCounts), bit for
/// bit and count for count (Σx² is computed once for both). Every x must be finite; errorCounts
/// may be nullptr.
struct LaneSpreadError {
    LaneSpread spread;
    LaneError error;
};
LaneSpreadError laneSpreadError(const float *x, std::size_t n, float mean, const LaneBinning &bins,
                                std::uint32_t *counts, const LaneErrorSetup &setup,
                                std::uint32_t *errorCounts);
/// laneError over runs of parameters: value i of x[0, n) is quantized with, and counted clipped
/// against, runs[(offset + i) / runLength]. runLength and offset must be multiples of kStatLanes
/// (a run then starts on a lane group); n ≤ kLaneMaxPiece, every x finite, no error histogram.
/// compare equals laneCompare(x, y) where y is fakeQuantize's x̂ under each value's run, to the
/// bit.
LaneError laneErrorRuns(const float *x, std::size_t n, const LaneErrorSetup *runs, std::size_t runLength,
                        std::size_t offset);
/// True if every x[0, n) is finite.
bool laneAllFinite(const float *x, std::size_t n);

/// The smallest and largest of x[0, n), any n and any values, picked (never computed) by
/// comparisons a NaN fails, so they are exact whatever the lane order (but for which zero is
/// picked when -0 and +0 tie); +inf / -inf when n is 0 or every value is NaN. nan is true if a
/// value is NaN (an infinity shows in min or max).
struct LaneRange {
    float min = 0.0f;
    float max = 0.0f;
    bool nan = false;
};
LaneRange laneRange(const float *x, std::size_t n);
/// laneRange of each of runCount consecutive runs of runLength values (x[r·runLength, (r + 1)·
/// runLength) into out[r]), runLength a multiple of kStatLanes: for groups of a hundred values the
/// per-call setup and the fold of the lanes, not the values, were laneRange's cost; here each
/// run's lanes fold in the registers.
void laneRunRanges(const float *x, std::size_t runCount, std::size_t runLength, LaneRange *out);

/// Of x[0, n), any n: how many values are finite, and how many of those lie below `below` or
/// above `above`.
struct LaneClipCount {
    std::int64_t finite = 0;
    std::int64_t outside = 0;
};
LaneClipCount laneClipCount(const float *x, std::size_t n, float below, float above);
/// fakeQuantize's x̂ of x[0, n) into y[0, n), any n and any values: the same operations in the
/// same order, so the same bits (NaN stays NaN, ±inf clamps), in the widest build's registers.
void laneFakeQuantize(const float *x, float *y, std::size_t n, const LaneQuant &quant);

/// The whole-model sweep's moment pass over a chunk: the power sums Σx, Σx², Σx³ and Σx⁴ in
/// double lanes (no float partial sums: the moments keep every value's double), and max |x|.
/// finite is false when a sum is not (a NaN or an Inf among the values).
struct LaneMomentSums {
    double sum = 0.0;
    double sumSquares = 0.0;
    double sumCubes = 0.0;
    double sumFourths = 0.0;
    double maxAbs = 0.0;
    bool finite = true;
};
/// A second pass, for a chunk whose mean lies too far from zero for the power sums to give the
/// central ones: Σd², Σd³ and Σd⁴ of d = x - mean, in double lanes. Every x must be finite.
struct LaneCentralSums {
    double m2 = 0.0;
    double m3 = 0.0;
    double m4 = 0.0;
};
LaneMomentSums laneMomentSums(const float *x, std::size_t n);
LaneCentralSums laneCentralSums(const float *x, std::size_t n, double mean);

/// The largest |x| of the finite values of x[0, n) (NaN and ±inf skipped), 0 when there are
/// none: finiteAbsMax. A maximum picks a value, so any lane order gives the same one.
float laneFiniteAbsMax(const float *x, std::size_t n);
/// y = scale · roundTo<format>(x / scale) over x[0, n), any values: fakeQuantizeScaled with a
/// usable scale, quant/minifloatkernel.h's rounding lane by lane (the same bits).
void laneMiniFloatScaled(MiniFloat format, const float *x, float *y, std::size_t n, float scale);
/// fakeQuantizeMxBlock on `blocks` consecutive blocks of kMxBlockSize values; scales[b] is block
/// b's scale. The same bits as the block function.
void laneMxBlocks(MxFormat format, const float *x, float *y, std::size_t blocks, float *scales);
/// fakeQuantizeNvFp4Block on `blocks` consecutive blocks of kNvFp4BlockSize values with global
/// scale g; scales[b] is block b's s_b. The same bits as the block function.
void laneNvFp4Blocks(const float *x, float *y, std::size_t blocks, float globalScale, float *scales);
/// fakeQuantizeNf4Block on `blocks` consecutive blocks of kNf4BlockSize values; absmax[b] is block
/// b's absmax. The same bits as the block function.
void laneNf4Blocks(const float *x, float *y, std::size_t blocks, float *absmax);

/// Which build the kernels run: "sse2", "avx2" or "avx512".
const char *laneKernelIsa();
/// The builds this processor runs, narrowest first.
std::vector<std::string> laneKernelIsas();
/// Makes every kernel run build isa (one of laneKernelIsas()), or the widest again for an empty
/// isa; false for a build this processor does not run. For tests comparing the builds' bits.
bool setLaneKernelIsa(const std::string &isa);

} // namespace qs::detail
