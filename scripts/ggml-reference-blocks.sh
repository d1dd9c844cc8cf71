#!/usr/bin/env bash
# Regenerates tests/core/data/ggml_reference_blocks.inc: the blocks llama.cpp's own quantizers
# make of a fixed set of input rows: quantize_row_<type>_ref in ggml-quants.c (the path
# llama-quantize takes without an importance matrix) and, with importance weights,
# quantize_row_<type>_impl. tst_ggmlencode asserts that the encoders in core/quant give the
# same bytes.
#
# The llama.cpp sources come from the npm package llama.rn (a React Native binding that bundles
# them under cpp/); nothing here is part of the build or CI. Needs npm, a C compiler and python3.
#   scripts/ggml-reference-blocks.sh [llama.rn version, default 0.12.9]
# The input rows are made by gen.c's inputValue below; tst_ggmlencode.cpp's referenceInput
# must make the same floats. Besides the blocks of 9 rows in full, the file holds one digest per
# type of the blocks of 4096 more rows.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-0.12.9}
out="$repo/tests/core/data/ggml_reference_blocks.inc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

npm pack --silent "llama.rn@$version" >/dev/null
tar xzf "llama.rn-$version.tgz" package/cpp
cpp=package/cpp
sha=$(sha256sum "$cpp/ggml-quants.c" | cut -d' ' -f1)

