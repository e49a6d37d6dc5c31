import { expect, test } from "vitest";
import * as cl from "../../src";

test("data, io and metrics are reachable from the package root", () => {
  expect(typeof cl.data.DataLoader).toBe("function");
  expect(typeof cl.data.CharTokenizer.fromText).toBe("function");
  expect(typeof cl.io.saveCheckpoint).toBe("function");
  expect(cl.saveSafetensors).toBe(cl.io.saveSafetensors);
  expect(cl.loadSafetensors).toBe(cl.io.loadSafetensors);
  expect(typeof cl.metrics.confusionMatrix).toBe("function");
});
