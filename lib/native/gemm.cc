// A worker pool for the native kernels, and chainlab's own GEMM.
//
// OpenBLAS picks its kernels by CPU model, and a model it does not know (or one pinned
// with OPENBLAS_CORETYPE) gets its AVX2 kernels: on a CPU whose vector units are 512 bits
// wide that is half the speed. So where the addon is built with AVX-512, GEMM runs here
// (on a Zen 5 this also matched or beat OpenBLAS's own AVX-512 kernels on all but one
// shape measured); CHAINLAB_GEMM=openblas keeps OpenBLAS. Elsewhere a portable kernel,
// written with the compiler's vector types for the build's vector width, runs GEMM where
// the addon is built without OpenBLAS.
//
// The classic blocked layout: op(B) is copied, kc rows by NR columns at a time, into
// panels that stay in cache; a micro-kernel keeps a ROWS x NR block of C in registers and
// adds one rank-1 update per step of k, reading op(A) where it lies (it is read once per
// panel of B, so copying it would cost as much as it saves at the sizes of a small model;
// only rows that would collide in the cache are copied, see tile()).
#include "gemm.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace chainlab {

namespace {

// what a spinning thread does between looks at a shared counter
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// A worker thread per extra core. A job is a count of tasks taken in turn from a shared
// counter by the caller and the workers; the caller waits only for the workers that joined,
// so a worker the system has not scheduled (the machine is busy) delays nothing. Between
// jobs a worker spins for about a millisecond (the next GEMM of a training step comes
// within microseconds), then sleeps.
class Pool {
 public:
  using Fn = void (*)(void* ctx, int64_t task);

  void run(int threads, int64_t tasks, Fn fn, void* ctx) {
    const int helpers = static_cast<int>(std::min<int64_t>(threads - 1, tasks - 1));
    // a call from a second thread while the pool works for another runs on its own thread
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (helpers <= 0 || !busy.owns_lock()) {
      for (int64_t t = 0; t < tasks; t++) fn(ctx, t);
      return;
    }
    while (static_cast<int>(workers_.size()) < helpers) {
      const uint64_t seen = gen_.load();  // read here: the job below must be news to it
      workers_.emplace_back([this, seen] { loop(seen); });
      workers_.back().detach();
    }
    // jobs alternate between two slots; a worker still in this slot from two jobs ago has
    // seen that its job is over and is only leaving
    const uint64_t g = gen_.load() + 1;
    Job& j = jobs_[g & 1];
    while (j.active.load() != 0) cpuRelax();
    j.fn = fn;
    j.ctx = ctx;
    j.tasks = tasks;
    j.seats.store(helpers);
    j.next.store(0);
    gen_.store(g);
    if (sleeping_.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    work(j);
    while (j.active.load() != 0) cpuRelax();
  }

 private:
  struct Job {
    Fn fn = nullptr;
    void* ctx = nullptr;
    int64_t tasks = 0;
    std::atomic<int> seats{0};  // workers that may still join
    std::atomic<int64_t> next{0};
    std::atomic<int> active{0};  // workers inside the job
  };

  static void work(Job& j) {
    for (int64_t t; (t = j.next.fetch_add(1)) < j.tasks;) j.fn(j.ctx, t);
  }

  void loop(uint64_t seen) {
    for (;;) {
      for (int spin = 0; gen_.load(std::memory_order_acquire) == seen && spin < (1 << 15); spin++) cpuRelax();
      if (gen_.load() == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.fetch_add(1);
        wake_.wait(lock, [&] { return gen_.load() != seen; });
        sleeping_.fetch_sub(1);
      }
      const uint64_t g = seen = gen_.load();
      Job& j = jobs_[g & 1];
      j.active.fetch_add(1);
      // the job may be over and its slot about to take the next: then leave it alone
      if (gen_.load() == g && j.seats.fetch_sub(1) > 0) work(j);
      j.active.fetch_sub(1);
    }
  }

  std::vector<std::thread> workers_;
  Job jobs_[2];
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> sleeping_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex busy_;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: its threads outlive static destructors
  return *p;
}

}  // namespace

void parallelFor(int threads, int64_t tasks, void (*fn)(void* ctx, int64_t task), void* ctx) {
  pool().run(threads, tasks, fn, ctx);
}

namespace {

#if defined(__AVX512F__)

constexpr const char* kKind = "avx512";
constexpr bool kPacksA = true;  // the gather packA below
constexpr int NR = 32;        // columns of C per micro-kernel: two 16-float registers
constexpr int MR = 12;        // rows of C per micro-kernel: 24 accumulators
constexpr int64_t KC = 256;   // rows of op(B) per panel: a panel is 32 KB, in L1
constexpr int64_t NC = 1024;  // columns of op(B) packed at once: 1 MB at most, in L2
constexpr int64_t MC = 96;    // rows of C per sweep over the packed columns

// lanes of the two registers of a row that hold the first nr <= NR columns
inline void columnMasks(int nr, __mmask16& m0, __mmask16& m1) {
  m0 = nr >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr) - 1);
  m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : static_cast<__mmask16>((1u << (nr - 16)) - 1);
}

