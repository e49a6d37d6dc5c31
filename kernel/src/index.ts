export { Kernel, startKernel, type KernelOptions } from "./main/kernel";
export { assembleKernel, type KernelParts } from "./main/assemble";
export { startCompiler } from "./main/library";
export { kernelInfo } from "./main/kernel-info";
export { bundleOf } from "./main/bundle";
export { installKernelSpec, kernelSpec, userDataDir, type InstallOptions } from "./install";
export { CellRunner, KeyboardInterrupt } from "./main/cell-runner";
export { CompilerClient, CompilerCrash } from "./main/compiler-client";
