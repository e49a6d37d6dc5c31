"""Execute tutorial notebooks in order on the chainlab kernel and write them back with outputs.

    python scripts/run_notebooks.py <summary.json> <notebook.ipynb> ...

The environment passes through to the kernel (CHAINLAB_QUICK chooses the mode). For each
notebook the summary holds its wall time, its errors, the load average before and after it,
and its text output (stdout and the text/plain of every rich output), from which
scripts/notebooks.mjs takes the headline figures.

A long run must not undo edits made to a notebook while it ran: the file is read again before
it is written, and outputs go only into the cells (matched by id) whose source is still the
one that ran; a cell edited meanwhile is written as it now is, without outputs.
"""
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def text_of(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if o.output_type == "stream" and o.name == "stdout":
                parts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                parts.append(str(o.data.get("text/plain", "")) + "\n")
    return "".join(parts)


def write_outputs(ran, path: Path) -> None:
    now = nbformat.read(path, as_version=4)
    executed = {c.id: c for c in ran.cells}
    stale = []
    for cell in now.cells:
        done = executed.get(cell.get("id"))
        if cell.cell_type != "code" or done is None:
            continue
        if done.source == cell.source:
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
        else:
            cell.outputs, cell.execution_count = [], None
            stale.append(cell.id)
    if "language_info" in ran.metadata:
        now.metadata["language_info"] = ran.metadata["language_info"]
    if stale:
        print(f"  edited while running, written without outputs: {', '.join(stale)}", flush=True)
    nbformat.write(now, path)


def main() -> int:
    summary_path, names = Path(sys.argv[1]), sys.argv[2:]
    summary = []
    for name in names:
        path = Path(name).resolve()
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name="chainlab", timeout=3600, allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        print(f"running {path.name} ...", flush=True)
        load_start = list(os.getloadavg())
        started = time.monotonic()
        client.execute()
        seconds = time.monotonic() - started
        errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        write_outputs(nb, path)
        print(f"  {seconds:.1f} s{', ' + str(len(errors)) + ' errors' if errors else ''}", flush=True)
        summary.append({"name": path.name, "seconds": seconds, "errors": errors, "text": text_of(nb),
                        "loadStart": load_start, "loadEnd": list(os.getloadavg())})
        summary_path.write_text(json.dumps(summary), encoding="utf-8")
    return 1 if any(s["errors"] for s in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
