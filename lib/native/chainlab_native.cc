// Native kernels for chainlab: chainlab's own GEMM or OpenBLAS's for matrix products, and
// plain loops the compiler vectorises for everything else. Every function works in place on
// the caller's typed arrays, so nothing is copied between JavaScript and C++.
//
// Arguments are checked by the TypeScript wrapper (lib/src/backend/blas.ts); this file
// trusts them, which keeps each call down to a few hundred nanoseconds of overhead.
#include <napi.h>
#include <v8.h>
#if defined(CHAINLAB_OPENBLAS)
#include <cblas.h>
#endif

#include "gemm.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------
// Reading arguments

template <class T>
T* ptrOf(const Napi::Value& v) {
  return v.As<Napi::TypedArrayOf<T>>().Data();
}
inline int64_t i64(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline double f64(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline bool isInt32(const Napi::Value& v) {
  return v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
}

// Element pointer of any typed array (its byte offset applied)
void* rawData(const Napi::Value& v) {
  napi_typedarray_type type;
  size_t length;
  void* data = nullptr;
  napi_value ab;
  size_t byteOffset;
  napi_get_typedarray_info(v.Env(), v, &type, &length, &data, &ab, &byteOffset);
  return data;
}

inline float bitsToFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

#define ALWAYS_INLINE inline __attribute__((always_inline))

// ---------------------------------------------------------------------------------------
// Branch-free float math, written so that loops calling it vectorise (libm's scalar calls
// would not). Accuracy is a few ulp, which the tests hold against the float64 reference.

ALWAYS_INLINE float expF(float x) {
  float xc = std::min(std::max(x, -104.0f), 88.7228f);
  float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  // Cody-Waite: ln2 split in two so r = x - n*ln2 keeps its low bits
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * (r * r) + r + 1.0f;
  // 2^n in two halves so that subnormal results and n = 128 stay representable
  int32_t ni = static_cast<int32_t>(n);
  int32_t n1 = ni >> 1, n2 = ni - n1;
  y = y * bitsToFloat(static_cast<uint32_t>(n1 + 127) << 23) * bitsToFloat(static_cast<uint32_t>(n2 + 127) << 23);
  y = x > 88.7228f ? std::numeric_limits<float>::infinity() : y;
  return x != x ? x : y;
}

ALWAYS_INLINE float sigmoidF(float x) {
  float e = expF(-std::fabs(x));
  float r = 1.0f / (1.0f + e);
  return x >= 0.0f ? r : (x != x ? x : e * r);
}

ALWAYS_INLINE float tanhF(float x) {
  float ax = std::fabs(x);
  float e = expF(-2.0f * ax);
  float t = std::copysign((1.0f - e) / (1.0f + e), x);
  // near zero 1 - e cancels; the odd Taylor series is exact to float there
  float x2 = x * x;
  float s = x + x * x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f));
  return ax < 0.125f ? s : t;
}

constexpr float kSqrt2OverPi = 0.7978845608028654f;

// 0.5*(1 + tanh(u)) == sigmoid(2u): no cancellation for large negative x
ALWAYS_INLINE float geluF(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  return x * sigmoidF(2.0f * u);
}

ALWAYS_INLINE float geluGradF(float x) {
  float u = kSqrt2OverPi * (x + 0.044715f * x * x * x);
  float s = sigmoidF(2.0f * u);
  // past |x| = 10, s (1 - s) is below 1e-30; capping x^2 there keeps du finite (else 0 * inf)
  float du = kSqrt2OverPi * (1.0f + 3.0f * 0.044715f * std::min(x * x, 100.0f));
  return s + 2.0f * x * s * (1.0f - s) * du;
}

// ERFC_POLY of backend/js.ts: erfc(a) = t exp(P(t) - a^2), t = 1/(1 + a/2), a >= 0
ALWAYS_INLINE float erfcPolyF(float t) {
  float p = -1.8936745484e-01f;
  p = p * t + 1.0502335178e+00f;
  p = p * t + -2.3462723810e+00f;
  p = p * t + 2.5901291768e+00f;
  p = p * t + -1.3866666524e+00f;
  p = p * t + 4.2285965011e-01f;
  p = p * t + -2.6409587792e-01f;
  p = p * t + -6.8137704179e-02f;
  p = p * t + 8.1756791965e-02f;
  p = p * t + 3.7507448477e-01f;
  p = p * t + 9.9999855303e-01f;
  return p * t + -1.2655121185e+00f;
}

// Φ(x) from the tail Φ(-|x|) = erfc(|x|/√2)/2, so both tails keep their relative accuracy
ALWAYS_INLINE float normalCdfF(float x, float a2, float a) {
  float t = 1.0f / (1.0f + 0.5f * a);
  float tail = 0.5f * t * expF(erfcPolyF(t) - a2);
  return x >= 0.0f ? 1.0f - tail : tail;
}

// the exact GELU x Φ(x)
ALWAYS_INLINE float geluErfF(float x) {
  float a = std::fabs(x) * 0.7071067811865476f;
  return x * normalCdfF(x, a * a, a);
}

// Φ(x) + x φ(x), φ(x) = exp(-x^2/2)/√(2π)
ALWAYS_INLINE float geluErfGradF(float x) {
  float a = std::fabs(x) * 0.7071067811865476f;
  float a2 = a * a;
  return normalCdfF(x, a2, a) + x * 0.3989422804014327f * expF(-a2);
}

// ---------------------------------------------------------------------------------------
// Unary: op codes match UNARY_OPS in blas.ts

// flatten: the op's lambda must be inlined into the loop, or the loop does not vectorise
// (GCC gave up inlining the longer GELU derivatives, which then ran 10x slower)
#define FLATTEN __attribute__((flatten))

template <class F>
FLATTEN void mapLoop(const float* __restrict x, float* __restrict out, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}
// x may alias out (in-place ops), so a second, non-restrict loop serves that case
template <class F>
FLATTEN void mapLoopAlias(const float* x, float* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; i++) out[i] = f(x[i]);
}

