"""Set-up for the notebook runs: the `chainlab` kernelspec from `node scripts/lab.mjs
--setup-only` must be installed, and the notebooks run in quick mode unless told otherwise
(CHAINLAB_QUICK=0 runs the full step counts)."""
import os
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

KERNEL_NAME = os.environ.get("CHAINLAB_KERNEL_NAME", "chainlab")

# The kernel inherits this process's environment, so this reaches the notebooks.
os.environ.setdefault("CHAINLAB_QUICK", "1")


def pytest_configure(config):
    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.exit(
            f"kernelspec {KERNEL_NAME!r} is not installed for {sys.prefix}; "
            "run `node scripts/lab.mjs --setup-only --no-browser` first",
            returncode=2,
        )
