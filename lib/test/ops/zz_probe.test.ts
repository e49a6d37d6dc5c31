import { test } from "vitest";
import * as cl from "../../src";
test("probe", () => {
  console.log("backend", cl.backend());
  const x = cl.tensor([[1,2,3],[4,5,6]], {requiresGrad: true});
  const y = x.mul(x).sum();
  y.backward();
  console.log(String(x.grad), String(y));
});