template <class F>
void mapAny(const float* x, float* out, int64_t n, F f) {
  bool overlap = !(x + n <= out || out + n <= x);
  if (overlap) mapLoopAlias(x, out, n, f);
  else mapLoop(x, out, n, f);
}

void unaryKernel(int op, const float* x, float* out, int64_t n) {
  switch (op) {
    case 0: mapAny(x, out, n, [](float v) { return -v; }); break;
    case 1: mapAny(x, out, n, [](float v) { return expF(v); }); break;
    case 2: mapAny(x, out, n, [](float v) { return std::log(v); }); break;
    case 3: mapAny(x, out, n, [](float v) { return std::sqrt(v); }); break;
    case 4: mapAny(x, out, n, [](float v) { return static_cast<float>(std::sin(static_cast<double>(v))); }); break;
    case 5: mapAny(x, out, n, [](float v) { return static_cast<float>(std::cos(static_cast<double>(v))); }); break;
    case 6: mapAny(x, out, n, [](float v) { return tanhF(v); }); break;
    case 7: mapAny(x, out, n, [](float v) { return sigmoidF(v); }); break;
    case 8: mapAny(x, out, n, [](float v) { return v > 0.0f ? v : 0.0f; }); break;
    case 9: mapAny(x, out, n, [](float v) { return geluErfF(v); }); break;
    case 14: mapAny(x, out, n, [](float v) { return geluF(v); }); break;
    case 10: mapAny(x, out, n, [](float v) { return std::fabs(v); }); break;
    case 11: mapAny(x, out, n, [](float v) { return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f); }); break;
    case 12: mapAny(x, out, n, [](float v) { return v * v; }); break;
    case 13: mapAny(x, out, n, [](float v) { return 1.0f / v; }); break;
  }
}

// Elementwise ops that cost tens of cycles an element (exp, tanh, GELU, ...) run on every
// core from this many elements on; cheap ones are memory-bound and would gain nothing
constexpr int64_t kParallelElements = 1 << 15;
// cores that these kernels and GEMM use (Init sets every core, configure() may lower it)
int maxThreads = 2;

// f(i0, i1) over [0, n) (elements, or rows of a row-wise kernel), split over the cores
// when the work holds `elements` elements enough; for kernels that spend tens of cycles an
// element (exponentials and the like)
template <class F>
void parallelRange(int64_t n, int64_t elements, F f) {
  if (elements < kParallelElements || maxThreads < 2 || n < 2) return f(0, n);
  struct Ctx { F* f; int64_t n, parts; } c{&f, n, maxThreads};
  chainlab::parallelFor(maxThreads, c.parts, [](void* p, int64_t t) {
    const Ctx& c = *static_cast<const Ctx*>(p);
    const int64_t lo = c.n * t / c.parts, hi = c.n * (t + 1) / c.parts;
    if (hi > lo) (*c.f)(lo, hi);
  }, &c);
}

bool costlyUnary(int op) { return op == 1 || op == 2 || (op >= 4 && op <= 7) || op == 9 || op == 14; }

