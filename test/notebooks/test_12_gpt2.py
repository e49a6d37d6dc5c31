"""Notebook 12, GPT-2 for real: run in quick mode on the model it finds, and its results.

Notebook 8 runs first (it is run once per test session either way), so that notebook 12
finds the checkpoint and takes the path the tests can check most closely: notebook 8's GPT
written out and read back in GPT-2's format. With CHAINLAB_GPT2_DIR set, the same checks run
on GPT-2 itself.
"""
import math
import os
import re

from test_notebooks import CURVES, GRADFLOW, TENSOR, execute

NAME = "12-gpt2.ipynb"
FIRST_LINES = {
    "gpt2": r"^model: GPT-2 itself, from CHAINLAB_GPT2_DIR=",
    "checkpoint": r"^model: not GPT-2 \(CHAINLAB_GPT2_DIR is not set\) but notebook 8's character-level GPT",
    "random": r"^model: not GPT-2 \(CHAINLAB_GPT2_DIR is not set and notebook 8's checkpoint is missing\) but a small GPT-2-shaped model with random weights",
}


def run_12():
    execute("08-pretraining-a-gpt.ipynb")  # its checkpoint is the stand-in for GPT-2
    return execute(NAME)


def source_of(run) -> str:
    first = run.text.split("\n", 1)[0]
    found = [k for k, pattern in FIRST_LINES.items() if re.match(pattern, first)]
    assert len(found) == 1, f"the first line must say which model runs: {first!r}"
    return found[0]


def test_12_says_which_model_runs_on_its_first_line():
    run = run_12()
    source = source_of(run)
    if os.environ.get("CHAINLAB_GPT2_DIR"):
        assert source == "gpt2"
    else:
        assert source == "checkpoint", "notebook 8 ran first, so its checkpoint should stand in for GPT-2"
        # the checkpoint went out in GPT-2's format and came back the same
        assert re.search(r"model\.safetensors \([\d.]+ MB\)", run.text) and "config.json" in run.text
        assert re.search(r'config\.json: model_type "gpt2", .*activation_function "gelu"', run.text)
        assert "read back with fromPretrained: the same weights: true" in run.text


def test_12_gpt2_tokenizer_on_real_text():
    text = run_12().text
    assert "50257 tokens = 256 bytes + 50000 merges + <|endoftext|> (id 50256)" in text
    # "Call me Ishmael." as GPT-2 cuts it: words with their leading space, the rare name in pieces
    assert re.search(r"^\d+ tokens: Call\|␣me\|␣Is\|hma\|el\|\.", text, re.M), text[:2000]
    assert re.search(r"^ids: 14134, 502, 1148, 21720, 417, 13,", text, re.M)
    per_token = float(re.search(r"all of Moby Dick: \d+ characters -> \d+ tokens, ([\d.]+) characters per token", text).group(1))
    assert 3.5 < per_token < 4.5, per_token
    assert "refused: BPETokenizer.encode(): the text contains the special token \"<|endoftext|>\"" in text
    assert re.search(r"the end-of-text id 50256 once, at position 3", text)
    assert "decode(encode(text)) gives the text back: true" in text


def test_12_attention_head():
    run = run_12()
    m = re.search(r"^(\d+) tokens; the previous-token head: layer (\d+), head (\d+), mean weight on the previous token ([\d.]+) \(even spreading: ([\d.]+)\)", run.text, re.M)
    assert m, run.text[-3000:]
    tokens, _, _, score, even = int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4)), float(m.group(5))
    assert abs(even - sum(1 / (t + 2) for t in range(tokens - 1)) / (tokens - 1)) < 0.006
    if source_of(run) != "random":
        # notebook 8's quick run (100 steps) has begun to grow one; its full run, or GPT-2, has it
        quick = os.environ.get("CHAINLAB_QUICK") == "1"
        assert score > (1.4 if quick else 3) * even, "a trained model should have a head that looks at the previous token"
    maps = [b for b in run.bundles(TENSOR) if b.get("name", "").endswith(": attention weights")]
    assert len(maps) == 1 and maps[0]["shape"] == [tokens, tokens], [b.get("shape") for b in maps]
    labels = maps[0]["labels"]
    assert len(labels["rows"]) == tokens and labels["rows"] == labels["cols"]
    assert labels["rows"][:4] == ["C", "a", "l", "l"] if source_of(run) == "checkpoint" else labels["rows"][:2] == ["Call", "␣me"]


