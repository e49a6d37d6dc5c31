export { Kernel, startKernel, type KernelOptions } from "./kernel";
export { kernelInfo } from "./kernel-info";
export { bundleOf } from "./bundle";
export { installKernelSpec, kernelSpec, userDataDir, type InstallOptions } from "./install";
export { Executor, KeyboardInterrupt } from "./executor";
export { Compiler, CompilerCrash } from "./compiler";
