// The gradient-flow side of Monitor: how often it is sent, how much of a long run it sends,
// and the static picture's flags.
import { tableFromIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { Monitor, installSink, tensor, GRADFLOW_MIME } from "../src";
import { GRADFLOW_REDRAW_MS } from "../src/display/monitor";

const table = (b64: string) => tableFromIPC(Buffer.from(b64, "base64"));
const col = (b64: string, name: string) => Array.from(table(b64).getChild(name)!.toArray() as ArrayLike<number>);

/** A model of one 2x2 weight whose gradient is set by hand. */
function oneLayer() {
  const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const model = { namedParameters: () => [["fc.weight", w]] as [string, typeof w][] };
  return { w, model };
}

function withSink<T>(fn: (updates: { id: string; bundle: Record<string, any> }[]) => Promise<T>): Promise<T> {
  const updates: { id: string; bundle: Record<string, any> }[] = [];
  installSink({
    kind: "test",
    display: () => {},
    updateDisplay: (id: string, bundle: Record<string, unknown>) => updates.push({ id, bundle }),
    registerCommTarget: () => {},
  } as never);
  return fn(updates).finally(() => installSink(undefined));
}

describe("gradient flow updates", () => {
  test("are sent less often than the curves, only with new statistics, and the last one arrives", async () => {
    await withSink(async (updates) => {
      const { w, model } = oneLayer();
      const m = new Monitor({ title: "paced", model, redrawMs: 20 });
      const t0 = Date.now();
      let step = 0;
      while (Date.now() - t0 < 600) {
        w.grad = tensor([[1, 1], [1, 1]]);
        m.log({ train: step++ });
        await new Promise((r) => setTimeout(r, 2));
      }
      const curves = updates.filter((u) => u.id.endsWith("-curves")).length;
      const grads = () => updates.filter((u) => u.id.endsWith("-gradflow"));
      expect(curves).toBeGreaterThan(5);
      expect(grads().length).toBeLessThanOrEqual(Math.ceil(600 / GRADFLOW_REDRAW_MS) + 1);
      // the trailing update brings the newest step
      await new Promise((r) => setTimeout(r, GRADFLOW_REDRAW_MS + 100));
      const last = grads()[grads().length - 1].bundle[GRADFLOW_MIME];
      const steps = col(last.data, "step");
      expect(steps[steps.length - 1]).toBe(step - 1);
      // a validation log adds no statistics: no gradient-flow update follows it
      const before = grads().length;
      m.log({ val: 1 }, step - 1);
      await new Promise((r) => setTimeout(r, GRADFLOW_REDRAW_MS + 100));
      expect(grads().length).toBe(before);
      m.close();
    });
  });
});
