"""JAX side of chainlab's benchmarks: the same fp32 matrix products, MLP step, baby-GPT step
and time-to-loss run as bench/*.mjs and bench/torch_bench.py, each step one jit-compiled
function (optax's AdamW and global-norm clipping inside it), timed the same way.

    python3 bench/jax_bench.py --part matmul|mlp|gpt [--quick] [--threads 1,2]
    python3 bench/jax_bench.py --part time-to-loss --text moby-dick.txt [--steps 2000]

Needs `jax` and `optax` (CPU wheels from PyPI: `pip install jax optax`). Prints one
`RESULT {json}` line per measurement. JAX is measured at its best: XLA's CPU thread pool is
set before JAX loads, so each thread count in --threads runs in a process of its own
(1: XLA_FLAGS with one intra-op thread; the core count: XLA's default), and each
measurement keeps the fastest, naming it in "threads".
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

from peer_common import MATMUL_SHAPES, time_it


def emit(result):
    print("RESULT " + json.dumps(result), flush=True)


def bench_matmul(jax, jnp, quick):
    mm = jax.jit(jnp.matmul)
    key = jax.random.PRNGKey(0)
    for name, b, m, k, n in MATMUL_SHAPES:
        ka, kb = jax.random.split(jax.random.fold_in(key, m * k * n))
        a = jax.random.normal(ka, (b, m, k) if b > 1 else (m, k), jnp.float32)
        c = jax.random.normal(kb, (b, k, n) if b > 1 else (k, n), jnp.float32)
        mm(a, c).block_until_ready()  # compiles for this shape
        ms, reps = time_it(lambda: mm(a, c).block_until_ready(), min_ms=300 if quick else 1500)
        emit({"part": "matmul", "impl": "jax", "shape": name, "ms": ms, "reps": reps,
              "gflops": 2 * b * m * k * n / ms / 1e6})


def bench_mlp(jax, jnp, optax, quick):
    key = jax.random.PRNGKey(0)
    k1, k2, k3, k4 = jax.random.split(key, 4)

    def linear(k, fan_in, fan_out):
        bound = 1 / math.sqrt(fan_in)
        kw, kb = jax.random.split(k)
        return {"w": jax.random.uniform(kw, (fan_in, fan_out), jnp.float32, -bound, bound),
                "b": jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound)}

    params = {"l1": linear(k1, 512, 256), "l2": linear(k2, 256, 65)}
    x = jax.random.normal(k3, (256, 512), jnp.float32)
    y = jax.random.randint(k4, (256,), 0, 65)
    opt = optax.adam(1e-3)

    def loss_fn(p):
        h = jax.nn.relu(x @ p["l1"]["w"] + p["l1"]["b"])
        logits = h @ p["l2"]["w"] + p["l2"]["b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    @jax.jit
    def step(p, s):
        loss, g = jax.value_and_grad(loss_fn)(p)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    state = {"p": params, "s": opt.init(params), "loss": None}

    def run():
        state["p"], state["s"], state["loss"] = step(state["p"], state["s"])
        state["loss"].block_until_ready()

    run()  # compiles
    ms, reps = time_it(run, min_ms=500 if quick else 3000, warm=3)
    emit({"part": "mlp", "impl": "jax", "ms": ms, "reps": reps, "loss": float(state["loss"])})


# The baby GPT of bench/torch_bench.py, as functions of a parameter tree: token and position
# embeddings, pre-norm blocks (causal self-attention, exact-GELU MLP), final norm, output
# head tied to the token embedding, no biases.

def gpt_init(jax, jnp, key, vocab, block, n_layer, n_embd):
    keys = iter(jax.random.split(key, 4 + 4 * n_layer))
    normal = lambda shape, std: std * jax.random.normal(next(keys), shape, jnp.float32)
    proj_std = 0.02 / math.sqrt(2 * n_layer)
    ones = lambda: jnp.ones((n_embd,), jnp.float32)
    return {
        "wte": normal((vocab, n_embd), 0.02),
        "wpe": normal((block, n_embd), 0.02),
        "blocks": [{
            "ln1": ones(), "qkv": normal((n_embd, 3 * n_embd), 0.02), "proj": normal((n_embd, n_embd), proj_std),
            "ln2": ones(), "fc": normal((n_embd, 4 * n_embd), 0.02), "out": normal((4 * n_embd, n_embd), proj_std),
        } for _ in range(n_layer)],
        "ln_f": ones(),
    }


def gpt_loss(jax, jnp, optax, p, idx, targets, n_head):
    def norm(x, w):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + 1e-5) * w

    B, T = idx.shape
    x = p["wte"][idx] + p["wpe"][:T]
    C = x.shape[-1]
    mask = jnp.tril(jnp.ones((T, T), bool))
    for blk in p["blocks"]:
        q, k, v = jnp.split(norm(x, blk["ln1"]) @ blk["qkv"], 3, axis=-1)
        heads = lambda t: t.reshape(B, T, n_head, C // n_head).transpose(0, 2, 1, 3)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(0, 1, 3, 2)) / math.sqrt(C // n_head)
        att = jax.nn.softmax(jnp.where(mask, att, -jnp.inf), axis=-1)
        x = x + (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C) @ blk["proj"]
        x = x + jax.nn.gelu(norm(x, blk["ln2"]) @ blk["fc"], approximate=False) @ blk["out"]
    logits = norm(x, p["ln_f"]) @ p["wte"].T
    return optax.softmax_cross_entropy_with_integer_labels(logits, targets).mean()


def gpt_trainer(jax, jnp, optax, vocab, block, lr):
    """Parameters, optimiser state and one jit-compiled training step for the baby GPT."""
    params = gpt_init(jax, jnp, jax.random.PRNGKey(0), vocab, block, n_layer=4, n_embd=128)
    decay = jax.tree_util.tree_map(lambda a: a.ndim >= 2, params)
    opt = optax.chain(optax.clip_by_global_norm(1.0),
                      optax.adamw(lr, b1=0.9, b2=0.99, eps=1e-8, weight_decay=0.1, mask=decay))
    loss_fn = lambda p, x, y: gpt_loss(jax, jnp, optax, p, x, y, n_head=4)

    def step(p, s, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, loss

    return params, opt.init(params), jax.jit(step, donate_argnums=(0, 1)), jax.jit(loss_fn)


def bench_gpt(jax, jnp, optax, quick):
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    params, opt_state, step, _ = gpt_trainer(jax, jnp, optax, 65, 64, 1e-3)
    k1, k2 = jax.random.split(jax.random.PRNGKey(1))
    idx = jax.random.randint(k1, (12, 64), 0, 65)
    targets = jax.random.randint(k2, (12, 64), 0, 65)
    state = {"p": params, "s": opt_state, "loss": None}

    def run():
        state["p"], state["s"], state["loss"] = step(state["p"], state["s"], idx, targets)
        state["loss"].block_until_ready()

    run()  # compiles
    ms, reps = time_it(run, min_ms=1000 if quick else 5000, warm=3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_params = sum(a.size for a in jax.tree_util.tree_leaves(state["p"])) - state["p"]["wpe"].size
    emit({"part": "gpt", "impl": "jax", "ms": ms, "reps": reps, "loss": float(state["loss"]),
          "peakRssMB": peak, "peakAboveBaselineMB": peak - baseline, "params": int(n_params)})


def bench_time_to_loss(jax, jnp, optax, quick, text_file, steps):
    """bench/time-to-loss.mjs's recipe and scoring in JAX; the compile is timed too."""
    import numpy as np
    text = open(text_file, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text], dtype=np.int32)
    n_train = int(0.9 * len(ids))
    train_ids, val_ids = ids[:n_train], ids[n_train:]
    block, batch = 64, 12
    steps = steps or (200 if quick else 2000)
    # nanoGPT's schedule as chainlab's optim.lr.CosineWithWarmup computes it
    warmup, peak, floor = 100, 1e-3, 1e-4
    def lr_at(it):
        it = jnp.asarray(it, jnp.float32)
        warm = peak * (it + 1) / (warmup + 1)
        ratio = jnp.clip((it - warmup) / max(steps - warmup, 1), 0.0, 1.0)
        return jnp.where(it < warmup, warm, floor + 0.5 * (1 + jnp.cos(jnp.pi * ratio)) * (peak - floor))
    params, opt_state, step, loss_fn = gpt_trainer(jax, jnp, optax, len(vocab), block, lr_at)
    rng = np.random.default_rng(1337)
    offsets = np.arange(block)
    train = 0.0
    start = time.perf_counter()
    for it in range(steps):
        ix = rng.integers(0, len(train_ids) - block, batch)
        x = train_ids[ix[:, None] + offsets]
        y = train_ids[ix[:, None] + offsets + 1]
        params, opt_state, loss = step(params, opt_state, x, y)
        if it >= steps - 50:
            train += float(loss) / min(50, steps)
    loss.block_until_ready()
    ms = (time.perf_counter() - start) * 1e3
    windows = (len(val_ids) - 1) // block
    total = 0.0
    for w0 in range(0, windows, 64):
        n = min(64, windows - w0)
        x = val_ids[w0 * block:(w0 + n) * block].reshape(n, block)
        y = val_ids[w0 * block + 1:(w0 + n) * block + 1].reshape(n, block)
        total += float(loss_fn(params, x, y)) * n
    emit({"part": "time-to-loss", "impl": "jax", "ms": ms, "steps": steps, "msPerStep": ms / steps,
          "trainLoss": train, "valLoss": total / windows})


