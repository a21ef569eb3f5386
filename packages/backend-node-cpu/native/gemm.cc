#include "gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include "thread_pool.h"

namespace lstm_native {
namespace {

/** Depth of one packed block: a panel of A and one of B stay in L1/L2 cache across the K loop. */
constexpr int kBlockDepth = 256;
/** Rows of A packed at a time. */
constexpr int kBlockRows = 96;
/** Products below this many multiply-adds run on one thread, since waking workers costs more. */
constexpr long kParallelMinimumMacs = 1L << 17;
/** Right operands below this many elements are packed on one thread. */
constexpr long kParallelMinimumPackedElements = 1L << 16;

/** Signature shared by the micro-kernels: one MR x NR tile of C from `depth` packed columns. */
using MicroKernel = void (*)(int depth, const float* a, const float* b, float* c, int ldc, int rows, int cols,
                             bool accumulate);

struct KernelShape {
  int mr;
  int nr;
  MicroKernel kernel;
};

/** Stores an accumulated tile, or adds it to C, keeping only the valid rows and columns. */
inline void store_tile(const float* tile, int nr, float* c, int ldc, int rows, int cols, bool accumulate) {
  for (int r = 0; r < rows; ++r) {
    float* row = c + static_cast<long>(r) * ldc;
    const float* source = tile + r * nr;
    if (accumulate) {
      for (int j = 0; j < cols; ++j) row[j] += source[j];
    } else {
      std::memcpy(row, source, sizeof(float) * cols);
    }
  }
}

constexpr int kPortableMr = 4;
constexpr int kPortableNr = 8;

void kernel_portable(int depth, const float* a, const float* b, float* c, int ldc, int rows, int cols,
                     bool accumulate) {
  float tile[kPortableMr * kPortableNr] = {};
  for (int k = 0; k < depth; ++k) {
    for (int r = 0; r < kPortableMr; ++r) {
      const float left = a[k * kPortableMr + r];
      for (int j = 0; j < kPortableNr; ++j) tile[r * kPortableNr + j] += left * b[k * kPortableNr + j];
    }
  }
  store_tile(tile, kPortableNr, c, ldc, rows, cols, accumulate);
}

constexpr int kAvx2Mr = 6;
constexpr int kAvx2Nr = 16;

/**
 * The 6x16 AVX2 tile loop. Row r of the tile reads its k-th left value at `rows[r][k * kStep]`:
 * kStep = 6 walks a packed strip, kStep = 1 reads A's rows where they are, unpacked.
 * Named accumulators, not an array: GCC 12 keeps an indexed array on the stack, which costs a
 * store per multiply-add.
 */
template <int kStep>
__attribute__((target("avx2,fma"), always_inline)) inline void kernel_avx2_body(
    int depth, const float* const rows_of_a[kAvx2Mr], const float* b, float* c, int ldc, int rows, int cols,
    bool accumulate) {
  const float* a0 = rows_of_a[0];
  const float* a1 = rows_of_a[1];
  const float* a2 = rows_of_a[2];
  const float* a3 = rows_of_a[3];
  const float* a4 = rows_of_a[4];
  const float* a5 = rows_of_a[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    const long at = static_cast<long>(k) * kStep;
    { const __m256 left = _mm256_broadcast_ss(a0 + at); c00 = _mm256_fmadd_ps(left, b0, c00); c01 = _mm256_fmadd_ps(left, b1, c01); }
    { const __m256 left = _mm256_broadcast_ss(a1 + at); c10 = _mm256_fmadd_ps(left, b0, c10); c11 = _mm256_fmadd_ps(left, b1, c11); }
    { const __m256 left = _mm256_broadcast_ss(a2 + at); c20 = _mm256_fmadd_ps(left, b0, c20); c21 = _mm256_fmadd_ps(left, b1, c21); }
    { const __m256 left = _mm256_broadcast_ss(a3 + at); c30 = _mm256_fmadd_ps(left, b0, c30); c31 = _mm256_fmadd_ps(left, b1, c31); }
    { const __m256 left = _mm256_broadcast_ss(a4 + at); c40 = _mm256_fmadd_ps(left, b0, c40); c41 = _mm256_fmadd_ps(left, b1, c41); }
    { const __m256 left = _mm256_broadcast_ss(a5 + at); c50 = _mm256_fmadd_ps(left, b0, c50); c51 = _mm256_fmadd_ps(left, b1, c51); }
    b += kAvx2Nr;
  }

  alignas(64) float tile[kAvx2Mr * kAvx2Nr];
  _mm256_store_ps(tile + 0, c00);
  _mm256_store_ps(tile + 8, c01);
  _mm256_store_ps(tile + 16, c10);
  _mm256_store_ps(tile + 24, c11);
  _mm256_store_ps(tile + 32, c20);
  _mm256_store_ps(tile + 40, c21);
  _mm256_store_ps(tile + 48, c30);
  _mm256_store_ps(tile + 56, c31);
  _mm256_store_ps(tile + 64, c40);
  _mm256_store_ps(tile + 72, c41);
  _mm256_store_ps(tile + 80, c50);
  _mm256_store_ps(tile + 88, c51);
  if (rows == kAvx2Mr && cols == kAvx2Nr) {
    for (int r = 0; r < kAvx2Mr; ++r) {
      float* row = c + static_cast<long>(r) * ldc;
      __m256 low = _mm256_loadu_ps(tile + r * kAvx2Nr);
      __m256 high = _mm256_loadu_ps(tile + r * kAvx2Nr + 8);
      if (accumulate) {
        low = _mm256_add_ps(_mm256_loadu_ps(row), low);
        high = _mm256_add_ps(_mm256_loadu_ps(row + 8), high);
      }
      _mm256_storeu_ps(row, low);
      _mm256_storeu_ps(row + 8, high);
    }
    return;
  }
  store_tile(tile, kAvx2Nr, c, ldc, rows, cols, accumulate);
}

__attribute__((target("avx2,fma"))) void kernel_avx2(int depth, const float* a, const float* b, float* c, int ldc,
                                                        int rows, int cols, bool accumulate) {
  const float* const strip[kAvx2Mr] = {a, a + 1, a + 2, a + 3, a + 4, a + 5};
  kernel_avx2_body<kAvx2Mr>(depth, strip, b, c, ldc, rows, cols, accumulate);
}

/**
 * The AVX2 tile on unpacked A: row r of the tile is A's row `a + r * lda`. Rows past `rows` repeat
 * the last valid one, so nothing outside A is read, and their results are not stored.
 */
__attribute__((target("avx2,fma"))) void kernel_avx2_unpacked(int depth, const float* a, long lda, const float* b,
                                                                 float* c, int ldc, int rows, int cols,
                                                                 bool accumulate) {
  const float* strip[kAvx2Mr];
  for (int r = 0; r < kAvx2Mr; ++r) strip[r] = a + std::min(r, rows - 1) * lda;
  kernel_avx2_body<1>(depth, strip, b, c, ldc, rows, cols, accumulate);
}

// NOTE: written for AVX-512 but not yet run: the machine this was developed on has only AVX2.
// The sgemm tests compare it with a naive product on any CPU that supports AVX-512.
constexpr int kAvx512Mr = 12;
constexpr int kAvx512Nr = 32;

// Named accumulators, not an array: GCC 12 keeps an indexed array on the stack, which
// costs a store per multiply-add.
__attribute__((target("avx512f"))) void kernel_avx512(int depth, const float* a, const float* b, float* c, int ldc,
                                                        int rows, int cols, bool accumulate) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps();
  __m512 c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  __m512 c80 = _mm512_setzero_ps(), c81 = _mm512_setzero_ps();
  __m512 c90 = _mm512_setzero_ps(), c91 = _mm512_setzero_ps();
  __m512 c100 = _mm512_setzero_ps(), c101 = _mm512_setzero_ps();
  __m512 c110 = _mm512_setzero_ps(), c111 = _mm512_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
    { const __m512 left = _mm512_set1_ps(a[0]); c00 = _mm512_fmadd_ps(left, b0, c00); c01 = _mm512_fmadd_ps(left, b1, c01); }
    { const __m512 left = _mm512_set1_ps(a[1]); c10 = _mm512_fmadd_ps(left, b0, c10); c11 = _mm512_fmadd_ps(left, b1, c11); }
    { const __m512 left = _mm512_set1_ps(a[2]); c20 = _mm512_fmadd_ps(left, b0, c20); c21 = _mm512_fmadd_ps(left, b1, c21); }
    { const __m512 left = _mm512_set1_ps(a[3]); c30 = _mm512_fmadd_ps(left, b0, c30); c31 = _mm512_fmadd_ps(left, b1, c31); }
    { const __m512 left = _mm512_set1_ps(a[4]); c40 = _mm512_fmadd_ps(left, b0, c40); c41 = _mm512_fmadd_ps(left, b1, c41); }
    { const __m512 left = _mm512_set1_ps(a[5]); c50 = _mm512_fmadd_ps(left, b0, c50); c51 = _mm512_fmadd_ps(left, b1, c51); }
    { const __m512 left = _mm512_set1_ps(a[6]); c60 = _mm512_fmadd_ps(left, b0, c60); c61 = _mm512_fmadd_ps(left, b1, c61); }
    { const __m512 left = _mm512_set1_ps(a[7]); c70 = _mm512_fmadd_ps(left, b0, c70); c71 = _mm512_fmadd_ps(left, b1, c71); }
    { const __m512 left = _mm512_set1_ps(a[8]); c80 = _mm512_fmadd_ps(left, b0, c80); c81 = _mm512_fmadd_ps(left, b1, c81); }
    { const __m512 left = _mm512_set1_ps(a[9]); c90 = _mm512_fmadd_ps(left, b0, c90); c91 = _mm512_fmadd_ps(left, b1, c91); }
    { const __m512 left = _mm512_set1_ps(a[10]); c100 = _mm512_fmadd_ps(left, b0, c100); c101 = _mm512_fmadd_ps(left, b1, c101); }
    { const __m512 left = _mm512_set1_ps(a[11]); c110 = _mm512_fmadd_ps(left, b0, c110); c111 = _mm512_fmadd_ps(left, b1, c111); }
    a += kAvx512Mr;
    b += kAvx512Nr;
  }