// ROWS x NR block of C (+)= op(A) block x packed panel. ROWA: op(A)(r, p) = a[r * as + p];
// else a[p * as + r]. Columns from nr on are masked off (the panel is zero there).
template <int ROWS, bool ROWA>
void kernel(int64_t kc, const float* a, int64_t as, const float* bp, float* c, int64_t ldc, int nr, float beta) {
  __m512 acc[ROWS][2];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(bp + p * NR), b1 = _mm512_load_ps(bp + p * NR + 16);
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      const __m512 av = _mm512_set1_ps(ROWA ? a[r * as + p] : a[p * as + r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  __mmask16 m0, m1;
  columnMasks(nr, m0, m1);
  const __m512 vb = _mm512_set1_ps(beta);
  // every load before any store: a load just after a store to an address 4 KB away waits
  // for the store (the CPU compares only the low bits), and rows are often 4 KB apart
  if (beta != 0.0f) {  // never read C when beta is 0: it may hold anything, NaN included
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      acc[r][0] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c + r * ldc), acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + r * ldc + 16), acc[r][1]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
  }
}

// Rows i0.. i0+mc of op(A) = A (not transposed), columns p0.. p0+kc, as blocks of MR rows
// stored column after column (the column-reading kernels take them with as = rows), one
// gather per column.
void packA(const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    const __mmask16 mask = static_cast<__mmask16>((1u << rows) - 1);
    const __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(lda)));
    const float* src = a + (i0 + ir) * lda + p0;
    float* o = out + ir * kc;
    for (int64_t p = 0; p < kc; p++)
      _mm512_mask_storeu_ps(o + p * rows, mask, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, idx, src + p, 4));
  }
}

#else

// The compiler's vector types at the build's width; two vectors per row of the block and
// six rows keep 12 accumulators, two vectors of B and a broadcast in 16 registers.
#if defined(__AVX__)
constexpr int W = 8;
constexpr const char* kKind = "avx2";
#else
constexpr int W = 4;
constexpr const char* kKind = "portable";
#endif
typedef float Vec __attribute__((vector_size(W * sizeof(float))));
constexpr bool kPacksA = false;

constexpr int NR = 2 * W;
constexpr int MR = 6;
constexpr int64_t KC = 256;   // a panel of B is 16 KB (AVX2), in L1
constexpr int64_t NC = 512;   // 512 KB of packed B, in the L2 of most CPUs
constexpr int64_t MC = 96;

inline Vec loadVec(const float* p) { Vec v; std::memcpy(&v, p, sizeof v); return v; }
inline void storeVec(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }

// c + a b, fused into one instruction where the target has FMA (AVX2, NEON): in ISO C++
// mode GCC fuses nothing unless told to, clang only within an expression
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif
inline Vec madd(float a, Vec b, Vec c) { return c + a * b; }

