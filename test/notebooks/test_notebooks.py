"""Every tutorial notebook, run end to end on the chainlab kernel, and its key results.

Each notebook runs once per test run (08 before 09 and 11, which load 08's checkpoint); the
tests then read its outputs: no errors, the rich displays it is meant to draw, and the
numbers it is meant to reach. Set CHAINLAB_NOTEBOOK_OUT=<dir> to keep the executed copies.
"""
import json
import math
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))
CELL_TIMEOUT = int(os.environ.get("CHAINLAB_CELL_TIMEOUT", "900"))

TENSOR = "application/vnd.chainlab.tensor+json"
GRAPH = "application/vnd.chainlab.graph+json"
CURVES = "application/vnd.chainlab.curves+json"
GRADFLOW = "application/vnd.chainlab.gradflow+json"

_executed: dict = {}


class Run:
    def __init__(self, nb, seconds):
        self.nb = nb
        self.seconds = seconds
        self.code = [c for c in nb.cells if c.cell_type == "code"]
        self.outputs = [o for c in self.code for o in c.outputs]

    @property
    def text(self) -> str:
        """stdout, and the text/plain of every rich output, in order."""
        parts = []
        for o in self.outputs:
            if o.output_type == "stream" and o.name == "stdout":
                parts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                parts.append(str(o.data.get("text/plain", "")) + "\n")
        return "".join(parts)

    def mime_types(self) -> set:
        return {k for o in self.outputs if "data" in o for k in o.data}

    def bundles(self, mime: str) -> list:
        return [o.data[mime] for o in self.outputs if "data" in o and mime in o.data]

    def number(self, pattern: str) -> float:
        m = re.search(pattern, self.text)
        assert m, f"no match for {pattern!r} in the notebook's output:\n{self.text[-3000:]}"
        return float(m.group(1))


def execute(name: str) -> Run:
    if name not in _executed:
        nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            timeout=CELL_TIMEOUT,
            allow_errors=True,  # so that every error is reported below, with its cell
            resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        )
        started = time.monotonic()
        client.execute()
        run = Run(nb, time.monotonic() - started)
        out = os.environ.get("CHAINLAB_NOTEBOOK_OUT")
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, Path(out) / name)
        print(f"{name}: {run.seconds:.1f} s")
        _executed[name] = run
    return _executed[name]


# ---- every notebook -------------------------------------------------------------------


