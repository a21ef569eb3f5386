// Single-precision matrix multiply on row-major matrices, with packed panels and
// register-blocked micro-kernels for AVX-512, AVX2 with FMA, and portable C++.
#pragma once

#include <string>
#include <vector>

namespace lstm_native {

/** Instruction sets that have a micro-kernel, fastest last. */
enum class Isa { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

/** Name of an instruction set as the addon reports it: "portable", "avx2" or "avx512". */
const char* isa_name(Isa isa);

/** Fastest instruction set this CPU supports, checked once with __builtin_cpu_supports. */
Isa best_supported_isa();

/** Instruction set the GEMM uses now: the best supported unless `set_isa` chose another. */
Isa active_isa();

/** Selects the micro-kernel. Returns false, changing nothing, when the CPU lacks that instruction set. */
bool set_isa(Isa isa);

/**
 * The right operand of a GEMM, packed once into column panels so that several products reuse it
 * (an LSTM multiplies by its recurrent kernel once per time step).
 */
struct PackedMatrix {
  int rows = 0;     // K
  int cols = 0;     // N
  int panel = 0;    // columns per panel, the micro-kernel's NR
  Isa isa = Isa::kPortable;
  std::vector<float> data;
};

/** Packs op(B), `[K, N]`; op(B)[k][j] is B[j * ldb + k] when `trans_b`, else B[k * ldb + j]. */
void pack_right(bool trans_b, int k, int n, const float* b, int ldb, PackedMatrix& out);

/**
 * C[M, N] = op(A)[M, K] * B (plus the old C when `accumulate`), with B packed by `pack_right` for the
 * active instruction set. op(A)[i][k] is A[k * lda + i] when `trans_a`, else A[i * lda + k].
 * Each element sums K in a fixed order whatever the thread count, so results are reproducible.
 */
void gemm_packed(bool trans_a, int m, const float* a, int lda, const PackedMatrix& b, float* c, int ldc,
                 bool accumulate);

/** Column panels [begin, end) of a packed matrix. Panel p contains columns [p * panel, (p + 1) * panel). */
struct PanelRange {
  int begin;
  int end;
};

/**
 * C[M, cols] = A[M, K] * B[:, cols] (plus the old C when `accumulate`) for the columns of the given
 * panels only, on the calling thread; `k == 0` is not supported. Threads that own disjoint panel
 * ranges can call it at once on the same C. Sums run in the same order as in `gemm_packed`.
 */
void gemm_packed_panels(int m, const float* a, int lda, const PackedMatrix& b, float* c, int ldc, bool accumulate,
                        const PanelRange* ranges, int range_count);

/** C = op(A) * op(B) (plus the old C when `accumulate`): packs B, then calls `gemm_packed`. */
void sgemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
           float* c, int ldc, bool accumulate);

}  // namespace lstm_native
