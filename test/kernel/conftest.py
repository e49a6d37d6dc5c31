"""Shared set-up for the kernel tests: they run against the `chainlab` kernelspec that
`node scripts/lab.mjs --setup-only` installs into .venv."""
import os
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

KERNEL_NAME = os.environ.get("CHAINLAB_KERNEL_NAME", "chainlab")


def pytest_configure(config):
    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        pytest.exit(
            f"kernelspec {KERNEL_NAME!r} is not installed for {sys.prefix}; "
            "run `node scripts/lab.mjs --setup-only --no-browser` first",
            returncode=2,
        )
