"""What the Python peers' benchmarks share with each other and with bench/*.mjs: the matrix
shapes, and timing as the JavaScript side does it (the median of repetitions after warm-up;
a call longer than slow_ms is measured once)."""
import time

MATMUL_SHAPES = [
    ("128^3", 1, 128, 128, 128),
    ("256^3", 1, 256, 256, 256),
    ("512^3", 1, 512, 512, 512),
    ("1024^3", 1, 1024, 1024, 1024),
    ("768x128 @ 128x384 (qkv)", 1, 768, 128, 384),
    ("768x128 @ 128x512 (mlp up)", 1, 768, 128, 512),
    ("768x512 @ 512x128 (mlp down)", 1, 768, 512, 128),
    ("768x128 @ 128x65 (lm head)", 1, 768, 128, 65),
    ("48 x 64x32 @ 32x64 (attention)", 48, 64, 32, 64),
]


def time_it(fn, min_ms=1500.0, min_reps=5, warm=2, warm_ms=500.0, slow_ms=3000.0):
    t = time.perf_counter()
    fn()
    first = (time.perf_counter() - t) * 1e3
    if first > slow_ms:
        return first, 1
    # warm up: `warm` calls, and for at least warm_ms (allocators, caches and JITs settle)
    calls = 1
    while calls < warm or (time.perf_counter() - t) * 1e3 < warm_ms:
        fn()
        calls += 1
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start) * 1e3 < min_ms:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
        if len(times) >= 2000:
            break
    times.sort()
    return times[len(times) // 2], len(times)