Napi::Value Unary(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(i64(info[0]));
  const float* x = ptrOf<float>(info[1]);
  float* out = ptrOf<float>(info[2]);
  int64_t n = i64(info[3]);
  // in place (x == out) splits as well: each part reads and writes only its own slice
  if (costlyUnary(op) && (x == out || x + n <= out || out + n <= x)) {
    parallelRange(n, n, [&](int64_t lo, int64_t hi) { unaryKernel(op, x + lo, out + lo, hi - lo); });
  } else {
    unaryKernel(op, x, out, n);
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Strided iteration. Dimensions are first simplified: size-1 dimensions dropped and
// neighbours merged where every operand steps through them as one, so most broadcasts
// end up as one or two long inner loops.

constexpr int kMaxDims = 16;

struct Layout {
  int nd = 0;
  int64_t shape[kMaxDims];
  int64_t stride[3][kMaxDims];  // operands; stride[.][d] in elements
};

// `raw` is [nd, shape..., strides of operand 0..., strides of operand 1..., ...]
Layout simplify(const double* raw, int operands) {
  int nd = static_cast<int>(raw[0]);
  Layout L;
  for (int d = 0; d < nd; d++) {
    int64_t s = static_cast<int64_t>(raw[1 + d]);
    if (s == 1) continue;
    int k = L.nd;
    if (k > 0) {
      bool merge = true;
      for (int o = 0; o < operands; o++) {
        int64_t st = static_cast<int64_t>(raw[1 + nd * (o + 1) + d]);
        if (L.stride[o][k - 1] != st * s) { merge = false; break; }
      }
      if (merge) {
        L.shape[k - 1] *= s;
        for (int o = 0; o < operands; o++) L.stride[o][k - 1] = static_cast<int64_t>(raw[1 + nd * (o + 1) + d]);
        continue;
      }
    }
    L.shape[k] = s;
    for (int o = 0; o < operands; o++) L.stride[o][k] = static_cast<int64_t>(raw[1 + nd * (o + 1) + d]);
    L.nd++;
  }
  if (L.nd == 0) {
    L.nd = 1;
    L.shape[0] = 1;
    for (int o = 0; o < operands; o++) L.stride[o][0] = 0;
  }
  return L;
}

// Calls inner(ia, ib, i, n, sa, sb) for each run along the last dimension.
template <class Inner>
void walk(const Layout& L, int64_t offA, int64_t offB, Inner inner) {
  int last = L.nd - 1;
  int64_t n = L.shape[last];
  int64_t total = 1;
  for (int d = 0; d < L.nd; d++) total *= L.shape[d];
  int64_t idx[kMaxDims] = {0};
  int64_t ia = offA, ib = offB;
  for (int64_t i = 0; i < total; i += n) {
    inner(ia, ib, i, n, L.stride[0][last], L.stride[1][last]);
    for (int d = last - 1; d >= 0; d--) {
      idx[d]++;
      ia += L.stride[0][d];
      ib += L.stride[1][d];
      if (idx[d] < L.shape[d]) break;
      ia -= L.stride[0][d] * L.shape[d];
      ib -= L.stride[1][d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

template <class F>
FLATTEN void binaryRun(F f, const float* a, const float* b, float* out, int64_t n, int64_t sa, int64_t sb) {
  // the common patterns get loops of their own so they vectorise
  if (sa == 1 && sb == 1) {
    for (int64_t j = 0; j < n; j++) out[j] = f(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    float bv = b[0];
    for (int64_t j = 0; j < n; j++) out[j] = f(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    float av = a[0];
    for (int64_t j = 0; j < n; j++) out[j] = f(av, b[j]);
  } else {
    for (int64_t j = 0; j < n; j++) out[j] = f(a[j * sa], b[j * sb]);
  }
}

template <class F>
void binaryWith(F f, const Layout& L, const float* a, int64_t offA, const float* b, int64_t offB, float* out) {
  walk(L, offA, offB, [&](int64_t ia, int64_t ib, int64_t i, int64_t n, int64_t sa, int64_t sb) {
    binaryRun(f, a + ia, b + ib, out + i, n, sa, sb);
  });
}

// JavaScript's Math.pow: NaN exponents and (+-1)^(+-inf) give NaN where C's pow gives 1
ALWAYS_INLINE float powJs(float x, float y) {
  if (y != y || (std::isinf(y) && std::fabs(x) == 1.0f)) return std::numeric_limits<float>::quiet_NaN();
  return static_cast<float>(std::pow(static_cast<double>(x), static_cast<double>(y)));
}

inline float b01(bool c) { return c ? 1.0f : 0.0f; }

void binaryKernel(int op, const Layout& L, const float* a, int64_t oa, const float* b, int64_t ob, float* out) {
  switch (op) {
    case 0: binaryWith([](float x, float y) { return x + y; }, L, a, oa, b, ob, out); break;
    case 1: binaryWith([](float x, float y) { return x - y; }, L, a, oa, b, ob, out); break;
    case 2: binaryWith([](float x, float y) { return x * y; }, L, a, oa, b, ob, out); break;
    case 3: binaryWith([](float x, float y) { return x / y; }, L, a, oa, b, ob, out); break;
    case 4: binaryWith([](float x, float y) { return powJs(x, y); }, L, a, oa, b, ob, out); break;
    case 5: binaryWith([](float x, float y) { return (x != x || y != y) ? x + y : (x >= y ? x : y); }, L, a, oa, b, ob, out); break;
    case 6: binaryWith([](float x, float y) { return (x != x || y != y) ? x + y : (x <= y ? x : y); }, L, a, oa, b, ob, out); break;
    case 7: binaryWith([](float x, float y) { return b01(x == y); }, L, a, oa, b, ob, out); break;
    case 8: binaryWith([](float x, float y) { return b01(x != y); }, L, a, oa, b, ob, out); break;
    case 9: binaryWith([](float x, float y) { return b01(x < y); }, L, a, oa, b, ob, out); break;
    case 10: binaryWith([](float x, float y) { return b01(x <= y); }, L, a, oa, b, ob, out); break;
    case 11: binaryWith([](float x, float y) { return b01(x > y); }, L, a, oa, b, ob, out); break;
    case 12: binaryWith([](float x, float y) { return b01(x >= y); }, L, a, oa, b, ob, out); break;
    case 13: binaryWith([](float x, float g) { return x > 0.0f ? g : 0.0f; }, L, a, oa, b, ob, out); break;
    case 14: binaryWith([](float x, float g) { return g * geluErfGradF(x); }, L, a, oa, b, ob, out); break;
    case 15: binaryWith([](float x, float g) { return g * geluGradF(x); }, L, a, oa, b, ob, out); break;
  }
}

bool costlyBinary(int op) { return op == 4 || op == 14 || op == 15; }

// binary(op, layout, a, offA, b, offB, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(i64(info[0]));
  Layout L = simplify(ptrOf<double>(info[1]), 2);
  const float *a = ptrOf<float>(info[2]), *b = ptrOf<float>(info[4]);
  int64_t oa = i64(info[3]), ob = i64(info[5]);
  float* out = ptrOf<float>(info[6]);
  if (costlyBinary(op) && L.nd == 1) {
    // one run of elements (any strides): its parts are independent
    parallelRange(L.shape[0], L.shape[0], [&](int64_t lo, int64_t hi) {
      Layout part = L;
      part.shape[0] = hi - lo;
      binaryKernel(op, part, a, oa + lo * L.stride[0][0], b, ob + lo * L.stride[1][0], out + lo);
    });
  } else {
    binaryKernel(op, L, a, oa, b, ob, out);
  }
  return info.Env().Undefined();
}

// copy(layout, src, offset, out): 4-byte elements copied as bits, so float32 and int32 alike
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Layout L = simplify(ptrOf<double>(info[0]), 1);
  const uint32_t* src = static_cast<const uint32_t*>(rawData(info[1]));
  uint32_t* out = static_cast<uint32_t*>(rawData(info[3]));
  for (int d = 0; d < L.nd; d++) L.stride[1][d] = 0;
  walk(L, i64(info[2]), 0, [&](int64_t ia, int64_t, int64_t i, int64_t n, int64_t sa, int64_t) {
    if (sa == 1) std::memcpy(out + i, src + ia, static_cast<size_t>(n) * 4);
    else for (int64_t j = 0; j < n; j++) out[i + j] = src[ia + j * sa];
  });
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Reductions over the middle axis of [outer, size, inner]. Sums accumulate in double, as
// the reference does.

template <class T>
void reduceKernel(int op, const float* x, int64_t outer, int64_t size, int64_t inner, T* out) {
  std::vector<double> acc;
  std::vector<float> best;
  for (int64_t o = 0; o < outer; o++) {
    const float* base = x + o * size * inner;
    T* dst = out + o * inner;
    if (op == 0) {  // sum
      if (inner == 1) {
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 8 <= size; k += 8)
          for (int u = 0; u < 8; u++) s[u] += base[k + u];
        double t = 0;
        for (; k < size; k++) t += base[k];
        dst[0] = static_cast<T>(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + t);
      } else {
        acc.assign(static_cast<size_t>(inner), 0.0);
        double* a = acc.data();
        for (int64_t k = 0; k < size; k++) {
          const float* row = base + k * inner;
          for (int64_t i = 0; i < inner; i++) a[i] += row[i];
        }
        for (int64_t i = 0; i < inner; i++) dst[i] = static_cast<T>(a[i]);
      }
    } else if (op == 1 || op == 2) {  // max, min: NaN wins, as in the reference
      bool isMax = op == 1;
      best.assign(base, base + inner);
      float* b = best.data();
      for (int64_t k = 1; k < size; k++) {
        const float* row = base + k * inner;
        if (isMax) for (int64_t i = 0; i < inner; i++) { float v = row[i]; b[i] = (v > b[i] || v != v) ? v : b[i]; }
        else for (int64_t i = 0; i < inner; i++) { float v = row[i]; b[i] = (v < b[i] || v != v) ? v : b[i]; }
      }
      for (int64_t i = 0; i < inner; i++) dst[i] = static_cast<T>(b[i]);
    } else {  // argmax, argmin: first index of the extreme, NaN never chosen
      bool isMax = op == 3;
      best.assign(base, base + inner);
      acc.assign(static_cast<size_t>(inner), 0.0);
      float* b = best.data();
      double* a = acc.data();
      for (int64_t k = 1; k < size; k++) {
        const float* row = base + k * inner;
        for (int64_t i = 0; i < inner; i++) {
          float v = row[i];
          bool better = isMax ? v > b[i] : v < b[i];
          if (better) { b[i] = v; a[i] = static_cast<double>(k); }
        }
      }
      for (int64_t i = 0; i < inner; i++) dst[i] = static_cast<T>(a[i]);
    }
  }
}

// reduce(op, x, outer, size, inner, out)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  int op = static_cast<int>(i64(info[0]));
  const float* x = ptrOf<float>(info[1]);
  int64_t outer = i64(info[2]), size = i64(info[3]), inner = i64(info[4]);
  if (isInt32(info[5])) reduceKernel<int32_t>(op, x, outer, size, inner, ptrOf<int32_t>(info[5]));
  else reduceKernel<float>(op, x, outer, size, inner, ptrOf<float>(info[5]));
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Softmax, its backward, layer norm, Adam

// Sixteen independent double accumulators, which the compiler keeps in two vector
// registers: as exact as the reference's double sums, and not one serial chain of adds
constexpr int kLanes = 16;

template <class F>
ALWAYS_INLINE double sumLanes(int64_t n, F term) {
  double s[kLanes] = {0};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int u = 0; u < kLanes; u++) s[u] += term(j + u);
  double t = 0;
  for (; j < n; j++) t += term(j);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int u = 0; u < w; u++) s[u] += s[u + w];
  return s[0] + t;
}

double sumDouble(const float* x, int64_t n) {
  return sumLanes(n, [x](int64_t j) { return static_cast<double>(x[j]); });
}

// The largest element, NaN ignored (as `x > m ? x : m` does), in vector lanes
float maxFloat(const float* x, int64_t n) {
  float m[kLanes];
  for (int u = 0; u < kLanes; u++) m[u] = -std::numeric_limits<float>::infinity();
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int u = 0; u < kLanes; u++) m[u] = x[j + u] > m[u] ? x[j + u] : m[u];
  float best = -std::numeric_limits<float>::infinity();
  for (; j < n; j++) best = x[j] > best ? x[j] : best;
  for (int u = 0; u < kLanes; u++) best = m[u] > best ? m[u] : best;
  return best;
}

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const float* x = ptrOf<float>(info[0]);
  int64_t rows = i64(info[1]), cols = i64(info[2]);
  float* out = ptrOf<float>(info[3]);
  bool log = info[4].As<Napi::Boolean>().Value();
  parallelRange(rows, rows * cols, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* xr = x + r * cols;
      float* yr = out + r * cols;
      float mx = maxFloat(xr, cols);
      if (mx == -std::numeric_limits<float>::infinity()) mx = 0.0f;
      // exponentials first (a loop that vectorises), then their sum in double
      for (int64_t j = 0; j < cols; j++) yr[j] = expF(xr[j] - mx);
      double sum = sumDouble(yr, cols);
      if (log) {
        float lse = static_cast<float>(std::log(sum));
        for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] - mx - lse;
      } else {
        float inv = static_cast<float>(1.0 / sum);
        for (int64_t j = 0; j < cols; j++) yr[j] *= inv;
      }
    }
  });
  return info.Env().Undefined();
}

Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const float* y = ptrOf<float>(info[0]);
  const float* g = ptrOf<float>(info[1]);
  int64_t rows = i64(info[2]), cols = i64(info[3]);
  float* out = ptrOf<float>(info[4]);
  bool log = info[5].As<Napi::Boolean>().Value();
  parallelRange(rows, rows * cols, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* yr = y + r * cols;
      const float* gr = g + r * cols;
      float* o = out + r * cols;
      double s = 0;
      if (log) {
        s = sumDouble(gr, cols);
        float sf = static_cast<float>(s);
        for (int64_t j = 0; j < cols; j++) o[j] = gr[j] - expF(yr[j]) * sf;
      } else {
        s = sumLanes(cols, [gr, yr](int64_t j) { return static_cast<double>(gr[j]) * yr[j]; });
        float sf = static_cast<float>(s);
        for (int64_t j = 0; j < cols; j++) o[j] = yr[j] * (gr[j] - sf);
      }
    }
  });
  return info.Env().Undefined();
}

