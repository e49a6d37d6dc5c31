"""The baby-GPT training loop inside the real chainlab kernel, watched by a Monitor:
start the kernel with jupyter_client, run bench/train-loop.cjs from a cell, print its
measures as a RESULT line. Run by `node bench/kernel-step.mjs --impl kernel`."""
import argparse
import json
import os
import sys
import tempfile
import time
from queue import Empty

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

ap = argparse.ArgumentParser()
ap.add_argument("--loop", required=True, help="path of train-loop.cjs")
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--kernel", default="chainlab")
ap.add_argument("--node-flags", default="", help="V8/node flags for the kernel's node, e.g. --node-flags=--trace-gc")
args = ap.parse_args()

env = dict(os.environ)
if args.node_flags:
    # the installed kernelspec with the flags added after node, in a directory of its own
    spec = KernelSpecManager().get_kernel_spec(args.kernel)
    argv = [spec.argv[0], *args.node_flags.split(), *spec.argv[1:]]
    home = tempfile.mkdtemp(prefix="chainlab-kernel-")
    os.makedirs(os.path.join(home, "kernels", args.kernel))
    with open(os.path.join(home, "kernels", args.kernel, "kernel.json"), "w") as f:
        json.dump({**spec.to_dict(), "argv": argv}, f)
    env["JUPYTER_PATH"] = home
    os.environ["JUPYTER_PATH"] = home
km, kc = start_new_kernel(kernel_name=args.kernel, startup_timeout=120, env=env)
try:
    def run(code, timeout=900):
        msg_id = kc.execute(code)
        out, err, displays = [], None, 0
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            except Empty:
                break
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            t, c = msg["msg_type"], msg["content"]
            if t == "stream":
                out.append(c["text"])
            elif t == "error":
                err = f'{c["ename"]}: {c["evalue"]}'
            elif t in ("display_data", "update_display_data"):
                displays += 1
            elif t == "status" and c["execution_state"] == "idle":
                break
        if err:
            raise RuntimeError(err)
        return "".join(out), displays

    # a first cell as a learner's notebook has, so that the compiler is loaded and warm
    run('import * as cl from "chainlab";\nconst x = cl.randn([4, 4]);\nx.sum().item();')
    out, displays = run(
        f'const loop = require({json.dumps(args.loop)});\n'
        f'const r = await loop.run(cl, {{ steps: {args.steps}, watch: true }});\n'
        'console.log("RESULT " + JSON.stringify(r));'
    )
    line = next((l for l in out.splitlines() if l.startswith("RESULT ")), None)
    if not line:
        sys.exit(f"no result from the kernel: {out[-500:]}")
    r = json.loads(line[7:])
    r["displayMessages"] = displays
    print("RESULT " + json.dumps(r))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