template <int ROWS, bool ROWA>
void kernel(int64_t kc, const float* a, int64_t as, const float* bp, float* c, int64_t ldc, int nr, float beta) {
  Vec acc[ROWS][2] = {};
  for (int64_t p = 0; p < kc; p++) {
    const Vec b0 = loadVec(bp + p * NR), b1 = loadVec(bp + p * NR + W);
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++) {
      const float av = ROWA ? a[r * as + p] : a[p * as + r];
      acc[r][0] = madd(av, b0, acc[r][0]);
      acc[r][1] = madd(av, b1, acc[r][1]);
    }
  }
  if (nr == NR) {
    if (beta != 0.0f) {  // never read C when beta is 0: it may hold anything, NaN included
      for (int r = 0; r < ROWS; r++) {
        acc[r][0] += beta * loadVec(c + r * ldc);
        acc[r][1] += beta * loadVec(c + r * ldc + W);
      }
    }
    for (int r = 0; r < ROWS; r++) {
      storeVec(c + r * ldc, acc[r][0]);
      storeVec(c + r * ldc + W, acc[r][1]);
    }
    return;
  }
  float block[ROWS][NR];
  std::memcpy(block, acc, sizeof block);
  for (int r = 0; r < ROWS; r++)
    for (int j = 0; j < nr; j++) c[r * ldc + j] = block[r][j] + (beta != 0.0f ? beta * c[r * ldc + j] : 0.0f);
}

void packA(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*) {}

#endif

using Kernel = void (*)(int64_t, const float*, int64_t, const float*, float*, int64_t, int, float);

template <bool ROWA, int... R>
constexpr std::array<Kernel, sizeof...(R)> kernels(std::integer_sequence<int, R...>) {
  return {kernel<R + 1, ROWA>...};
}
constexpr auto rowKernels = kernels<true>(std::make_integer_sequence<int, MR>{});
constexpr auto colKernels = kernels<false>(std::make_integer_sequence<int, MR>{});

// Rows p0.. p0+kc of op(B), columns j0.. j0+nc, as panels of kc x NR (zero past nc).
void packB(const float* b, int64_t ldb, bool tB, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
    float* o = out + jr * kc;
    if (!tB) {
      for (int64_t p = 0; p < kc; p++) {
        const float* src = b + (p0 + p) * ldb + j0 + jr;
        if (nr == NR) {
          std::memcpy(o + p * NR, src, sizeof(float) * NR);
        } else {
          std::memcpy(o + p * NR, src, sizeof(float) * nr);
          std::memset(o + p * NR + nr, 0, sizeof(float) * (NR - nr));
        }
      }
    } else {
      for (int j = 0; j < nr; j++) {
        const float* src = b + (j0 + jr + j) * ldb + p0;
        for (int64_t p = 0; p < kc; p++) o[p * NR + j] = src[p];
      }
      for (int j = nr; j < NR; j++)
        for (int64_t p = 0; p < kc; p++) o[p * NR + j] = 0.0f;
    }
  }
}

// Floats for packing, one buffer per thread and size, for the life of the thread
template <int64_t FLOATS>
float* packBuffer() {
  thread_local std::unique_ptr<float, decltype(&std::free)> buf(
      static_cast<float*>(std::aligned_alloc(64, sizeof(float) * FLOATS)), &std::free);
  return buf.get();
}

struct Problem {
  int64_t m, n, k;
  bool tA, tB;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  float beta;
};