def test_12_lora_fine_tune():
    run = run_12()
    text = run.text
    assert {CURVES, GRADFLOW} <= run.mime_types()
    m = re.search(r"LoRA trainable: (\d+) = (\d+) layers x r\(in \+ out\) = \d+ x (\d+) x \((\d+) \+ (\d+)\) = (\d+): true", text)
    assert m, text[-3000:]
    trainable, layers, r, d_in, d_out, formula = map(int, m.groups())
    assert trainable == formula == layers * r * (d_in + d_out) and d_out == 3 * d_in
    # only the adapters get gradients: the gradient flow shows loraA and loraB, nothing frozen
    flows = run.bundles(GRADFLOW)
    assert flows and set(flows[-1]["layers"]) == {f"h.{i}.attn.cAttn.lora{ab}" for i in range(layers) for ab in "AB"}, flows[-1]["layers"]
    curves = [c for c in run.bundles(CURVES) if c.get("title") == "LoRA on e-mail: next-token loss"]
    assert curves and {s.get("split") for s in curves[-1]["series"]} >= {"train", "val"}
    before, after = map(float, re.search(r"held-out e-mail loss: ([\d.]+) -> ([\d.]+)", text).groups())
    assert after < before - 0.05, (before, after)  # quick: 80 steps
    if source_of(run) == "checkpoint":
        vocab = int(re.search(r"vocabulary (\d+), GELU", text).group(1))
        assert before < math.log(vocab), "notebook 8's model should know some English before adapting"
    samples = re.findall(r'^(before|after): +(".*")$', text, re.M)
    assert [k for k, _ in samples][-2:] == ["before", "after"] and samples[-1][1] != samples[-2][1]
    assert all(s.startswith('"Hi all, I have a question about') for _, s in samples)
    assert re.search(r"^\d+ steps of \d+ x \d+ tokens in [\d.]+ s", text, re.M)


def test_12_save_pretrained_read_by_python():
    text = run_12().text
    assert "refused: GPT.savePretrained(): " in text and "LoRA adapter" in text
    assert re.search(r"config\.json \([\d.]+ MB\), model\.safetensors \([\d.]+ MB\)", text)
    m = re.search(r"NumPy read (\d+) tensors; transformer\.h\.0\.attn\.c_attn\.weight is \[(\d+), (\d+)\] \(\[in, out\]\), the library's cAttn\.weight \[(\d+), (\d+)\]", text)
    assert m, text[-3000:]
    n, hf_in, hf_out, ours_out, ours_in = map(int, m.groups())
    assert (hf_in, hf_out) == (ours_in, ours_out) and hf_out == 3 * hf_in
    layers = int(re.search(r"^(\d+) layers, \d+ heads", text, re.M).group(1))
    assert n == 2 + 12 * layers + 2  # wte, wpe; per block 12 tensors; ln_f: no lm_head (tied)
    assert float(re.search(r"NumPy's GPT-2 against the library: max \|logit difference\| = ([\d.e+-]+)", text).group(1)) < 1e-4
    assert "the same most likely next token everywhere: true" in text
    if "skipped: no Python here imports torch and transformers" not in text:
        assert re.search(r"GPT2LMHeadModel\.from_pretrained: missing \[\], unexpected \[\], mismatched \[\]", text), text[-2000:]
        assert float(re.search(r"transformers against the library: max \|logit difference\| = ([\d.e+-]+)", text).group(1)) < 1e-4