cat >gen.c <<'EOF'
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void quantize_row_q4_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q4_1_ref(const float *x, void *y, int64_t k);
void quantize_row_q5_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q5_1_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q2_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q3_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q4_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q5_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q6_K_ref(const float *x, void *y, int64_t k);
/* The public entry points, which take the _impl path when given importance weights. */
size_t quantize_q4_0(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q4_1(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q5_0(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q5_1(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q8_0(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q2_K(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q3_K(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q4_K(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q5_K(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);
size_t quantize_q6_K(const float *src, void *dst, int64_t nrow, int64_t n, const float *qw);

/* ggml-quants.c refers to these for functions this program never calls. */
void lm_ggml_abort(const char *file, int line, const char *fmt, ...) { (void)fmt; fprintf(stderr, "%s:%d\n", file, line); abort(); }
size_t lm_ggml_row_size(int type, int64_t ne);
const char *lm_ggml_type_name(int type) { (void)type; abort(); }
size_t lm_ggml_type_size(int type) { (void)type; abort(); }

typedef void (*quantizer)(const float *, void *, int64_t);
typedef size_t (*weightedQuantizer)(const float *, void *, int64_t, int64_t, const float *);
static const struct { int id; const char *name; quantizer fn; weightedQuantizer weighted; int bytesPerRow; } kTypes[] = {
    {2, "Q4_0", quantize_row_q4_0_ref, quantize_q4_0, 8 * 18},   {3, "Q4_1", quantize_row_q4_1_ref, quantize_q4_1, 8 * 20},
    {6, "Q5_0", quantize_row_q5_0_ref, quantize_q5_0, 8 * 22},   {7, "Q5_1", quantize_row_q5_1_ref, quantize_q5_1, 8 * 24},
    {8, "Q8_0", quantize_row_q8_0_ref, quantize_q8_0, 8 * 34},   {10, "Q2_K", quantize_row_q2_K_ref, quantize_q2_K, 84},
    {11, "Q3_K", quantize_row_q3_K_ref, quantize_q3_K, 110},     {12, "Q4_K", quantize_row_q4_K_ref, quantize_q4_K, 144},
    {13, "Q5_K", quantize_row_q5_K_ref, quantize_q5_K, 176},     {14, "Q6_K", quantize_row_q6_K_ref, quantize_q6_K, 210},
};
size_t lm_ggml_row_size(int type, int64_t ne) {
    for (size_t t = 0; t < sizeof kTypes / sizeof kTypes[0]; ++t)
        if (kTypes[t].id == type) return (size_t)(ne / 256 * kTypes[t].bytesPerRow);
    abort();
}

enum { kRows = 9, kKinds = 9, kDigestRows = 4096, kRowLength = 256 };

static uint32_t mix(uint32_t x) {
    x ^= x >> 16; x *= 0x7feb352dU; x ^= x >> 15; x *= 0x846ca68bU; x ^= x >> 16;
    return x;
}
/* An integer in [lo, hi] drawn from (row, i, salt). */
static int draw(int row, int i, int salt, int lo, int hi) {
    const uint32_t h = mix((uint32_t)row * 0x9E3779B9U + (uint32_t)i * 0x85EBCA6BU + (uint32_t)salt * 0xC2B2AE35U);
    return lo + (int)(h % (uint32_t)(hi - lo + 1));
}
/* Value i of a row of the given kind drawn with `row` as seed. Every value is an integer times a
 * power of two, so it is exact in any language. */
static float inputValue(int kind, int row, int i) {
    const int block = i / 32;
    switch (kind) {
    case 0: /* uniform */
        return ldexpf((float)draw(row, i, 0, -32768, 32767), -15);
    case 1: { /* bell-shaped, with every 37th value an outlier 64 times larger */
        int s = 0;
        for (int k = 0; k < 4; ++k) s += draw(row, i, k, -4096, 4095);
        return ldexpf((float)s, i % 37 == 5 ? -8 : -14);
    }
    case 2: /* Q8_0 ties: |max| 127 gives d = 1, and halves round away from zero */
        return i % 32 == 0 ? (block % 2 ? -127.0f : 127.0f) : ldexpf((float)draw(row, i, 0, -254, 254), -1);
    case 3: /* Q4_0 / Q5_0 ties: max -8 gives d = 1 (Q4_0) or 0.5 (Q5_0) */
        return i % 32 == 0 ? -8.0f : ldexpf((float)draw(row, i, 0, -16, 16), -1);
    case 4: /* all positive: the min of Q4_1 / Q5_1 / Q2_K / Q4_K / Q5_K is not 0 */
        return 3.0f + ldexpf((float)draw(row, i, 0, 0, 4095), -10);
    case 5: /* sparse, an all-zero block, constant blocks */
        if (block == 2) return 0.0f;
        if (block == 5) return 0.75f;
        if (block == 6) return -1.25f;
        return draw(row, i, 1, 0, 3) == 0 ? ldexpf((float)draw(row, i, 0, -2048, 2047), -11) : 0.0f;
    case 6: /* tiny: the f16 scales are subnormal */
        return ldexpf((float)draw(row, i, 0, -1000, 1000), -30);
    case 7: /* heavy tails: magnitudes over 22 octaves */
        return ldexpf((float)draw(row, i, 0, -4096, 4095), draw(row, i, 1, -20, 2));
    default: { /* extremes: the float range's ends, f32 subnormals, zeros */
        static const float kExtremes[] = {3.4028234663852886e38f, -3.4028234663852886e38f, 0.0f,
                                          1.4012984643248171e-45f, -1e38f, 1.0f, -2.5e-40f, 65504.0f};
        return kExtremes[draw(row, i, 0, 0, 7)];
    }
    }
}

/* Importance weights (quant_weights) for value i of a row: 0 ... 4 in steps of 1/16, a few zero. */
static float importanceValue(int row, int i) {
    return ldexpf((float)draw(row, i, 7, 0, 64), -4);
}

/* Encodes row `row` of `kind` with or without importance; returns the row's bytes in y. */
static void encodeRow(int t, int kind, int row, int weighted, float *x, unsigned char *y) {
    static float qw[kRowLength];
    for (int i = 0; i < kRowLength; ++i) {
        x[i] = inputValue(kind, row, i);
        qw[i] = importanceValue(row, i);
    }
    if (weighted)
        kTypes[t].weighted(x, y, 1, kRowLength, qw);
    else
        kTypes[t].fn(x, y, kRowLength);
}

int main(void) {
    static float x[kRowLength];
    static unsigned char y[kRowLength / 32 * 34];
    const int types = (int)(sizeof kTypes / sizeof kTypes[0]);
    /* Rows 0 ... kRows - 1, kind = row: every block, in full; with importance rows 0, 1, 4, 7. */
    for (int weighted = 0; weighted < 2; ++weighted) {
        for (int t = 0; t < types; ++t) {
            for (int row = 0; row < kRows; ++row) {
                if (weighted && row != 0 && row != 1 && row != 4 && row != 7) continue;
                encodeRow(t, row, row, weighted, x, y);
                printf("B %d %s %d %d ", kTypes[t].id, kTypes[t].name, row, weighted);
                for (int b = 0; b < kTypes[t].bytesPerRow; ++b) printf("%02x", y[b]);
                printf("\n");
            }
        }
    }
    /* Rows kRows ... kRows + kDigestRows - 1, kind = row % kKinds: one FNV-1a 64 digest of all
     * their blocks per type, to catch rare differences (a fit that wins once in thousands of rows). */
    for (int weighted = 0; weighted < 2; ++weighted) {
        for (int t = 0; t < types; ++t) {
            uint64_t h = 0xcbf29ce484222325ULL;
            for (int row = kRows; row < kRows + kDigestRows; ++row) {
                encodeRow(t, row % kKinds, row, weighted, x, y);
                for (int b = 0; b < kTypes[t].bytesPerRow; ++b) { h ^= y[b]; h *= 0x100000001b3ULL; }
            }
            printf("D %d %s %d %d %016llx\n", kTypes[t].id, kTypes[t].name, kDigestRows, weighted,
                   (unsigned long long)h);
        }
    }
    return 0;
}
EOF

# As llama.cpp's release builds: NDEBUG, and no fused multiply-add.
cc -std=gnu11 -O2 -DNDEBUG -ffp-contract=off -I"$cpp" -I"$cpp/ggml-cpu" gen.c "$cpp/ggml-quants.c" -lm -o gen
./gen >raw

{
    echo "// Generated by scripts/ggml-reference-blocks.sh; do not edit."
    echo "// Blocks made by llama.cpp's quantize_row_<type>_ref from the npm package llama.rn@$version,"
    echo "// file cpp/ggml-quants.c, sha256 $sha,"
    echo "// built with -O2 -DNDEBUG -ffp-contract=off on $(uname -m)."
    echo "// Inputs: the script's inputValue(kind, row, i), 256 values per row."
    echo "// kReferenceBlocks: { ggml type id, row, with importance, base64 of the row's blocks }, rows"
    echo "// of kind = row. Without importance: quantize_row_<type>_ref; with importanceValue(row, i)"
    echo "// as quant_weights: quantize_<type>(x, y, 1, 256, quant_weights), i.e. quantize_row_<type>_impl."
    echo "// kReferenceDigests: { ggml type id, rows, with importance, FNV-1a 64 of their blocks }, rows"
    echo "// 9, 10, ... of kind = row % 9."
    python3 - raw <<'PY'
import base64, sys
lines = [l.split() for l in open(sys.argv[1])]
print('const ReferenceBlocks kReferenceBlocks[] = {')
for tag, tid, name, row, weighted, hexbytes in (l for l in lines if l[0] == 'B'):
    text = base64.b64encode(bytes.fromhex(hexbytes)).decode()
    chunks = [text[i:i + 96] for i in range(0, len(text), 96)]
    print('    {%s, %s, %s, // %s' % (tid, row, 'true' if weighted == '1' else 'false', name))
    print('\n'.join('        "%s"' % c for c in chunks) + '},')
print('};')
print('const ReferenceDigest kReferenceDigests[] = {')
for tag, tid, name, rows, weighted, digest in (l for l in lines if l[0] == 'D'):
    print('    {%s, %s, %s, 0x%sULL}, // %s' % (tid, rows, 'true' if weighted == '1' else 'false', digest, name))
print('};')
PY
} >"$out"
echo "wrote $out"
