// The baby-GPT training loop that `bench/kernel-step.mjs` times both in a plain node
// process and inside the chainlab kernel (required from a cell, with the kernel's chainlab
// passed in). Watched, it runs as notebook 07 does: a Monitor drawing the loss every step
// and the gradient flow every 10 steps, `await monitor.poll()` between steps; unwatched it
// yields between steps the same way, so that the two differ only by the kernel and Monitor.
const { PerformanceObserver, constants } = require("node:perf_hooks");

function babyGpt(cl) {
  const cfg = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
  const model = new cl.nn.GPT(cfg);
  const params = [...model.parameters()];
  const opt = new cl.optim.AdamW([
    { params: params.filter((p) => p.shape.length >= 2), weightDecay: 0.1 },
    { params: params.filter((p) => p.shape.length < 2), weightDecay: 0 },
  ], { lr: 1e-3, betas: [0.9, 0.99] });
  const idx = cl.randint(0, cfg.vocabSize, [12, cfg.blockSize]);
  const targets = cl.randint(0, cfg.vocabSize, [12, cfg.blockSize]);
  const step = () => {
    const { loss } = model.forward(idx, targets);
    opt.zeroGrad();
    loss.backward();
    cl.optim.clipGradNorm(model, 1.0);
    opt.step();
    return loss;
  };
  return { model, opt, step };
}

/**
 * Train for `steps` steps after `warm` untimed ones; the median ms a step (wall and CPU),
 * float32 storage made new a step (MB), major GCs per 100 steps and the share of the time
 * spent in GC.
 */
async function run(cl, { steps = 60, warm = 5, watch = false } = {}) {
  cl.manualSeed(0);
  const { model, opt, step } = babyGpt(cl);
  const monitor = watch ? new cl.Monitor({ title: "baby GPT", model, optimizer: opt, gradEvery: 10, show: true }) : null;
  const one = async (i) => {
    const loss = step();
    if (monitor) {
      monitor.log({ train: loss }, i);
      await monitor.poll();
    } else {
      await new Promise((r) => setImmediate(r)); // as poll() does: a loop that lets other work in
    }
    return loss.item();
  };
  for (let i = 0; i < warm; i++) await one(i);
  let majors = 0, minors = 0, gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
      else minors++;
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  const s0 = cl.storageStats();
  const times = [];
  const cpuTimes = [];
  let loss = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    loss = await one(warm + i);
    times.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpuTimes.push((d.user + d.system) / 1000);
  }
  const wall = performance.now() - t0;
  const s1 = cl.storageStats();
  await new Promise((r) => setTimeout(r, 20)); // the observer reports asynchronously
  obs.disconnect();
  monitor?.close();
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    ms: median(times),
    // CPU time of the whole process (all its threads), which a busy machine distorts less.
    cpuMs: median(cpuTimes),
    meanMs: wall / steps,
    steps,
    loss,
    allocMBPerStep: (s1.allocatedBytes - s0.allocatedBytes) / steps / 2 ** 20,
    reusedMBPerStep: (s1.reusedBytes - s0.reusedBytes) / steps / 2 ** 20,
    majorGcPer100: (100 * majors) / steps,
    minorGcPer100: (100 * minors) / steps,
    gcShare: gcMs / wall,
    heapMB: process.memoryUsage().heapUsed / 2 ** 20,
    heapTotalMB: process.memoryUsage().heapTotal / 2 ** 20,
  };
}

module.exports = { babyGpt, run };