// Rows i0..i1 and columns j0..j1 of one C.
void tile(const Problem& q, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  float* bp = packBuffer<KC * NC>();
  // Rows of A a multiple of 4 KB apart fall into one set of the L1 cache, whose ways the
  // kernel's twelve rows then overflow: those are copied together first, where enough
  // panels of B reuse the copy (rows * lda must also fit the gather's 32-bit index)
  const bool copyA = kPacksA && !q.tA && q.lda % 1024 == 0 && j1 - j0 >= 8 * NR && q.lda * MR < (int64_t(1) << 31);
  float* ap = copyA ? packBuffer<MC * KC>() : nullptr;

  for (int64_t jc = j0; jc < j1; jc += NC) {
    const int64_t nc = std::min(NC, j1 - jc);
    for (int64_t pc = 0; pc < q.k; pc += KC) {
      const int64_t kc = std::min(KC, q.k - pc);
      packB(q.b, q.ldb, q.tB, pc, kc, jc, nc, bp);
      const float beta = pc == 0 ? q.beta : 1.0f;
      for (int64_t ic = i0; ic < i1; ic += MC) {
        const int64_t mc = std::min(MC, i1 - ic);
        if (copyA) packA(q.a, q.lda, ic, mc, pc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            const int64_t i = ic + ir;
            float* ct = q.c + i * q.ldc + jc + jr;
            // when k takes several passes, C has left the cache since the last one (a 1024^3
            // product lost 8% to it): ask for the block now, it is needed when the k loop ends
            if (q.k > KC)
              for (int r = 0; r < rows; r++) {
                __builtin_prefetch(ct + r * q.ldc, 1, 3);
                __builtin_prefetch(ct + r * q.ldc + 16, 1, 3);
              }
            if (copyA) colKernels[rows - 1](kc, ap + ir * kc, rows, bp + jr * kc, ct, q.ldc, nr, beta);
            else if (q.tA) colKernels[rows - 1](kc, q.a + pc * q.lda + i, q.lda, bp + jr * kc, ct, q.ldc, nr, beta);
            else rowKernels[rows - 1](kc, q.a + i * q.lda + pc, q.lda, bp + jr * kc, ct, q.ldc, nr, beta);
          }
        }
      }
    }
  }
}

struct Batch {
  Problem q;
  const double *aOff, *bOff, *cOff;
  int64_t parts;  // tasks per item: slices of one C
  bool splitRows;
};

Problem item(const Batch& w, int64_t t) {
  Problem q = w.q;
  q.a += static_cast<int64_t>(w.aOff[t]);
  q.b += static_cast<int64_t>(w.bOff[t]);
  q.c += static_cast<int64_t>(w.cOff[t]);
  return q;
}

void runTask(void* ctx, int64_t task) {
  const Batch& w = *static_cast<const Batch*>(ctx);
  const Problem q = item(w, task / w.parts);
  const int64_t part = task % w.parts;
  // slices on whole micro-kernel blocks
  const int64_t unit = w.splitRows ? MR : NR, extent = w.splitRows ? q.m : q.n;
  const int64_t blocks = (extent + unit - 1) / unit;
  const int64_t lo = std::min(extent, blocks * part / w.parts * unit);
  const int64_t hi = std::min(extent, blocks * (part + 1) / w.parts * unit);
  if (lo >= hi) return;
  if (w.splitRows) tile(q, lo, hi, 0, q.n);
  else tile(q, 0, q.m, lo, hi);
}

}  // namespace

const char* ownGemmKind() { return kKind; }

void ownGemm(int64_t batch, int64_t m, int64_t n, int64_t k, bool transA, bool transB,
             const float* a, const double* aOff, int64_t lda, const float* b, const double* bOff, int64_t ldb,
             float* c, const double* cOff, int64_t ldc, float beta, int threads, int64_t threadWork) {
  Batch w{{m, n, k, transA, transB, a, lda, b, ldb, c, ldc, beta}, aOff, bOff, cOff, 1, false};
  // every core from threadWork multiply-adds on, but no core with less than 2^18 of them
  // (on a many-core machine a small product would otherwise wake them all for nothing)
  const int64_t work = batch * m * n * k;
  threads = work < threadWork ? 1 : static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, work >> 18)));
  // items may accumulate into one C (a weight's gradient summed over a batch): those go one
  // after another, each split over the cores
  bool apart = true;
  for (int64_t t = 1; t < batch && apart; t++) apart = cOff[t] >= cOff[t - 1] + static_cast<double>((m - 1) * ldc + n);
  if (threads > 1 && (batch < threads || !apart)) {
    // one C split over the cores, along the side with more blocks
    const int64_t rowBlocks = (m + MR - 1) / MR, colBlocks = (n + NR - 1) / NR;
    w.splitRows = rowBlocks >= colBlocks;
    w.parts = std::min<int64_t>(threads, std::max(rowBlocks, colBlocks));
  }
  if (apart) return pool().run(threads, batch * w.parts, runTask, &w);
  for (int64_t t = 0; t < batch; t++) {
    w.aOff = aOff + t;
    w.bOff = bOff + t;
    w.cOff = cOff + t;
    pool().run(threads, w.parts, runTask, &w);
  }
}

}  // namespace chainlab
