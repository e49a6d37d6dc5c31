// The tensor bundle's static fallback: numbers for a small tensor, a heatmap for a big one,
// and the fields the extension reads to print requiresGrad and gradFn.
import { describe, expect, test } from "vitest";
import { arange, randn, tensor, TENSOR_MIME } from "../src";
import { SMALL_VALUES, tensorBundle } from "../src/display/tensor";

describe("tensor fallback", () => {
  test("a small tensor shows its printed values, not coloured boxes", () => {
    const x = tensor([[1.5, -2], [3, 4]], { requiresGrad: true });
    x.mul(x).sum().backward();
    const b = tensorBundle(x);
    const html = b["text/html"] as string;
    expect(html).toContain("<pre>tensor([[ 1.5000, -2.0000],");
    expect(html).toContain("3.0000,  4.0000]]");
    expect(html).toContain("grad</div><pre>tensor([[ 3., -4.],");
    expect(html).not.toContain("<rect");
    expect(b["image/svg+xml"]).toBeUndefined();
    expect(b["text/plain"]).toBe(x.toString());
  });

  test("a scalar and an int vector print as PyTorch does", () => {
    expect(tensorBundle(tensor(28))["text/html"]).toContain("<pre>tensor(28.");
    expect(tensorBundle(tensor([1, 2, 3], { dtype: "int32" }))["text/html"]).toContain("tensor([1, 2, 3]");
  });

  test("a bigger tensor keeps the SVG heatmap", () => {
    const b = tensorBundle(arange(SMALL_VALUES + 1));
    expect(b["text/html"]).toBeUndefined();
    expect(b["image/svg+xml"]).toContain("<rect");
    expect(tensorBundle(randn(4, 25))["text/html"]).toContain("<pre>"); // exactly 100 values
  });

  test("the payload says whether the tensor takes part in autograd", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.mul(2);
    expect((tensorBundle(w)[TENSOR_MIME] as Record<string, unknown>).requiresGrad).toBe(true);
    const j = tensorBundle(y)[TENSOR_MIME] as Record<string, unknown>;
    expect(j.gradFn).toBe("mul");
    expect((tensorBundle(tensor([1]))[TENSOR_MIME] as Record<string, unknown>).requiresGrad).toBe(false);
  });

  test("hostile names are escaped in the HTML", () => {
    const x = tensor([1, 2]);
    x.name = `<img src=x onerror="alert(1)">`;
    const html = tensorBundle(x)["text/html"] as string;
    expect(html).not.toContain("<img");
    expect(html).toContain("&#60;img");
  });
});