  alignas(64) float tile[kAvx512Mr * kAvx512Nr];
  _mm512_store_ps(tile + 0, c00);
  _mm512_store_ps(tile + 16, c01);
  _mm512_store_ps(tile + 32, c10);
  _mm512_store_ps(tile + 48, c11);
  _mm512_store_ps(tile + 64, c20);
  _mm512_store_ps(tile + 80, c21);
  _mm512_store_ps(tile + 96, c30);
  _mm512_store_ps(tile + 112, c31);
  _mm512_store_ps(tile + 128, c40);
  _mm512_store_ps(tile + 144, c41);
  _mm512_store_ps(tile + 160, c50);
  _mm512_store_ps(tile + 176, c51);
  _mm512_store_ps(tile + 192, c60);
  _mm512_store_ps(tile + 208, c61);
  _mm512_store_ps(tile + 224, c70);
  _mm512_store_ps(tile + 240, c71);
  _mm512_store_ps(tile + 256, c80);
  _mm512_store_ps(tile + 272, c81);
  _mm512_store_ps(tile + 288, c90);
  _mm512_store_ps(tile + 304, c91);
  _mm512_store_ps(tile + 320, c100);
  _mm512_store_ps(tile + 336, c101);
  _mm512_store_ps(tile + 352, c110);
  _mm512_store_ps(tile + 368, c111);
  if (rows == kAvx512Mr && cols == kAvx512Nr) {
    for (int r = 0; r < kAvx512Mr; ++r) {
      float* row = c + static_cast<long>(r) * ldc;
      __m512 low = _mm512_loadu_ps(tile + r * kAvx512Nr);
      __m512 high = _mm512_loadu_ps(tile + r * kAvx512Nr + 16);
      if (accumulate) {
        low = _mm512_add_ps(_mm512_loadu_ps(row), low);
        high = _mm512_add_ps(_mm512_loadu_ps(row + 16), high);
      }
      _mm512_storeu_ps(row, low);
      _mm512_storeu_ps(row + 16, high);
    }
    return;
  }
  store_tile(tile, kAvx512Nr, c, ldc, rows, cols, accumulate);
}