def run_part(a):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    if a.part == "matmul":
        return bench_matmul(jax, jnp, a.quick)
    import optax
    if a.part == "mlp":
        return bench_mlp(jax, jnp, optax, a.quick)
    if a.part == "gpt":
        return bench_gpt(jax, jnp, optax, a.quick)
    return bench_time_to_loss(jax, jnp, optax, a.quick, a.text, a.steps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", required=True, choices=["matmul", "mlp", "gpt", "time-to-loss"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", default="", help="thread counts to try, comma-separated (default: 1 and the core count)")
    ap.add_argument("--text", help="the corpus for time-to-loss (a UTF-8 text file)")
    ap.add_argument("--steps", type=int, default=0, help="training steps for time-to-loss (default 2000, 200 with --quick)")
    ap.add_argument("--single", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.single:
        return run_part(a)
    cores = os.cpu_count() or 1
    counts = sorted({int(t) for t in a.threads.split(",") if t} or {1, cores})
    best, tried = {}, {}
    for n in counts:
        env = dict(os.environ)
        if n < cores:
            env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                                f" --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={n}").strip()
        args = ["--part", a.part, *(["--quick"] if a.quick else []), *(["--text", a.text] if a.text else []),
                *(["--steps", str(a.steps)] if a.steps else [])]
        r = subprocess.run([sys.executable, __file__, *args, "--single", str(n)], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr[-2000:])
            sys.exit(r.returncode)
        for line in r.stdout.splitlines():
            if not line.startswith("RESULT "):
                continue
            res = json.loads(line[7:])
            key = (res["part"], res.get("shape"))
            tried.setdefault(key, {})[n] = res["ms"]
            if key not in best or res["ms"] < best[key]["ms"]:
                best[key] = dict(res, threads=n)
    for key, res in best.items():
        res["threadsTried"] = {str(n): ms for n, ms in tried[key].items()}
        emit(res)


if __name__ == "__main__":
    main()