def test_the_series_is_there():
    assert NOTEBOOKS == [
        "01-chain-rule.ipynb",
        "02-autodiff-from-scratch.ipynb",
        "03-tensors-and-broadcasting.ipynb",
        "04-regression-and-optimisers.ipynb",
        "05-deep-networks.ipynb",
        "06-digits-cnn.ipynb",
        "07-tokenisation.ipynb",
        "08-pretraining-a-gpt.ipynb",
        "09-fine-tuning.ipynb",
        "10-scaling-laws.ipynb",
        "11-shipping-the-model.ipynb",
        "12-gpt2.ipynb",
    ]
    tested = {name[len("test_"):len("test_") + 2] for name in globals() if re.match(r"test_\d\d_", name)}
    tested |= {p.name[len("test_"):len("test_") + 2] for p in Path(__file__).parent.glob("test_[0-9][0-9]_*.py")}
    assert tested == {n[:2] for n in NOTEBOOKS}, "every notebook has a test of its results"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_stored_well(name):
    """On the chainlab kernel, with cell ids (nbformat 4.5). Stored either clean or with the
    outputs of a run (`npm run notebooks`): then small enough for GitHub to show, free of
    errors, and numbered in order. The tests below execute a fresh copy either way."""
    path = NOTEBOOK_DIR / name
    assert path.stat().st_size < 3_000_000, f"{name} is {path.stat().st_size / 1e6:.1f} MB"
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert (raw["nbformat"], raw["nbformat_minor"]) >= (4, 5)
    assert raw["metadata"]["kernelspec"] == {
        "name": "chainlab",
        "display_name": "chainlab (TypeScript)",
        "language": "typescript",
    }
    ids = [c.get("id") for c in raw["cells"]]
    assert all(ids) and len(set(ids)) == len(ids)
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    for cell in code:
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert not errors, f"cell {cell['id']} is stored with an error: {errors[0].get('ename')}"
    counts = [c["execution_count"] for c in code if c["execution_count"] is not None]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), f"cells stored out of order: {counts}"
    nbformat.validate(nbformat.reads(json.dumps(raw), as_version=4))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_without_errors(name):
    run = execute(name)
    errors = [
        (c.id, o.ename, o.evalue)
        for c in run.code
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, f"{name} raised errors: {errors}"
    # every code cell ran, in order
    assert [c.execution_count for c in run.code] == list(range(1, len(run.code) + 1))


# ---- what each notebook must show -----------------------------------------------------


def test_01_chain_rule():
    run = execute("01-chain-rule.ipynb")
    assert {TENSOR, GRAPH} <= run.mime_types()
    # every graph is drawn before its backward(), so the step-through has the pass recorded
    graphs = run.bundles(GRAPH)
    assert len(graphs) >= 2 and all(g["stepsAvailable"] and g["order"] for g in graphs)
    assert "dy/dx = 28" in run.text
    assert "ok: true" in run.text  # gradcheck


def test_02_autodiff_from_scratch():
    run = execute("02-autodiff-from-scratch.ipynb")
    assert CURVES in run.mime_types()
    assert "dy/dx = 40" in run.text
    assert run.number(r"final loss: ([\d.]+)") < 0.05
    assert "all four right: true" in run.text
    assert run.number(r"max \|ours - library\| over 17 gradients = ([\d.e+-]+)") < 1e-5
    assert "library gradcheck ok: true" in run.text
    assert run.number(r"our engine against central differences: max error ([\d.e+-]+)") < 1e-6
    assert run.number(r"max gradient difference ([\d.e+-]+)") < 1e-3
    assert run.number(r"speed-up: (\d+)x") > 50


def test_03_tensors_and_broadcasting():
    run = execute("03-tensors-and-broadcasting.ipynb")
    assert {TENSOR, GRAPH} <= run.mime_types()
    graphs = run.bundles(GRAPH)
    assert graphs and all(g["stepsAvailable"] and g["order"] for g in graphs)
    assert "same storage: true" in run.text
    assert "cannot be broadcast" in run.text
    assert run.number(r"max \|library - ours\| = ([\d.e+-]+)") < 1e-5
    assert run.number(r"max diff to G B\^T: ([\d.e+-]+)") < 1e-4
    assert run.number(r"max diff to A\^T G: ([\d.e+-]+)") < 1e-4
    assert "ok: true" in run.text


def test_04_regression_and_optimisers():
    run = execute("04-regression-and-optimisers.ipynb")
    assert {TENSOR, CURVES} <= run.mime_types()
    assert abs(run.number(r"autograd: w ([\d.-]+)") - 3.0) < 0.1
    assert run.number(r"autograd: w [\d.-]+\s+b ([\d.-]+)") == run.number(r"by hand:  w [\d.-]+\s+b ([\d.-]+)")
    assert run.number(r"formula vs autograd, max diff ([\d.e+-]+)") < 1e-5
    assert 0.8 < run.number(r"logistic regression accuracy on the moons: ([\d.]+)") < 0.95  # a line cannot separate moons
    gd = run.number(r"gradient descent loss after \d+ steps: ([\d.e+-]+)")
    mom = run.number(r"momentum\s+loss after \d+ steps: ([\d.e+-]+)")
    adam = run.number(r"Adam\s+loss after \d+ steps: ([\d.e+-]+)")
    assert mom < gd / 3 and adam < gd / 3, (gd, mom, adam)
    assert "(diverged: true)" in run.text
    assert run.number(r"lr 0.011: loss [\d.]+ -> ([\d.e+-]+)") > 1e6
    small_end = run.number(r"lr 1e-4:  loss [\d.]+ -> ([\d.]+)")
    assert small_end > 10 * run.number(r"lr 0.009: loss [\d.]+ -> ([\d.]+)")
    assert run.number(r"near-zero weights \(\|w\| < 0.01\) of 20: L1 (\d+)") >= 15
    assert run.number(r"near-zero weights \(\|w\| < 0.01\) of 20: L1 \d+, L2 (\d+)") <= 3
    curves = [o.data[CURVES] for o in run.outputs if "data" in o and CURVES in o.data]
    assert any(len(c["series"]) == 3 for c in curves), "the optimiser race should draw three series on one chart"
    weights = [o for o in run.code[-1].outputs if o.output_type == "execute_result"]
    assert weights and weights[0].data[TENSOR]["shape"] == [3, 20]


def test_05_deep_networks():
    run = execute("05-deep-networks.ipynb")
    assert {CURVES, GRADFLOW} <= run.mime_types()
    flows = [o.data[GRADFLOW] for o in run.outputs if "data" in o and GRADFLOW in o.data]
    assert len(flows) >= 3 and all(len(f["layers"]) == 11 for f in flows[:3])
    ratio = {k: run.number(k + r"\s*: first/last layer mean \|grad\| at step 0 = ([\d.e+-]+)") for k in ("sigmoid", "relu", "residual")}
    acc = {k: run.number(k + r"\s*: first/last .* training accuracy ([\d.]+)") for k in ratio}
    assert ratio["sigmoid"] < 1e-3 < ratio["relu"] and ratio["residual"] > 1e-3, ratio
    assert acc["sigmoid"] < 0.5 and acc["relu"] > 0.8 and acc["residual"] > 0.9, acc
    assert "without clipping: loss after 100 steps NaN" in run.text
    assert run.number(r"clipped at 1.0:\s+loss after 100 steps ([\d.]+)") < run.number(r"loss at the start ([\d.]+)") / 5
    rows = dict(re.findall(r"^(plain|dropout 0.5|weight decay 0.1)\s+\|(.*)$", run.text, re.M))
    assert set(rows) == {"plain", "dropout 0.5", "weight decay 0.1"}, rows
    cols = {k: [float(c.split()[0]) for c in v.split("|")] for k, v in rows.items()}
    train, final, lowest, early = 0, 1, 2, 4
    assert cols["plain"][train] < 0.01 and cols["plain"][final] > 3 * cols["plain"][lowest]  # it overfits
    assert cols["dropout 0.5"][final] < cols["plain"][final] and cols["weight decay 0.1"][final] < cols["plain"][final]
    assert all(c[early] > 0.85 for c in cols.values()), cols


def test_06_digits_cnn():
    run = execute("06-digits-cnn.ipynb")
    assert {TENSOR, CURVES, GRADFLOW} <= run.mime_types()
    assert run.number(r"test accuracy: ([\d.]+)") > 0.9
    confusion = [o for o in run.outputs if "data" in o and TENSOR in o.data and o.data[TENSOR]["shape"] == [10, 10]]
    assert confusion, "no confusion matrix drawn"
    per_class = re.findall(r"^\s+(\d) \|\s+([\d.]+) \|\s+([\d.]+) \| ([\d.]+)$", run.text, re.M)
    assert [int(r[0]) for r in per_class] == list(range(10)), per_class
    for _, p, r, f in per_class:
        p, r, f = float(p), float(r), float(f)
        assert abs(f - (2 * p * r / (p + r) if p + r else 0)) < 2e-3  # F1 is the harmonic mean
    mean_f1 = run.number(r"mean of the ten F1s ([\d.]+)")
    assert abs(mean_f1 - run.number(r"macro F1: ([\d.]+)")) < 1e-3
    if os.environ.get("CHAINLAB_QUICK") != "1":
        assert run.number(r"test accuracy: ([\d.]+)") >= 0.96


def test_07_tokenisation():
    run = execute("07-tokenisation.ipynb")
    assert CURVES in run.mime_types()
    text = run.text
    # UTF-8: 1 to 4 bytes a character, .length counts UTF-16 units
    assert re.search(r"^U\+1F40B\s+4\s+2\s+11110000 10011111 10010000 10001011", text, re.M)
    # the notebook's BPE and the library's learn the same merges and tokens
    m = re.search(r"merges agreement: (\d+) of the first (\d+) merges are the same", text)
    assert m and int(m.group(1)) == int(m.group(2)) == 256, m and m.groups()
    assert re.search(r"same tokens on \d+ held-out characters: true", text)
    assert "decode(encode(text)) gives the text back: true" in text
    assert re.search(r"the first 256 merges of the \d+ are the 512's: true", text)
    # compression grows with the vocabulary, by less each time
    rows = [(int(v), float(c)) for v, c in re.findall(r"^vocab\s+(\d+): ([\d.]+) characters per token held out", text, re.M)]
    sizes = [v for v, _ in rows]
    assert sizes[:4] == [256, 320, 384, 512] and sizes[-1] >= 1024, sizes
    cpt = dict(rows)
    assert 0.98 < cpt[256] < 1.0  # a few characters of the book take several bytes
    assert 1.9 < cpt[512] < 2.4 and cpt[1024] > 2.5, cpt
    assert all(b[1] > a[1] for a, b in zip(rows, rows[1:])), rows
    assert cpt[384] - cpt[256] > cpt[1024] - cpt[512], "each doubling of the vocabulary should buy less"
    gpt2 = run.number(r"GPT-2 \(vocab 50257, learnt on web text\): ([\d.]+) characters per token")
    assert cpt[max(cpt)] < gpt2 < 5, gpt2
    # GPT-2's splits: a leading space makes another token, numbers split by the merges, other scripts cost more
    assert re.search(r'^" whale"\s+ids \[22206\]', text, re.M)
    assert re.search(r'^"whale"\s+ids \[1929,1000\]', text, re.M)
    assert re.search(r"^12345\s+2 tokens: ␣123\|45$", text, re.M)
    per_char = {k: run.number(k + r"\s+\d+ characters, ([\d.]+) tokens per character") for k in ("English", "Chinese", "emoji")}
    assert per_char["English"] < 0.35 and per_char["Chinese"] > 2 and per_char["emoji"] >= 2, per_char
    # the two models: counted characters match, compute per step within 20%
    for name in ("characters", "BPE 512   "):
        m = re.search(re.escape(name) + r": vocabulary \d+, \d+ tokens for the (\d+) evaluation characters \([\d.]+ per token; counted from the tokens: (\d+)\)", text)
        assert m and m.group(1) == m.group(2), (name, m and m.groups())
    assert 1.0 <= run.number(r"compute per step, BPE / characters: ([\d.]+)") < 1.2
    untrained_char = run.number(r"characters: \d+ parameters, [\d.]+ GFLOPs a training step, untrained ([\d.]+) bits")
    untrained_bpe = run.number(r"BPE 512   : \d+ parameters, [\d.]+ GFLOPs a training step, untrained ([\d.]+) bits")
    assert abs(untrained_char - math.log2(89)) < 0.2 and abs(untrained_bpe - 9 / cpt[512]) < 0.3, (untrained_char, untrained_bpe)
    # bits per character: the conversion, and both models learnt
    for name in ("characters", "BPE 512   "):
        m = re.search(re.escape(name) + r": ([\d.]+) nats per token / ([\d.]+) characters per token / ln 2 = ([\d.]+) bits per character", text)
        assert m, name
        nats, chars, bits = map(float, m.groups())
        assert abs(nats / chars / math.log(2) - bits) < 2e-3, m.groups()
    m = re.search(r"bits per character on \d+ held-out characters: characters ([\d.]+), BPE 512 ([\d.]+)", text)
    assert m, text[-2000:]
    char_bpc, bpe_bpc = map(float, m.groups())
    quick = os.environ.get("CHAINLAB_QUICK") == "1"
    assert char_bpc < (4.5 if quick else 3.0) and bpe_bpc < (4.1 if quick else 2.7), (char_bpc, bpe_bpc)
    assert bpe_bpc < char_bpc, "at equal compute the BPE model should describe the held-out text in fewer bits"
    read = {k: run.number(re.escape(k) + r"\s*: \d+ steps, \d+ ms a step, ([\d.]+) million characters of text read") for k in ("characters", "BPE 512")}
    assert 1.8 < read["BPE 512"] / read["characters"] < 2.4, read  # the same steps read about twice the text
    charts = {c["title"]: c for c in run.bundles(CURVES)}
    race = charts["The same GPT reading characters and BPE tokens"]
    assert {(s.get("run"), s.get("split")) for s in race["series"]} == {(r, s) for r in ("characters", "BPE 512") for s in ("train", "val")}
    assert race["yLabel"] == "bits per character"
    # measurements, not batches: both drawn as points, unsmoothed
    assert [(s["name"], s["split"]) for s in charts["Compression of Moby Dick by BPE"]["series"]] == [("training text", "val"), ("held-out text", "val")]
    assert charts["Compression of Moby Dick by BPE"]["logX"] is True and charts["Compression of Moby Dick by BPE"]["controls"] is False


def test_08_pretraining_a_gpt():
    run = execute("08-pretraining-a-gpt.ipynb")
    assert {TENSOR, CURVES, GRADFLOW} <= run.mime_types()
    vocab = run.number(r"vocabulary: (\d+) characters")
    start = run.number(r"loss: ([\d.]+) \(ln V")
    val = run.number(r"-> train [\d.]+, val ([\d.]+)")
    assert abs(start - math.log(vocab)) < 0.3, "an untrained model should score about ln V"
    quick = os.environ.get("CHAINLAB_QUICK") == "1"
    assert val < (2.8 if quick else 2.3), f"validation loss {val} after pretraining"
    assert "reloaded model gives the same loss: true" in run.text
    assert (NOTEBOOK_DIR / "checkpoints" / "gpt-moby.safetensors").exists()


def test_09_fine_tuning():
    run = execute("09-fine-tuning.ipynb")
    assert {TENSOR, CURVES, GRADFLOW} <= run.mime_types()
    assert "loaded checkpoints/gpt-moby.safetensors" in run.text, "09 should start from 08's checkpoint"
    quick = os.environ.get("CHAINLAB_QUICK") == "1"
    # domain-adaptive pretraining lowers the loss on held-out e-mail
    m = re.search(r"next-character loss on validation e-mail: ([\d.]+) -> ([\d.]+); on Moby Dick: ([\d.]+) -> ([\d.]+)", run.text)
    assert m, run.text[-3000:]
    mail_before, mail_after, book_before, book_after = map(float, m.groups())
    assert mail_after < mail_before - (0.3 if quick else 0.4), m.group(0)
    # before adapting, the loss on Moby Dick is the checkpoint's: what notebook 08 reached (quick or full)
    val08 = execute("08-pretraining-a-gpt.ipynb").number(r"-> train [\d.]+, val ([\d.]+)")
    assert abs(book_before - val08) < 0.15 and book_after > book_before, (m.group(0), val08)
    m = re.search(r"LoRA trainable in the GPT: (\d+) = (\d+) layers x r\(in \+ out\) = \d+ x (\d+) x \((\d+) \+ (\d+)\) = (\d+): true", run.text)
    assert m, run.text[-3000:]
    trainable, layers, r, d_in, d_out, formula = map(int, m.groups())
    assert trainable == formula == layers * r * (d_in + d_out)
    methods = ("n-gram baseline", "full", "LoRA", "from scratch")
    # the learning curve as a table: a mean ± sd per method and label count
    m = re.search(r"^labels\s+\|(.*)\n-+\n((?:.*\|.*\n)+)", run.text, re.M)
    assert m, run.text[-3000:]
    sizes = [int(c) for c in m.group(1).split("|")]
    assert sizes == ([20, 100] if quick else [20, 50, 100, 200, 400]), sizes
    curve = {}
    for line in m.group(2).strip().split("\n"):
        name, *cells = [c.strip() for c in line.split("|")]
        curve[name] = [tuple(float(v) for v in c.split("±")) for c in cells]
    assert set(curve) == set(methods), curve
    for name, cells in curve.items():
        assert len(cells) == len(sizes), name
        for i, c in enumerate(cells):
            assert 0.4 <= c[0] <= 1 and (len(c) == 1 or 0 <= c[1] < 0.3), (name, sizes[i], c)
            assert len(c) == 2 or sizes[i] > 200, (name, sizes[i], "several seeds up to 200 labels")
    assert curve["n-gram baseline"][-1][0] > 0.8, curve
    if not quick:
        assert curve["full"][-1][0] > 0.8 and curve["LoRA"][-1][0] > 0.75, curve
    # the printed gaps are the table's, and the targets' verdicts follow from them
    gaps = [float(g) for g in re.findall(r"(?<=: )([+-][\d.]+)", re.search(r"^full fine-tuning minus from scratch, points: (.*)$", run.text, re.M).group(1))]
    assert len(gaps) == len(sizes)
    for g, f, s in zip(gaps, curve["full"], curve["from scratch"]):
        assert abs(g - 100 * (f[0] - s[0])) < 0.15, (g, f, s)
    every = re.search(r"ahead of from scratch at every size: (true|false); by 10 points or more at every size up to 200: (true|false)", run.text)
    assert every and every.group(1) == str(all(g > 0 for g in gaps)).lower()
    assert every.group(2) == str(all(g >= 10 for g, n in zip(gaps, sizes) if n <= 200)).lower()
    # the chart: every method a run of held-out points, on a log x axis of label counts
    chart = [b for b in run.bundles(CURVES) if b["title"].startswith("test accuracy against labelled messages")]
    assert len(chart) == 1, [b["title"] for b in run.bundles(CURVES)]
    series = chart[0]["series"]
    assert {s["run"] for s in series} == set(methods) and all(s["split"] == "val" for s in series), series
    assert all(s["count"] == len(sizes) for s in series)
    assert chart[0].get("logX") is True, "label counts double: the chart's x axis is logarithmic"
    spread = [b for b in run.bundles(CURVES) if b["title"].startswith("spread: standard deviation")]
    assert len(spread) == 1 and {s["run"] for s in spread[0]["series"]} == set(methods), spread
    # the methods at the full label count
    rows = dict(re.findall(r"^(" + "|".join(re.escape(k) for k in methods) + r")\s+\|(.*)$", run.text, re.M))
    assert set(rows) == set(methods), rows
    table = {k: [c.strip() for c in v.split("|")] for k, v in rows.items()}
    counts = {k: int(v[0]) for k, v in table.items()}
    best_and_run = {k: [int(n) for n in v[2].split("/")] for k, v in table.items()}
    accuracy, precision, recall, f1 = ({k: float(v[i]) for k, v in table.items()} for i in (3, 4, 5, 6))
    for k in methods:
        assert 0 <= best_and_run[k][0] <= best_and_run[k][1], (k, best_and_run[k])  # the kept weights are from the run (0: the probe)
        p_, r_ = precision[k], recall[k]
        assert abs(f1[k] - (2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0)) < 2e-3, k  # F1 is their harmonic mean
    assert accuracy["n-gram baseline"] > 0.8 and f1["n-gram baseline"] > 0.8, accuracy
    assert all(a > 0.55 for a in accuracy.values()), accuracy  # guessing scores 0.5
    assert counts["LoRA"] == trainable + 2 * d_in + 2 < counts["full"] == counts["from scratch"]
    assert counts["n-gram baseline"] == 4096 * 2 + 2
    drift = {k: v[8] for k, v in table.items()}
    assert drift["n-gram baseline"] == drift["from scratch"] == "-"
    assert table["n-gram baseline"][7] == "-" and float(table["from scratch"][7]) > float(table["full"][7]) + 1  # knows no English
    assert run.number(r"merged: max \|logit change\| = ([\d.e+-]+)") < 1e-3


def test_10_scaling_laws():
    run = execute("10-scaling-laws.ipynb")
    assert CURVES in run.mime_types()
    text = run.text
    quick = os.environ.get("CHAINLAB_QUICK") == "1"
    # five sizes from about 10k to 3M, N counted without the embeddings: L(12d^2 + 13d) + 2d
    sizes = {label: (int(L), int(d), int(n), int(six))
             for label, L, d, n, six in re.findall(r"^(\S+)\s+\|\s+(\d+) \|\s+(\d+) \|\s+\d+ \|\s+(\d+) \|\s+\d+ \|\s+(\d+) \|", text, re.M)}
    assert len(sizes) == 5, sizes
    for label, (L, d, n, six) in sizes.items():
        assert n == L * (12 * d * d + 13 * d) + 2 * d and six == 6 * n, (label, L, d, n)
    ns = sorted(v[2] for v in sizes.values())
    assert 8e3 < ns[0] < 2e4 and 2e6 < ns[-1] < 3.5e6 and all(b > 3 * a for a, b in zip(ns, ns[1:])), ns
    # every run: C = 6 N D with D = steps x 1,024 tokens
    runs = [(label, float(c), int(steps), float(val))
            for label, c, steps, val in re.findall(r"^(\S+)\s+\|\s+[\d.e]+ \|\s+([\d.e]+) \|\s+(\d+) \|\s+([\d.]+) \|\s+[\d.]+ s$", text, re.M)]
    assert len(runs) == run.number(r"(\d+) runs in \d+ s") >= (10 if quick else 15), runs
    for label, c, steps, val in runs:
        assert abs(c / (6 * sizes[label][2] * steps * 1024) - 1) < 0.06, (label, c, steps)  # C printed to 2 digits
        assert 1.0 < val < 4.7, (label, val)  # between English's entropy and a uniform guess over 89 characters
    # the frontier: the best of each budget, falling with compute; the power law fitted to it in log space
    frontier = [(float(c), label, float(v), float(law)) for c, label, v, law in
                re.findall(r"^C = ([\d.e]+): best (\S+)\s+val ([\d.]+), the law gives ([\d.]+)", text, re.M)]
    assert len(frontier) >= 3, frontier
    losses = [f[2] for f in frontier]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    alpha = run.number(r"C\^\(-([\d.]+)\)")
    a = run.number(r"L\(C\) = ([\d.]+) ·")
    xs, ys = [math.log(f[0]) for f in frontier], [math.log(f[2]) for f in frontier]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert abs(-slope - alpha) < 0.01, (slope, alpha)  # budgets are printed to 2 digits
    assert 0.01 < alpha < 0.3, alpha
    for c, _, v, law in frontier:
        assert abs(a * c ** -alpha - law) < 0.05 * law and abs(law / v - 1) < 0.15, (c, v, law)
    # at the largest budget, the largest model is far from its best: it sees too few tokens
    top = max(f[0] for f in frontier)
    top_runs = {label: val for label, c, _, val in runs if abs(c / top - 1) < 0.35}
    biggest = max(sizes, key=lambda k: sizes[k][2])
    assert biggest in top_runs and top_runs[biggest] > min(top_runs.values()) + (0.02 if quick else 0.1), top_runs
    # compute-optimal sizes against Chinchilla's rule, N = sqrt(C / 120)
    rows = re.findall(r"^\s*([\d.e]+) \|\s+(\d+) \|\s+(\S+) \|\s+(.+?) \|\s+([\d.e]+) \|\s+([<>= \d]+) \| N ([\d.]+)(k|M), D ([\d.e]+)$", text, re.M)
    assert len(rows) == len(frontier), rows
    for c, _, best, _, d_opt, _, chin_n, unit, chin_d in rows:
        chin = float(chin_n) * (1e3 if unit == "k" else 1e6)
        exact = math.sqrt(float(c) / 120)  # C is printed to two digits, N in whole thousands
        assert abs(chin - exact) <= (500 if unit == "k" else 5e3) + 0.03 * exact and abs(float(chin_d) / (20 * exact) - 1) < 0.06, (c, chin_n, chin_d)
    median = run.number(r"\(median (\d+)\); Chinchilla's rule: 20")
    assert 1 <= median <= 1000, median
    charts = {c["title"]: c for c in run.bundles(CURVES)}
    by_c = charts["validation loss against compute, one line per size"]
    by_n = charts["validation loss against parameters, one line per compute budget"]
    assert by_c["logY"] and by_n["logY"] and by_c["logX"] and by_n["logX"] and by_c["xLabel"].startswith("compute C")
    assert by_c.get("controls") is False and by_n.get("controls") is False  # charts of results: no loop controls
    names = [s["name"] for s in by_c["series"]]
    assert sum(n.endswith(" params") for n in names) == 5 and any("frontier" in n for n in names) and any(n.startswith("val, fit") for n in names), names
    assert all(s["split"] == "val" for s in by_c["series"] + by_n["series"])
    assert len(by_n["series"]) == len(frontier)


def test_11_shipping_the_model():
    run = execute("11-shipping-the-model.ipynb")
    if (NOTEBOOK_DIR / "checkpoints" / "gpt-moby.safetensors").exists():
        assert "loaded checkpoints/gpt-moby.safetensors" in run.text
    assert run.number(r"merged: max \|logit change\| = ([\d.e+-]+)") < 1e-4
    assert "shipped tensors have the plain GPT's names: true" in run.text
    assert "io.loadSafetensors gives them back exactly: true" in run.text
    assert "Python read" in run.text, "the .venv Python should read the safetensors file"
    assert "shapes agree: true" in run.text
    assert run.number(r"max relative difference of the sums: ([\d.e+-]+)") < 1e-5
    for name in ("transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.weight", "lm_head.weight"):
        assert re.search("^" + re.escape(name) + r"\s+\[\d+, \d+\]$", run.text, re.M), name
    assert 3 < run.number(r"MB \(([\d.]+)x smaller\)") < 4
    assert abs(run.number(r"int8 [\d.]+ \(change ([\d.e+-]+)\)")) < 0.05
    assert run.number(r"relative to the matrix's largest weight: ([\d.e+-]+)") <= 0.5 / 127 * 1.01  # half a step of the row scale, printed to 3 digits
    assert "every error within half its row's step: true" in run.text
    heatmaps = [o.data[TENSOR] for o in run.outputs if "data" in o and TENSOR in o.data]
    assert any(t["shape"] == [512, 128] for t in heatmaps), "the int8 rounding error of one matrix should be drawn"
    curves = [o.data[CURVES] for o in run.outputs if "data" in o and CURVES in o.data]
    latency = [c for c in curves if c.get("title") == "time to produce each new token"]
    assert latency and len(latency[0]["series"]) == 2, "the time per token with and without the KV cache should be drawn"
    assert re.search(r"per token, at \d+ and at \d+ tokens of context: without a cache [\d.]+ -> [\d.]+ ms, with the KV cache [\d.]+ -> [\d.]+ ms", run.text)
    assert "same tokens: true" in run.text