KernelShape kernel_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return {kAvx512Mr, kAvx512Nr, kernel_avx512};
    case Isa::kAvx2:
      return {kAvx2Mr, kAvx2Nr, kernel_avx2};
    case Isa::kPortable:
      break;
  }
  return {kPortableMr, kPortableNr, kernel_portable};
}

Isa detect_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::kAvx2;
#endif
  return Isa::kPortable;
}

std::atomic<int> selected_isa{-1};

/** Offset of K block `k0` in a packed right operand: earlier blocks hold k0 rows of every padded column. */
inline long packed_block_offset(const PackedMatrix& b, int k0) {
  const int padded_cols = (b.cols + b.panel - 1) / b.panel * b.panel;
  return static_cast<long>(k0) * padded_cols;
}

/** Packs rows [i0, i0 + rows) x depth [k0, k0 + depth) of op(A) into MR-row strips, zero-padded. */
void pack_left(bool trans_a, const float* a, int lda, int i0, int rows, int k0, int depth, int mr, float* out) {
  for (int strip = 0; strip < rows; strip += mr) {
    const int valid = std::min(mr, rows - strip);
    float* target = out + static_cast<long>(strip) * depth;
    if (trans_a) {
      for (int k = 0; k < depth; ++k) {
        const float* source = a + static_cast<long>(k0 + k) * lda + i0 + strip;
        for (int r = 0; r < valid; ++r) target[k * mr + r] = source[r];
      }
    } else {
      // Row by row, so that each source row is read in order.
      for (int r = 0; r < valid; ++r) {
        const float* source = a + static_cast<long>(i0 + strip + r) * lda + k0;
        for (int k = 0; k < depth; ++k) target[k * mr + r] = source[k];
      }
    }
    for (int r = valid; r < mr; ++r) {
      for (int k = 0; k < depth; ++k) target[k * mr + r] = 0.0f;
    }
  }
}

