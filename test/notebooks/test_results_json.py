"""notebooks/results.json, as scripts/results-json.mjs writes it from a run's summary: valid
JSON with the machine, backend, load, date and mode, each notebook's wall time and headline
figures as numbers, and on --only the entries of the notebooks not rerun kept. Runs node on
the pure function, in well under a second; no notebook runs."""
import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

# The writer fed the way scripts/notebooks.mjs feeds it: the patterns are of the same kind as
# its HEADLINES (one group, several groups, numbers with units, booleans).
SCRIPT = r"""
import { buildResults } from "./scripts/results-json.mjs";
const input = JSON.parse(await new Promise((ok) => { let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => ok(s)); }));
const HEADLINES = {
  "01": [["dy/dx", /dy\/dx = ([\d.]+)/], ["gradcheck", /ok: (true|false)/]],
  "08": [["val loss", /-> train [\d.]+, val ([\d.]+)/], ["time per step", /\(([\d.]+ ms) a step\)/], ["missing", /never printed: (\d+)/]],
  "09": [["accuracy / F1 full", /^full\s+\|\s*([\d.]+)\s*\|\s*([\d.]+)/m]],
  "10": [["frontier exponent", /C\^\(-([\d.]+)\)/], ["max |diff|", /diff ([\d.e+-]+)/]],
};
const out = buildResults({ ...input, headlines: HEADLINES });
process.stdout.write(JSON.stringify(out, null, 2));
"""

MACHINE = {"cpu": "AMD EPYC", "cores": 2, "memoryGB": 24, "platform": "linux x64", "node": "v20.20.2"}


def summary(name, text, seconds=12.34, errors=()):
    return {"name": name, "seconds": seconds, "errors": list(errors), "text": text,
            "loadStart": [1.5, 2.25, 3.0], "loadEnd": [0.5, 1.0, 2.125]}


def write(**kw):
    args = {"previous": None, "only": False, "quick": False, "date": "2026-12-07T20:00:00.000Z",
            "machine": MACHINE, "backend": "blas", "loadStart": [0.4, 0.5, 0.6], "loadEnd": [3.3, 2.2, 1.1], **kw}
    r = subprocess.run([NODE, "--input-type=module", "-e", SCRIPT], cwd=ROOT, input=json.dumps(args),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # valid JSON, or this fails


pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH")

TEXT_08 = "mode: full, backend blas\nloss: 4.517 (ln V = 4.489) -> train 1.773, val 1.786\n2000 steps in 419.8 s (210 ms a step)\n"
TEXT_09 = "method | acc | F1\nfull           | 0.890 | 0.885\n"


def test_a_full_run_has_every_field():
    out = write(summary=[summary("08-pretraining-a-gpt.ipynb", TEXT_08), summary("09-fine-tuning.ipynb", TEXT_09, errors=["Error: boom"])])
    assert out["version"] == 1 and out["mode"] == "full" and out["rerun"] is None
    assert out["date"] == "2026-12-07T20:00:00.000Z"
    assert out["machine"] == MACHINE and out["backend"] == "blas"
    assert out["load"] == {"start": [0.4, 0.5, 0.6], "end": [3.3, 2.2, 1.1]}
    assert list(out["notebooks"]) == ["08-pretraining-a-gpt", "09-fine-tuning"]
    nb = out["notebooks"]["08-pretraining-a-gpt"]
    assert nb["mode"] == "full" and nb["date"] == out["date"] and nb["backend"] == "blas"
    assert nb["seconds"] == 12.3 and nb["errors"] == []
    assert nb["load"] == {"start": [1.5, 2.25, 3.0], "end": [0.5, 1.0, 2.13]}
    # numbers as numbers; a unit goes into the label; a pattern that finds nothing gives no entry
    assert nb["headlines"] == {"val loss": 1.786, "time per step (ms)": 210}
    assert isinstance(nb["headlines"]["val loss"], float)
    assert out["notebooks"]["09-fine-tuning"]["headlines"] == {"accuracy / F1 full": [0.89, 0.885]}
    assert out["notebooks"]["09-fine-tuning"]["errors"] == ["Error: boom"]


def test_values_keep_their_kind():
    text = "dy/dx = 28\nok: true\nL(C) = 3.41 · C^(-0.0492)\nmax diff 4.30e-8\n"
    out = write(quick=True, summary=[summary("01-chain-rule.ipynb", text), summary("10-scaling-laws.ipynb", text)])
    assert out["mode"] == "quick" and out["notebooks"]["01-chain-rule"]["mode"] == "quick"
    assert out["notebooks"]["01-chain-rule"]["headlines"] == {"dy/dx": 28, "gradcheck": True}
    h = out["notebooks"]["10-scaling-laws"]["headlines"]
    assert h["frontier exponent"] == 0.0492 and math.isclose(h["max |diff|"], 4.3e-8)


def test_only_keeps_the_notebooks_not_rerun():
    first = write(summary=[summary("08-pretraining-a-gpt.ipynb", TEXT_08, seconds=400), summary("09-fine-tuning.ipynb", TEXT_09, seconds=700)])
    again = write(previous=first, only=True, quick=False, date="2026-12-08T09:00:00.000Z",
                  summary=[summary("09-fine-tuning.ipynb", TEXT_09.replace("0.890", "0.900"), seconds=650)])
    assert again["rerun"] == ["09"]
    assert again["notebooks"]["08-pretraining-a-gpt"] == first["notebooks"]["08-pretraining-a-gpt"]  # kept whole, date and all
    assert again["notebooks"]["09-fine-tuning"]["seconds"] == 650
    assert again["notebooks"]["09-fine-tuning"]["date"] == "2026-12-08T09:00:00.000Z"
    assert again["notebooks"]["09-fine-tuning"]["headlines"]["accuracy / F1 full"] == [0.9, 0.885]
    # without --only, a run is the whole series: what it did not run is not carried over
    whole = write(previous=first, summary=[summary("09-fine-tuning.ipynb", TEXT_09)])
    assert list(whole["notebooks"]) == ["09-fine-tuning"]


def test_a_broken_previous_file_is_not_carried_over():
    out = write(previous={"notebooks": "not an object"}, only=True, summary=[summary("08-pretraining-a-gpt.ipynb", TEXT_08)])
    assert list(out["notebooks"]) == ["08-pretraining-a-gpt"]
