"""A small notebook run end to end by nbclient on the chainlab kernel."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from conftest import KERNEL_NAME

HERE = Path(__file__).parent


def test_smoke_notebook_outputs():
    nb = nbformat.read(HERE / "smoke.ipynb", as_version=4)
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=60, resources={"metadata": {"path": str(HERE)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]

    # nbclient records the kernel's execution counts: 1, 2, 3... in order.
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))

    first = code[0].outputs
    assert [o.output_type for o in first] == ["execute_result"]
    assert first[0].data["text/plain"] == "6"

    second = code[1].outputs
    assert second[0].output_type == "stream" and second[0].text == "printed\n"
    shown = [o for o in second if o.output_type == "display_data"]
    assert len(shown) == 1
    # nbclient applies update_display_data to the output it belongs to.
    assert shown[0].data["text/plain"] == "updated"

    third = code[2].outputs
    bars = [o for o in third if o.output_type == "display_data"]
    assert len(bars) == 1 and "4/4" in bars[0].data["text/plain"]
    assert third[-1].output_type == "execute_result" and third[-1].data["text/plain"] == "10"

    errors = [o for o in code[3].outputs if o.output_type == "error"]
    assert len(errors) == 1
    assert errors[0].ename == "TypeError" and errors[0].evalue == "expected in this notebook"
    assert any("line 2" in line for line in errors[0].traceback)

    last = code[4].outputs[0]
    assert last.output_type == "execute_result"
    assert "application/vnd.chainlab.tensor+json" in last.data
    assert last.data["text/plain"].startswith("tensor(")