// causalSoftmax(x, blocks, T, scale, out): row t of each T x T block sees entries 0..t
Napi::Value CausalSoftmax(const Napi::CallbackInfo& info) {
  const float* x = ptrOf<float>(info[0]);
  int64_t blocks = i64(info[1]), T = i64(info[2]);
  float scale = static_cast<float>(f64(info[3]));
  float* out = ptrOf<float>(info[4]);
  parallelRange(blocks * T, blocks * T * T / 2, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t n = r % T + 1;
      const float* xr = x + r * T;
      float* yr = out + r * T;
      for (int64_t j = 0; j < n; j++) yr[j] = xr[j] * scale;
      float mx = maxFloat(yr, n);
      if (mx == -std::numeric_limits<float>::infinity()) mx = 0.0f;
      for (int64_t j = 0; j < n; j++) yr[j] = expF(yr[j] - mx);
      float inv = static_cast<float>(1.0 / sumDouble(yr, n));
      for (int64_t j = 0; j < n; j++) yr[j] *= inv;
      std::memset(yr + n, 0, static_cast<size_t>(T - n) * 4);
    }
  });
  return info.Env().Undefined();
}

// causalSoftmaxBackward(y, g, blocks, T, scale, out)
Napi::Value CausalSoftmaxBackward(const Napi::CallbackInfo& info) {
  const float* y = ptrOf<float>(info[0]);
  const float* g = ptrOf<float>(info[1]);
  int64_t blocks = i64(info[2]), T = i64(info[3]);
  float scale = static_cast<float>(f64(info[4]));
  float* out = ptrOf<float>(info[5]);
  parallelRange(blocks * T, blocks * T * T / 2, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      int64_t n = r % T + 1;
      const float* yr = y + r * T;
      const float* gr = g + r * T;
      float* o = out + r * T;
      float s = static_cast<float>(sumLanes(n, [gr, yr](int64_t j) { return static_cast<double>(gr[j]) * yr[j]; }));
      for (int64_t j = 0; j < n; j++) o[j] = scale * yr[j] * (gr[j] - s);
      std::memset(o + n, 0, static_cast<size_t>(T - n) * 4);
    }
  });
  return info.Env().Undefined();
}

Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const float* x = ptrOf<float>(info[0]);
  int64_t rows = i64(info[1]), cols = i64(info[2]);
  double eps = f64(info[3]);
  float* out = ptrOf<float>(info[4]);
  float* mean = ptrOf<float>(info[5]);
  float* rstd = ptrOf<float>(info[6]);
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    double mu = sumDouble(xr, cols) / static_cast<double>(cols);
    double v = sumLanes(cols, [xr, mu](int64_t j) { double d = xr[j] - mu; return d * d; });
    double rs = 1.0 / std::sqrt(v / static_cast<double>(cols) + eps);
    float muf = static_cast<float>(mu), rsf = static_cast<float>(rs);
    float* o = out + r * cols;
    for (int64_t j = 0; j < cols; j++) o[j] = (xr[j] - muf) * rsf;
    mean[r] = muf;
    rstd[r] = rsf;
  }
  return info.Env().Undefined();
}

