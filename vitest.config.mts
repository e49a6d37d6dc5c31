import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "lib", include: ["lib/test/**/*.test.ts"], testTimeout: 60_000 } },
      {
        // a real JupyterLab and Chromium: one server for the file, tests in order
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // the JupyterLite site (lite/dist) in Chromium; npm test -- lite builds the site first
        test: {
          name: "lite",
          include: ["test/lite/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // the kernel's message handling in one process, on the built kernel (kernel/dist);
        // cells print through process.stdout as in the kernel, so the console is left alone
        test: {
          name: "kernel",
          include: ["kernel/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          disableConsoleIntercept: true,
        },
      },
      {
        test: {
          name: "extension",
          include: ["extension/test/**/*.test.ts"],
          environment: "jsdom",
          setupFiles: ["extension/test/setup.ts"],
        },
      },
      {
        // the renderers' speed in JupyterLab and Chromium (npm run bench -- --parts render);
        // a measurement, so npm test, which runs projects by name, leaves it out
        test: {
          name: "render",
          include: ["bench/render.bench.ts"],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
