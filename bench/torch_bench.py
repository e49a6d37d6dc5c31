"""PyTorch side of chainlab's benchmarks: the same fp32 matrix products, MLP step and baby
GPT step as bench/*.mjs, timed the same way (median of repetitions after warm-up).

    python3 bench/torch_bench.py --part matmul|mlp|gpt [--quick] [--threads 1,2]
    python3 bench/torch_bench.py --part time-to-loss --text moby-dick.txt [--steps 2000]

Prints one `RESULT {json}` line per measurement, like the JavaScript programs. PyTorch is
measured at its best: each intra-op thread count in --threads is tried (OpenBLAS keeps its
own threads either way) and each measurement keeps the fastest, naming it in "threads".
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_common import MATMUL_SHAPES, time_it

# the name results carry (--impl): "torch" for Debian's 1.13, "torch2" for PyPI's 2.x
IMPL = "torch"


_collected = None


def emit(result):
    if _collected is not None:
        _collected.append(result)
    else:
        print("RESULT " + json.dumps(result), flush=True)


def bench_matmul(quick):
    for name, b, m, k, n in MATMUL_SHAPES:
        a = torch.randn(b, m, k) if b > 1 else torch.randn(m, k)
        c = torch.randn(b, k, n) if b > 1 else torch.randn(k, n)
        with torch.no_grad():
            ms, reps = time_it(lambda: torch.matmul(a, c), min_ms=300 if quick else 1500)
        emit({"part": "matmul", "impl": IMPL, "shape": name, "ms": ms, "reps": reps,
              "gflops": 2 * b * m * k * n / ms / 1e6})


def bench_mlp(quick):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 65))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(256, 512)
    y = torch.randint(0, 65, (256,))
    out = {}

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        out["loss"] = loss.item()

    ms, reps = time_it(step, min_ms=500 if quick else 3000, warm=3)
    emit({"part": "mlp", "impl": IMPL, "ms": ms, "reps": reps, "loss": out["loss"]})


# A GPT in nanoGPT's shape, written for this benchmark: token and position embeddings,
# pre-norm blocks (causal self-attention, GELU MLP), final norm, output head tied to the
# token embedding.

class LayerNorm(nn.Module):
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class SelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block, bias):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.register_buffer("mask", torch.tril(torch.ones(block, block)).view(1, 1, block, block))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        heads = lambda t: t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block, bias):
        super().__init__()
        self.ln1 = LayerNorm(n_embd, bias)
        self.attn = SelfAttention(n_embd, n_head, block, bias)
        self.ln2 = LayerNorm(n_embd, bias)
        self.fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.out = nn.Linear(4 * n_embd, n_embd, bias=bias)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd, bias=False):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.blocks = nn.ModuleList([Block(n_embd, n_head, block, bias) for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd, bias)
        self.head = nn.Linear(n_embd, vocab, bias=False)
        self.head.weight = self.wte.weight
        for name, p in self.named_parameters():
            if name.endswith("out.weight") or name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for blk in self.blocks:
            x = blk(x)
        logits = self.head(self.ln_f(x))
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def bench_gpt(quick):
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    torch.manual_seed(0)
    model = GPT(vocab=65, block=64, n_layer=4, n_head=4, n_embd=128, bias=False)
    opt = make_adamw(model, 1e-3)
    idx = torch.randint(0, 65, (12, 64))
    targets = torch.randint(0, 65, (12, 64))
    out = {}

    def step():
        opt.zero_grad(set_to_none=True)
        _, loss = model(idx, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        out["loss"] = loss.item()

    ms, reps = time_it(step, min_ms=1000 if quick else 5000, warm=3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_params = sum(p.numel() for p in model.parameters()) - model.wpe.weight.numel()
    emit({"part": "gpt", "impl": IMPL, "ms": ms, "reps": reps, "loss": out["loss"],
          "peakRssMB": peak, "peakAboveBaselineMB": peak - baseline, "params": n_params})


def make_adamw(model, lr):
    params = list(model.parameters())
    return torch.optim.AdamW([
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ], lr=lr, betas=(0.9, 0.99))


def cosine_with_warmup(it, lr, min_lr, warmup, decay_iters):
    """nanoGPT's schedule, as chainlab's optim.lr.CosineWithWarmup computes it."""
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / max(decay_iters - warmup, 1)
    return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (lr - min_lr)


def bench_time_to_loss(quick, text_file, steps):
    """bench/time-to-loss.mjs's recipe and scoring, in PyTorch."""
    text = open(text_file, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    n_train = int(0.9 * len(ids))
    train_ids, val_ids = ids[:n_train], ids[n_train:]
    block, batch = 64, 12
    steps = steps or (200 if quick else 2000)
    torch.manual_seed(1337)
    model = GPT(vocab=len(vocab), block=block, n_layer=4, n_head=4, n_embd=128, bias=False)
    opt = make_adamw(model, 1e-3)
    train = 0.0
    start = time.perf_counter()
    for it in range(steps):
        for g in opt.param_groups:
            g["lr"] = cosine_with_warmup(it, 1e-3, 1e-4, 100, steps)
        ix = torch.randint(len(train_ids) - block, (batch,))
        x = torch.stack([train_ids[i:i + block] for i in ix])
        y = torch.stack([train_ids[i + 1:i + 1 + block] for i in ix])
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if it >= steps - 50:
            train += loss.item() / min(50, steps)
    ms = (time.perf_counter() - start) * 1e3
    model.eval()
    windows = (len(val_ids) - 1) // block
    total = 0.0
    with torch.no_grad():
        for w0 in range(0, windows, 64):
            n = min(64, windows - w0)
            x = val_ids[w0 * block:(w0 + n) * block].view(n, block)
            y = val_ids[w0 * block + 1:(w0 + n) * block + 1].view(n, block)
            total += model(x, y)[1].item() * n
    emit({"part": "time-to-loss", "impl": IMPL, "ms": ms, "steps": steps, "msPerStep": ms / steps,
          "trainLoss": train, "valLoss": total / windows})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", required=True, choices=["matmul", "mlp", "gpt", "time-to-loss"])
    ap.add_argument("--impl", default="torch", help="the name results carry: torch (Debian's 1.13) or torch2 (PyPI's 2.x)")
    ap.add_argument("--text", help="the corpus for time-to-loss (a UTF-8 text file)")
    ap.add_argument("--steps", type=int, default=0, help="training steps for time-to-loss (default 2000, 200 with --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", default="1,2", help="intra-op thread counts to try, comma-separated")
    a = ap.parse_args()
    global _collected, IMPL
    IMPL = a.impl
    best = {}
    tried = {}
    for n in sorted({int(t) for t in a.threads.split(",")}):
        torch.set_num_threads(n)
        _collected = []
        if a.part == "time-to-loss":
            bench_time_to_loss(a.quick, a.text, a.steps)
        else:
            {"matmul": bench_matmul, "mlp": bench_mlp, "gpt": bench_gpt}[a.part](a.quick)
        for r in _collected:
            key = (r["part"], r.get("shape"))
            tried.setdefault(key, {})[n] = r["ms"]
            if key not in best or r["ms"] < best[key]["ms"]:
                best[key] = dict(r, threads=n)
    _collected = None
    for key, r in best.items():
        r["threadsTried"] = {str(n): ms for n, ms in tried[key].items()}
        emit(r)


if __name__ == "__main__":
    main()
