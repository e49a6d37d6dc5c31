#!/usr/bin/env node
// chainlab-kernel: `kernel --connection-file <f>` runs the kernel (what Jupyter calls);
// `install [--user | --sys-prefix | --prefix <p>]` installs its kernelspec.
import { installKernelSpec, type InstallOptions } from "./install";

function usage(): never {
  process.stderr.write(
    "usage:\n" +
      "  chainlab-kernel kernel [--connection-file] <file> [--no-prelude]\n" +
      "  chainlab-kernel install [--user | --sys-prefix [--python <python>] | --prefix <dir>] [--name <name>] [--interrupt-mode message|signal] [--docs <api reference dir>]\n",
  );
  process.exit(2);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  const value = (flag: string) => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    if (v === undefined || v.startsWith("--")) usage();
    return v;
  };
  if (command === "kernel") {
    const file = value("--connection-file") ?? value("-f") ?? rest.find((a) => !a.startsWith("-"));
    if (!file) usage();
    const noPrelude = rest.includes("--no-prelude");
    // The compiler thread starts before the rest of the kernel loads, to overlap with it.
    // Loaded here so that `install` never pays for TypeScript and zeromq.
    const { startCompiler } = require("./main/library") as typeof import("./main/library");
    const compiler = startCompiler(!noPrelude);
    const { startKernel } = require("./main/kernel") as typeof import("./main/kernel");
    startKernel({ connectionFile: file, noPrelude, compiler });
    return;
  }
  if (command === "install") {
    const options: InstallOptions = {
      prefix: value("--prefix"),
      user: rest.includes("--user"),
      sysPrefix: rest.includes("--sys-prefix"),
      python: value("--python"),
      name: value("--name"),
      interruptMode: value("--interrupt-mode") as InstallOptions["interruptMode"],
      docs: value("--docs"),
    };
    try {
      const dir = installKernelSpec(options);
      process.stdout.write(`installed kernelspec ${options.name ?? "chainlab"} in ${dir}${options.docs ? " (with the API reference)" : ""}\n`);
    } catch (e) {
      process.stderr.write(`chainlab-kernel install: ${(e as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  usage();
}

main(process.argv.slice(2));
