import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "lib", include: ["lib/test/**/*.test.ts"], testTimeout: 60_000 } },
      {
        test: {
          name: "extension",
          include: ["extension/test/**/*.test.ts"],
          environment: "jsdom",
          setupFiles: ["extension/test/setup.ts"],
        },
      },
    ],
  },
});
