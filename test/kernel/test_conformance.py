"""The kernel against jupyter_kernel_test's conformance suite, with every sample set."""
import unittest

import jupyter_kernel_test as jkt

from conftest import KERNEL_NAME


class ChainlabKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("some error")'

    # Names the kernel preloads from chainlab are completed without an import.
    completion_samples = [
        {"text": "manualSe", "matches": {"manualSeed"}},
        {"text": "const abcdef = 1; abcd", "matches": {"abcdef"}},
        {"text": "updateDisp", "matches": {"updateDisplay"}},
        {"text": "Math.ma", "matches": {"max"}},
    ]

    complete_code_samples = ["1 + 1", "const x = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "if (true) {"]

    code_generate_error = 'throw new Error("deliberate")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
    ]

    code_display_data = [
        {"code": 'display("<b>hi</b>", {raw: false})', "mime": "text/plain"},
        {"code": 'display({"text/html": "<b>hi</b>", "text/plain": "hi"}, {raw: true})', "mime": "text/html"},
    ]

    code_history_pattern = "1 + *"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "tensor"

    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main()
