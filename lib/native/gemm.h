// chainlab's own single-precision GEMM (an AVX-512 kernel, or a portable one at the build's
// vector width), and the worker threads it splits a call over, which the other costly
// kernels share. See gemm.cc for why the GEMM exists beside OpenBLAS.
#pragma once
#include <cstdint>

namespace chainlab {

/** The kernel this build has: "avx512", "avx2" or "portable". */
const char* ownGemmKind();

/**
 * C[t] = op(A[t]) op(B[t]) + beta C[t] for t < batch, row-major; op(A) is m x k, op(B) is
 * k x n. Element (i, p) of op(A) is a[i * lda + p], or a[p * lda + i] when transA; likewise
 * B. Any leading dimension is allowed for A and B (0 broadcasts a row); C's must be >= n.
 * offsets give each batch item's first element in a, b, c. From `threadWork` multiply-adds
 * on, the call is split over `threads` cores.
 */
void ownGemm(int64_t batch, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
             const float* a, const double* aOff, int64_t lda, const float* b, const double* bOff, int64_t ldb,
             float* c, const double* cOff, int64_t ldc, float beta, int threads, int64_t threadWork);

/**
 * fn(ctx, t) for every t < tasks, on up to `threads` cores (the caller's among them) of the
 * worker pool the GEMM uses (built everywhere, AVX-512 or not). Returns when all are done.
 */
void parallelFor(int threads, int64_t tasks, void (*fn)(void* ctx, int64_t task), void* ctx);

}  // namespace chainlab
