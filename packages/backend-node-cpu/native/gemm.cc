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

// Named accumulators, not an array: GCC 12 keeps an indexed array on the stack, which
// costs a store per multiply-add.
__attribute__((target("avx2,fma"))) void kernel_avx2(int depth, const float* a, const float* b, float* c, int ldc,
                                                        int rows, int cols, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < depth; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    { const __m256 left = _mm256_broadcast_ss(&a[0]); c00 = _mm256_fmadd_ps(left, b0, c00); c01 = _mm256_fmadd_ps(left, b1, c01); }
    { const __m256 left = _mm256_broadcast_ss(&a[1]); c10 = _mm256_fmadd_ps(left, b0, c10); c11 = _mm256_fmadd_ps(left, b1, c11); }
    { const __m256 left = _mm256_broadcast_ss(&a[2]); c20 = _mm256_fmadd_ps(left, b0, c20); c21 = _mm256_fmadd_ps(left, b1, c21); }
    { const __m256 left = _mm256_broadcast_ss(&a[3]); c30 = _mm256_fmadd_ps(left, b0, c30); c31 = _mm256_fmadd_ps(left, b1, c31); }
    { const __m256 left = _mm256_broadcast_ss(&a[4]); c40 = _mm256_fmadd_ps(left, b0, c40); c41 = _mm256_fmadd_ps(left, b1, c41); }
    { const __m256 left = _mm256_broadcast_ss(&a[5]); c50 = _mm256_fmadd_ps(left, b0, c50); c51 = _mm256_fmadd_ps(left, b1, c51); }
    a += kAvx2Mr;
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
    for (int k = 0; k < depth; ++k) {
      float* target = out + static_cast<long>(strip) * depth + static_cast<long>(k) * mr;
      for (int r = 0; r < valid; ++r) {
        const long i = i0 + strip + r;
        const long kk = k0 + k;
        target[r] = trans_a ? a[kk * lda + i] : a[i * lda + kk];
      }
      for (int r = valid; r < mr; ++r) target[r] = 0.0f;
    }
  }
}

/** Computes rows [row_begin, row_end) and panels [panel_begin, panel_end) of C, the K blocks in order. */
void gemm_range(bool trans_a, const float* a, int lda, const PackedMatrix& b, float* c, int ldc, bool accumulate,
                int row_begin, int row_end, int panel_begin, int panel_end) {
  const KernelShape shape = kernel_for(b.isa);
  const int k = b.rows;
  const int n = b.cols;
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
      pack_left(trans_a, a, lda, i0, rows, k0, depth, shape.mr, packed_a);

      for (int p = panel_begin; p < panel_end; ++p) {
        const float* b_panel = b_block + static_cast<long>(p) * depth * shape.nr;
        const int j0 = p * shape.nr;
        const int cols = std::min(shape.nr, n - j0);
        for (int strip = 0; strip < rows; strip += shape.mr) {
          float* c_tile = c + static_cast<long>(i0 + strip) * ldc + j0;
          shape.kernel(depth, packed_a + static_cast<long>(strip) * depth, b_panel, c_tile, ldc,
                       std::min(shape.mr, rows - strip), cols, add_to_c);
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
  out.data.assign(static_cast<size_t>(k) * panels * shape.nr + 16, 0.0f);

  for (int k0 = 0; k0 < k; k0 += kBlockDepth) {
    const int depth = std::min(kBlockDepth, k - k0);
    float* block = out.data.data() + packed_block_offset(out, k0);
    for (int p = 0; p < panels; ++p) {
      float* panel = block + static_cast<long>(p) * depth * shape.nr;
      const int j0 = p * shape.nr;
      const int cols = std::min(shape.nr, n - j0);
      for (int kk = 0; kk < depth; ++kk) {
        const long row = k0 + kk;
        float* target = panel + static_cast<long>(kk) * shape.nr;
        for (int j = 0; j < cols; ++j) {
          const long col = j0 + j;
          target[j] = trans_b ? b[col * ldb + row] : b[row * ldb + col];
        }
      }
    }
  }
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
      gemm_range(trans_a, a, lda, b, c, ldc, accumulate, first, last, 0, panels);
    } else {
      const int first = static_cast<int>(static_cast<long>(panels) * task / tasks);
      const int last = static_cast<int>(static_cast<long>(panels) * (task + 1) / tasks);
      gemm_range(trans_a, a, lda, b, c, ldc, accumulate, 0, m, first, last);
    }
  });
}

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           float* c, int ldc, bool accumulate) {
  PackedMatrix packed;
  pack_right(trans_b, k, n, b, ldb, packed);
  gemm_packed(trans_a, m, a, lda, packed, c, ldc, accumulate);
}

}  // namespace lstm_native