// layerNormBackward(g, xhat, weight | null, rstd, rows, cols, dx, dweight | null, dbias | null)
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  const float* g = ptrOf<float>(info[0]);
  const float* xhat = ptrOf<float>(info[1]);
  const float* w = info[2].IsNull() ? nullptr : ptrOf<float>(info[2]);
  const float* rstd = ptrOf<float>(info[3]);
  int64_t rows = i64(info[4]), cols = i64(info[5]);
  float* dx = ptrOf<float>(info[6]);
  float* dw = info[7].IsNull() ? nullptr : ptrOf<float>(info[7]);
  float* db = info[8].IsNull() ? nullptr : ptrOf<float>(info[8]);
  // column sums in double, as the reference's reductions
  std::vector<double> accW(dw ? cols : 0, 0.0), accB(db ? cols : 0, 0.0);
  std::vector<float> gh(static_cast<size_t>(cols));
  float inv = 1.0f / static_cast<float>(cols);
  for (int64_t r = 0; r < rows; r++) {
    const float* gr = g + r * cols;
    const float* xr = xhat + r * cols;
    float* o = dx + r * cols;
    float* h = gh.data();
    if (w) for (int64_t j = 0; j < cols; j++) h[j] = gr[j] * w[j];
    else std::memcpy(h, gr, static_cast<size_t>(cols) * 4);
    double sg = sumDouble(h, cols);
    double sgx = sumLanes(cols, [h, xr](int64_t j) { return static_cast<double>(h[j]) * xr[j]; });
    float mg = static_cast<float>(sg) * inv, mgx = static_cast<float>(sgx) * inv, rs = rstd[r];
    for (int64_t j = 0; j < cols; j++) o[j] = rs * (h[j] - mg - xr[j] * mgx);
    if (dw) for (int64_t j = 0; j < cols; j++) accW[j] += static_cast<double>(gr[j]) * xr[j];
    if (db) for (int64_t j = 0; j < cols; j++) accB[j] += gr[j];
  }
  if (dw) for (int64_t j = 0; j < cols; j++) dw[j] += static_cast<float>(accW[j]);
  if (db) for (int64_t j = 0; j < cols; j++) db[j] += static_cast<float>(accB[j]);
  return info.Env().Undefined();
}