/**
 * Computes rows [row_begin, row_end) of C in the column panels of `ranges`, on the calling thread.
 * Each element sums the K blocks in order, whatever the ranges, so results do not depend on the split.
 */
void gemm_range(bool trans_a, const float* a, int lda, const PackedMatrix& b, float* c, int ldc, bool accumulate,
                int row_begin, int row_end, const PanelRange* ranges, int range_count) {
  const KernelShape shape = kernel_for(b.isa);
  const int k = b.rows;
  const int n = b.cols;
  // The AVX2 tile reads a row-major A in place: its six rows are six sequential streams, as cheap
  // as the packed strip, which saves the copy. The other tiles, and a transposed A, are packed.
  const bool unpacked = !trans_a && b.isa == Isa::kAvx2;
  // One packing buffer per thread, reused across calls: allocating it each time cost a memset per step.
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(kBlockRows + shape.mr) * kBlockDepth);
  float* packed_a = buffer.data();

  for (int k0 = 0; k0 < k; k0 += kBlockDepth) {
    const int depth = std::min(kBlockDepth, k - k0);
    const bool add_to_c = accumulate || k0 > 0;
    const float* b_block = b.data.data() + packed_block_offset(b, k0);

    for (int i0 = row_begin; i0 < row_end; i0 += kBlockRows) {
      const int rows = std::min(kBlockRows, row_end - i0);
      if (!unpacked) pack_left(trans_a, a, lda, i0, rows, k0, depth, shape.mr, packed_a);

      for (int range = 0; range < range_count; ++range) {
        for (int p = ranges[range].begin; p < ranges[range].end; ++p) {
          const float* b_panel = b_block + static_cast<long>(p) * depth * shape.nr;
          const int j0 = p * shape.nr;
          const int cols = std::min(shape.nr, n - j0);
          for (int strip = 0; strip < rows; strip += shape.mr) {
            float* c_tile = c + static_cast<long>(i0 + strip) * ldc + j0;
            const int strip_rows = std::min(shape.mr, rows - strip);
            if (unpacked) {
              kernel_avx2_unpacked(depth, a + static_cast<long>(i0 + strip) * lda + k0, lda, b_panel, c_tile, ldc,
                                   strip_rows, cols, add_to_c);
            } else {
              shape.kernel(depth, packed_a + static_cast<long>(strip) * depth, b_panel, c_tile, ldc, strip_rows, cols,
                           add_to_c);
            }
          }
        }
      }
    }
  }
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kPortable:
      break;
  }
  return "portable";
}

Isa best_supported_isa() {
  static const Isa best = detect_isa();
  return best;
}

Isa active_isa() {
  const int selected = selected_isa.load();
  return selected < 0 ? best_supported_isa() : static_cast<Isa>(selected);
}

