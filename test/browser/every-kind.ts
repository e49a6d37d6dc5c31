// A notebook's worth of outputs of every chainlab kind (tensor, graph, curves, gradient
// flow, module), made in node by the library itself, as a kernel would have sent them.
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cl = require(path.join(root, "lib", "dist"));
const display = Symbol.for("Jupyter.display");

export function everyKindOutputs(): { cells: string[]; outputs: unknown[][] } {
  const output = (obj: unknown) => {
    const data = typeof (obj as Record<symbol, unknown>)[display] === "function"
      ? (obj as { [display](): Record<string, unknown> })[display]()
      : obj;
    return [{ output_type: "display_data", data, metadata: {} }];
  };
  cl.manualSeed(0);
  const x = cl.randn([40, 30], { requiresGrad: true });
  const y = x.tanh().sum();
  const graph = cl.computationGraph(y);
  y.backward();
  const model = new cl.nn.Sequential(new cl.nn.Linear(4, 8), new cl.nn.ReLU(), new cl.nn.Linear(8, 2));
  const monitor = new cl.Monitor({ title: "saved run", model, show: false });
  const opt = new cl.optim.SGD(model.parameters(), { lr: 0.1 });
  const X = cl.randn([16, 4]);
  for (let i = 0; i < 30; i++) {
    const l = model.forward(X).pow(2).mean();
    opt.zeroGrad();
    l.backward();
    opt.step();
    monitor.log({ train: l });
  }
  monitor.close();
  return {
    cells: ["x", "graph", "monitor", "gradflow", "model"],
    outputs: [output(x), output(graph), output(monitor.curvesBundle()), output(monitor.gradflowBundle()), output(model)],
  };
}