// adam(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, decoupledDecay, bc1, bc2)
Napi::Value Adam(const Napi::CallbackInfo& info) {
  float* __restrict p = ptrOf<float>(info[0]);
  const float* __restrict g = ptrOf<float>(info[1]);
  float* __restrict m = ptrOf<float>(info[2]);
  float* __restrict v = ptrOf<float>(info[3]);
  int64_t n = i64(info[4]);
  float lr = static_cast<float>(f64(info[5]));
  float b1 = static_cast<float>(f64(info[6])), b2 = static_cast<float>(f64(info[7]));
  float eps = static_cast<float>(f64(info[8]));
  float wd = static_cast<float>(f64(info[9]));
  float dd = static_cast<float>(f64(info[10]));
  double bc1 = f64(info[11]), bc2 = f64(info[12]);
  float stepSize = static_cast<float>(f64(info[5]) / bc1);
  float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  float decay = lr * dd;
  for (int64_t i = 0; i < n; i++) {
    float pi = p[i];
    float gi = g[i] + wd * pi;
    pi -= decay * pi;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + eps);
  }
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// Storage for tensors. A training step makes tens of MB of arrays that die a step later;
// JavaScript cannot know when, only the garbage collector can. Arrays made here have a
// backing store whose deleter V8 calls when it frees them (at the collection that finds
// them dead, from whichever thread sweeps), and the deleter keeps the memory for the next
// array of that size: reused while still mapped and recently written, instead of going
// back to the C library, which hands large blocks back to the kernel and makes the next
// array fault in every page again. The most recently freed block goes out first.

struct ArrayPool {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;
  size_t freeBytes = 0;
  double made = 0, reused = 0, madeBytes = 0, reusedBytes = 0, returned = 0;
};

// Never destroyed: V8 may free arrays while the process exits
ArrayPool& arrayPool() {
  static ArrayPool* pool = new ArrayPool();
  return *pool;
}

// Free blocks kept at most; beyond, a dead array's memory goes back to the C library
size_t poolMaxBytes = size_t(256) << 20;

void releaseArray(void* data, size_t bytes, void*) {
  ArrayPool& p = arrayPool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.returned++;
    if (p.freeBytes + bytes <= poolMaxBytes) {
      p.free[bytes].push_back(data);
      p.freeBytes += bytes;
      return;
    }
  }
  std::free(data);
}

// Local<T> and napi_value are both a pointer to a V8 handle slot (Node's own N-API
// implementation converts between them the same way)
napi_value toNapi(v8::Local<v8::Value> v) {
  napi_value out;
  static_assert(sizeof(out) == sizeof(v), "a V8 handle is one pointer");
  std::memcpy(static_cast<void*>(&out), static_cast<void*>(&v), sizeof(v));
  return out;
}

// alloc(bytes, zeroed) -> ArrayBuffer of that many bytes, 64-byte aligned
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  size_t bytes = static_cast<size_t>(i64(info[0]));
  bool zeroed = info[1].As<Napi::Boolean>().Value();
  if (bytes == 0) return Napi::ArrayBuffer::New(info.Env(), 0);
  void* data = nullptr;
  ArrayPool& p = arrayPool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto it = p.free.find(bytes);
    if (it != p.free.end() && !it->second.empty()) {
      data = it->second.back();
      it->second.pop_back();
      p.freeBytes -= bytes;
      p.reused++;
      p.reusedBytes += static_cast<double>(bytes);
    } else {
      p.made++;
      p.madeBytes += static_cast<double>(bytes);
    }
  }
  if (!data) {
    data = std::aligned_alloc(64, (bytes + 63) & ~size_t(63));
    if (!data) {
      Napi::Error::New(info.Env(), "chainlab: out of memory allocating " + std::to_string(bytes) + " bytes").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
  }
  if (zeroed) std::memset(data, 0, bytes);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  // V8 collects the young generation once its arrays hold twice the semi-space (32 MB),
  // which frees the arrays of a loop that made them and dropped them (and is cheap); but
  // it checks only when it allocates a backing store itself. A one-byte one lets it check.
  v8::ArrayBuffer::NewBackingStore(isolate, 1);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(data, bytes, releaseArray, nullptr);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, std::move(store));
  return Napi::Value(info.Env(), toNapi(buffer));
}

// Give every free block back (emptyCache), and the C library's free memory to the system
Napi::Value Trim(const Napi::CallbackInfo& info) {
  std::vector<void*> blocks;
  {
    ArrayPool& p = arrayPool();
    std::lock_guard<std::mutex> lock(p.mu);
    for (auto& kv : p.free) blocks.insert(blocks.end(), kv.second.begin(), kv.second.end());
    p.free.clear();
    p.freeBytes = 0;
  }
  for (void* b : blocks) std::free(b);
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return info.Env().Undefined();
}

Napi::Value PoolStats(const Napi::CallbackInfo& info) {
  ArrayPool& p = arrayPool();
  std::lock_guard<std::mutex> lock(p.mu);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("made", p.made);
  o.Set("madeBytes", p.madeBytes);
  o.Set("reused", p.reused);
  o.Set("reusedBytes", p.reusedBytes);
  o.Set("returned", p.returned);
  o.Set("freeBytes", static_cast<double>(p.freeBytes));
  return o;
}

// Weak references that can be tested at any moment: the collection that frees an object
// clears its reference there and then (a FinalizationRegistry's callbacks, and a WeakRef
// made or read in the current task, wait until the loop yields). The storage pool checks
// with them whether every tensor viewing an array is gone. One table per environment, as
// worker threads have their own.
struct WeakTable {
  std::vector<napi_ref> refs;
  std::vector<uint32_t> unused;
};

WeakTable& weakTable(Napi::Env env) {
  WeakTable* t = env.GetInstanceData<WeakTable>();
  if (!t) {
    t = new WeakTable();
    env.SetInstanceData(t);
  }
  return *t;
}

// weak(object) -> id
Napi::Value Weak(const Napi::CallbackInfo& info) {
  WeakTable& t = weakTable(info.Env());
  napi_ref ref;
  napi_create_reference(info.Env(), info[0], 0, &ref);
  uint32_t id;
  if (!t.unused.empty()) {
    id = t.unused.back();
    t.unused.pop_back();
    t.refs[id] = ref;
  } else {
    id = static_cast<uint32_t>(t.refs.size());
    t.refs.push_back(ref);
  }
  return Napi::Number::New(info.Env(), id);
}

