"""A learner's first Tab, sent the moment the kernel is up: it completes the library's names
(the prelude declares them) instead of answering with nothing, and so does the first
inspection (Shift+Tab)."""
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME


def test_first_requests_see_the_library():
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        # start_new_kernel waited for kernel_info only: the prelude may still be running
        reply = kc.complete("tens", 4, reply=True, timeout=60)
        assert reply["content"]["status"] == "ok"
        assert "tensor" in reply["content"]["matches"], reply["content"]
        info = kc.inspect("manualSeed", 10, reply=True, timeout=60)
        assert info["content"]["found"], info["content"]
        assert "manualSeed" in info["content"]["data"]["text/plain"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
