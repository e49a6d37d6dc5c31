// The progress bar (it sits with the curves: both follow a training loop): counts that JSON
// turned into null, and counts too large to print digit by digit.
import { Widget } from "@lumino/widgets";
import { afterEach, describe, expect, it } from "vitest";
import { MIME } from "../src/shared/mime";
import { ProgressRenderer, progressCount } from "../src/progress/renderer";
import { mimeModel, rendererOptions } from "./helpers";

async function drawn(data: unknown): Promise<HTMLElement> {
  const r = new ProgressRenderer(rendererOptions(MIME.progress));
  Widget.attach(r, document.body);
  await r.renderModel(mimeModel(MIME.progress, data));
  return r.node;
}
const label = (node: HTMLElement) => node.querySelector(".cl-progress-label")?.textContent ?? "";
const width = (node: HTMLElement) => (node.querySelector(".cl-progress-fill") as HTMLElement).style.width;

afterEach(() => document.body.replaceChildren());

describe("progress bar", () => {
  it("draws the count, the total and the share done", async () => {
    const node = await drawn({ n: 1234, total: 5000, fraction: 0.2468 });
    expect(label(node)).toBe("1,234 / 5,000 (24%)");
    expect(width(node)).toBe("24.7%");
  });

  it("shows an unknown count as '?', never 'NaN'", async () => {
    for (const n of [null, undefined]) {
      const node = await drawn({ n, total: 10, fraction: null });
      expect(label(node)).toBe("? / 10");
      expect(label(node)).not.toContain("NaN");
      expect(width(node)).toBe("0%");
    }
    expect(label(await drawn({ n: 3, total: null, fraction: 0 }))).toBe("3 (0%)");
  });

  it("writes a huge count or total in exponent form, not 300 digits", async () => {
    const node = await drawn({ n: 5, total: 1e300, fraction: 5e-300 });
    expect(label(node)).toBe("5 / 1.00e+300 (0%)");
    expect(progressCount(1e300).length).toBeLessThan(12);
    expect(progressCount(123_456)).toBe("123,456");
  });

  it("refuses a count that is not a number, naming the field", async () => {
    const node = await drawn({ n: "many", total: 10 });
    expect((node.querySelector(".cl-error") as HTMLElement).dataset.field).toBe("n");
  });
});