// alive(id) -> whether the object is still there
Napi::Value Alive(const Napi::CallbackInfo& info) {
  WeakTable& t = weakTable(info.Env());
  napi_value v = nullptr;
  napi_get_reference_value(info.Env(), t.refs[static_cast<size_t>(i64(info[0]))], &v);
  return Napi::Boolean::New(info.Env(), v != nullptr);
}

// release(id): the id may be handed out again
Napi::Value Release(const Napi::CallbackInfo& info) {
  WeakTable& t = weakTable(info.Env());
  uint32_t id = static_cast<uint32_t>(i64(info[0]));
  napi_delete_reference(info.Env(), t.refs[id]);
  t.refs[id] = nullptr;
  t.unused.push_back(id);
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------
// GEMM through chainlab's own kernel (gemm.cc) or OpenBLAS. The own kernel runs by default
// where it is the AVX-512 one, or where the addon is built without OpenBLAS; for OpenBLAS,
// transposes and leading dimensions go as arguments, and an operand is packed only when its
// layout is one BLAS cannot express (a broadcast row, leading dimension 0), which the tensor
// code produces rarely.

int64_t threadWork = int64_t(160) * 160 * 160;
bool adaptive = false;
bool useOwnGemm = true;

#if defined(CHAINLAB_OPENBLAS)
constexpr bool kOpenblas = true;
int currentThreads = -1;

void setThreads(int t) {
  if (t != currentThreads) {
    openblas_set_num_threads(t);
    currentThreads = t;
  }
}

// From threadWork multiply-adds on, GEMM runs on maxThreads cores, as PyTorch's does. With
// `adaptive`, whether more cores pay off is measured instead: they do on an idle machine,
// and do not when other processes hold the other cores (the threads then wait for each
// other); on an idle machine the measuring itself costs about a tenth of a GPT step, so it
// is off by default. Per size class (a power of two of m n k),
// the time per multiply-add on one core and on maxThreads is kept as a moving average;
// a call takes the faster, and every 64 calls of a class a run of 4 tries the other, so the
// choice follows the machine's load. Only calls on the thread count of the call before are
// timed: the first call after a switch wakes (or leaves idle) BLAS's worker threads and
// would make the other side look slower than it is.
struct ThreadChoice {
  double nsPerMac[2] = {0, 0};  // 0: one core, 1: maxThreads
  int samples[2] = {0, 0};
  uint32_t calls = 0;
};
ThreadChoice threadChoices[64];

int chooseSide(int64_t work) {
  ThreadChoice& c = threadChoices[63 - __builtin_clzll(static_cast<uint64_t>(work))];
  uint32_t n = c.calls++;
  if (c.samples[0] < 3 || c.samples[1] < 3) return static_cast<int>((n / 4) & 1);
  int best = c.nsPerMac[1] < c.nsPerMac[0] ? 1 : 0;
  return n % 64 < 4 ? 1 - best : best;
}

void recordSide(int64_t work, int side, double nsPerMac) {
  ThreadChoice& c = threadChoices[63 - __builtin_clzll(static_cast<uint64_t>(work))];
  c.nsPerMac[side] = c.samples[side] == 0 ? nsPerMac : 0.8 * c.nsPerMac[side] + 0.2 * nsPerMac;
  c.samples[side]++;
}

// op(X) is rows x cols; returns a pointer and leading dimension valid for BLAS
const float* prepare(bool trans, int64_t rows, int64_t cols, const float* p, int64_t& ld, std::vector<float>& tmp) {
  int64_t need = std::max<int64_t>(1, trans ? rows : cols);
  int64_t used = trans ? cols : rows;  // how many times ld is stepped over
  if (ld >= need) return p;
  if (used <= 1) { ld = need; return p; }
  tmp.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++)
      tmp[r * cols + c] = trans ? p[c * ld + r] : p[r * ld + c];
  ld = std::max<int64_t>(1, cols);
  return nullptr;  // caller uses tmp, untransposed
}

// C[t] = op(A[t]) op(B[t]) + beta C[t] through OpenBLAS; C's leading dimension >= n, or m == 1
void openblasGemm(int64_t batch, int64_t m, int64_t n, int64_t k, bool tA, bool tB, const float* a, const double* aOff,
                  int64_t lda0, const float* b, const double* bOff, int64_t ldb0, float* c, const double* cOff,
                  int64_t ldc, float beta) {
  int64_t work = m * n * k;
  int side = work >= threadWork && maxThreads > 1 ? (adaptive ? chooseSide(work) : 1) : -1;
  bool warm = (side == 1 ? maxThreads : 1) == currentThreads;
  setThreads(side == 1 ? maxThreads : 1);
  auto start = std::chrono::steady_clock::now();
  std::vector<float> ta, tb;
  for (int64_t t = 0; t < batch; t++) {
    int64_t lda = lda0, ldb = ldb0;
    const float* at = prepare(tA, m, k, a + static_cast<int64_t>(aOff[t]), lda, ta);
    bool ta2 = tA;
    if (!at) { at = ta.data(); ta2 = false; }
    const float* bt = prepare(tB, k, n, b + static_cast<int64_t>(bOff[t]), ldb, tb);
    bool tb2 = tB;
    if (!bt) { bt = tb.data(); tb2 = false; }
    cblas_sgemm(CblasRowMajor, ta2 ? CblasTrans : CblasNoTrans, tb2 ? CblasTrans : CblasNoTrans,
                static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f, at, static_cast<int>(lda),
                bt, static_cast<int>(ldb), beta, c + static_cast<int64_t>(cOff[t]), static_cast<int>(std::max<int64_t>(ldc, n)));
  }
  if (adaptive && side >= 0 && warm) {
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    recordSide(work, side, ns / static_cast<double>(batch * work));
  }
}
#else
constexpr bool kOpenblas = false;
#endif

