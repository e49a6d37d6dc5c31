export { Kernel, startKernel, kernelInfo, bundleOf, type KernelOptions } from "./kernel";
export { installKernelSpec, kernelSpec, userDataDir, type InstallOptions } from "./install";
export { Executor, KeyboardInterrupt } from "./executor";