bool set_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(best_supported_isa())) return false;
  selected_isa.store(static_cast<int>(isa));
  return true;
}

void pack_right(bool trans_b, int k, int n, const float* b, int ldb, PackedMatrix& out) {
  const KernelShape shape = kernel_for(active_isa());
  const int panels = (n + shape.nr - 1) / shape.nr;
  out.rows = k;
  out.cols = n;
  out.panel = shape.nr;
  out.isa = active_isa();
  // Every element below is written, padding included, so a reused buffer needs no clearing.
  out.data.resize(static_cast<size_t>(k) * panels * shape.nr + 16);

  const long elements = static_cast<long>(k) * n;
  const int tasks = elements < kParallelMinimumPackedElements ? 1 : std::min(thread_count(), panels);
  parallel_for(tasks, [&](int task) {
    const int first = static_cast<int>(static_cast<long>(panels) * task / tasks);
    const int last = static_cast<int>(static_cast<long>(panels) * (task + 1) / tasks);
    for (int k0 = 0; k0 < k; k0 += kBlockDepth) {
      const int depth = std::min(kBlockDepth, k - k0);
      float* block = out.data.data() + packed_block_offset(out, k0);
      for (int p = first; p < last; ++p) {
        float* panel = block + static_cast<long>(p) * depth * shape.nr;
        const int j0 = p * shape.nr;
        const int cols = std::min(shape.nr, n - j0);
        for (int kk = 0; kk < depth; ++kk) {
          const long row = k0 + kk;
          float* target = panel + static_cast<long>(kk) * shape.nr;
          if (trans_b) {
            for (int j = 0; j < cols; ++j) target[j] = b[(j0 + j) * static_cast<long>(ldb) + row];
          } else {
            std::memcpy(target, b + row * ldb + j0, sizeof(float) * cols);
          }
          for (int j = cols; j < shape.nr; ++j) target[j] = 0.0f;
        }
      }
    }
  });
}

void gemm_packed(bool trans_a, int m, const float* a, int lda, const PackedMatrix& b, float* c, int ldc,
                 bool accumulate) {
  const int n = b.cols;
  const int k = b.rows;
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) {
      for (int i = 0; i < m; ++i) std::memset(c + static_cast<long>(i) * ldc, 0, sizeof(float) * n);
    }
    return;
  }

  const KernelShape shape = kernel_for(b.isa);
  const int panels = (n + b.panel - 1) / b.panel;
  const int strips = (m + shape.mr - 1) / shape.mr;
  const long macs = static_cast<long>(m) * n * k;
  int tasks = macs < kParallelMinimumMacs ? 1 : thread_count();

  // Split the rows when there are enough strips, else the column panels. Either way no thread
  // shares an element of C, so the sum order does not depend on the thread count.
  const bool split_rows = strips >= 2 * tasks || strips >= panels;
  tasks = std::min(tasks, split_rows ? strips : panels);
  parallel_for(tasks, [&](int task) {
    if (split_rows) {
      const int first = static_cast<int>(static_cast<long>(strips) * task / tasks) * shape.mr;
      const int last = std::min(m, static_cast<int>(static_cast<long>(strips) * (task + 1) / tasks) * shape.mr);
      const PanelRange all{0, panels};
      gemm_range(trans_a, a, lda, b, c, ldc, accumulate, first, last, &all, 1);
    } else {
      const PanelRange own{static_cast<int>(static_cast<long>(panels) * task / tasks),
                           static_cast<int>(static_cast<long>(panels) * (task + 1) / tasks)};
      gemm_range(trans_a, a, lda, b, c, ldc, accumulate, 0, m, &own, 1);
    }
  });
}

void gemm_packed_panels(int m, const float* a, int lda, const PackedMatrix& b, float* c, int ldc, bool accumulate,
                        const PanelRange* ranges, int range_count) {
  if (m == 0) return;
  gemm_range(false, a, lda, b, c, ldc, accumulate, 0, m, ranges, range_count);
}

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           float* c, int ldc, bool accumulate) {
  // Reused across calls: a new buffer of several megabytes costs page faults on every product.
  thread_local PackedMatrix packed;
  pack_right(trans_b, k, n, b, ldb, packed);
  gemm_packed(trans_a, m, a, lda, packed, c, ldc, accumulate);
}

}  // namespace lstm_native