void gemmInto(int64_t batch, int64_t m, int64_t n, int64_t k, bool tA, bool tB, const float* a, const double* aOff,
              int64_t lda, const float* b, const double* bOff, int64_t ldb, float* c, const double* cOff,
              int64_t ldc, float beta) {
#if defined(CHAINLAB_OPENBLAS)
  if (!useOwnGemm) return openblasGemm(batch, m, n, k, tA, tB, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta);
#endif
  chainlab::ownGemm(batch, m, n, k, tA, tB, a, aOff, lda, b, bOff, ldb, c, cOff, std::max(ldc, n), beta, maxThreads,
                    threadWork);
}

// gemm(batch, m, n, k, transA, transB, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  int64_t batch = i64(info[0]), m = i64(info[1]), n = i64(info[2]), k = i64(info[3]);
  bool tA = info[4].As<Napi::Boolean>().Value(), tB = info[5].As<Napi::Boolean>().Value();
  const float* a = ptrOf<float>(info[6]);
  const double* aOff = ptrOf<double>(info[7]);
  int64_t lda = i64(info[8]);
  const float* b = ptrOf<float>(info[9]);
  const double* bOff = ptrOf<double>(info[10]);
  int64_t ldb = i64(info[11]);
  float* c = ptrOf<float>(info[12]);
  const double* cOff = ptrOf<double>(info[13]);
  int64_t ldc = i64(info[14]);
  float beta = static_cast<float>(f64(info[15]));
  if (m == 0 || n == 0) return info.Env().Undefined();
  if (k == 0) {
    for (int64_t t = 0; t < batch; t++) {
      float* ct = c + static_cast<int64_t>(cOff[t]);
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) ct[i * ldc + j] = beta == 0.0f ? 0.0f : beta * ct[i * ldc + j];
    }
  } else if (ldc >= n || m == 1) {
    gemmInto(batch, m, n, k, tA, tB, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta);
  } else {
    // rows of C overlap: each product apart, then added in order as the reference does
    std::vector<float> tc(static_cast<size_t>(m * n));
    const double zero = 0;
    for (int64_t t = 0; t < batch; t++) {
      gemmInto(1, m, n, k, tA, tB, a, aOff + t, lda, b, bOff + t, ldb, tc.data(), &zero, n, 0.0f);
      float* ct = c + static_cast<int64_t>(cOff[t]);
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) ct[i * ldc + j] = tc[i * n + j] + (beta == 0.0f ? 0.0f : beta * ct[i * ldc + j]);
    }
  }
  return info.Env().Undefined();
}

// configure({threadWork, maxThreads}) tunes when GEMM runs on more than one core
Napi::Value Configure(const Napi::CallbackInfo& info) {
  threadWork = i64(info[0]);
  maxThreads = static_cast<int>(i64(info[1]));
  adaptive = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
#if defined(CHAINLAB_OPENBLAS)
  currentThreads = -1;
  for (ThreadChoice& c : threadChoices) c = ThreadChoice();
#endif
  return info.Env().Undefined();
}

// useGemm("chainlab" | "openblas"): which GEMM runs (chainlab's only where OpenBLAS is not built in)
Napi::Value UseGemm(const Napi::CallbackInfo& info) {
  useOwnGemm = !kOpenblas || info[0].As<Napi::String>().Utf8Value() == "chainlab";
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gemm", useOwnGemm ? std::string("chainlab-") + chainlab::ownGemmKind() : std::string("openblas"));
  o.Set("openblas", kOpenblas);
#if defined(CHAINLAB_OPENBLAS)
  o.Set("cores", openblas_get_num_procs());
  o.Set("config", openblas_get_config());
#else
  o.Set("cores", static_cast<double>(std::max(1u, std::thread::hardware_concurrency())));
  o.Set("config", "");
#endif
  o.Set("threadWork", static_cast<double>(threadWork));
  o.Set("maxThreads", maxThreads);
  o.Set("adaptive", adaptive);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#if defined(CHAINLAB_OPENBLAS)
  maxThreads = std::max(1, std::min(openblas_get_num_procs(), 64));
  const char* gemm = std::getenv("CHAINLAB_GEMM");
  useOwnGemm = std::string(chainlab::ownGemmKind()) == "avx512" && !(gemm && std::string(gemm) == "openblas");
#else
  maxThreads = static_cast<int>(std::max(1u, std::min(std::thread::hardware_concurrency(), 64u)));
#endif
#if defined(__GLIBC__)
  // Everything else the process frees stays mapped too, up to 256 MB free at the top of the
  // heap: glibc's defaults unmap any freed block from 128 KB up (then raise that threshold
  // only as far as 32 MB) and trim the heap past 128 KB free, so each new array of a
  // training step faulted its pages in again (half the time of a 768x128x384 GEMM).
  // Blocks from 64 MB up are still mapped apart and given back when freed. This keeps the
  // resident size near its peak rather than raising the peak; emptyCache() gives it back.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("layerNormBackward", Napi::Function::New(env, LayerNormBackward));
  exports.Set("causalSoftmax", Napi::Function::New(env, CausalSoftmax));
  exports.Set("causalSoftmaxBackward", Napi::Function::New(env, CausalSoftmaxBackward));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("configure", Napi::Function::New(env, Configure));
  exports.Set("useGemm", Napi::Function::New(env, UseGemm));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("trim", Napi::Function::New(env, Trim));
  exports.Set("poolStats", Napi::Function::New(env, PoolStats));
  exports.Set("weak", Napi::Function::New(env, Weak));
  exports.Set("alive", Napi::Function::New(env, Alive));
  exports.Set("release", Napi::Function::New(env, Release));
  exports.Set("info", Napi::Function::New(env, Info));
  return exports;
}

}  // namespace

NODE_API_MODULE(chainlab_native, Init)
