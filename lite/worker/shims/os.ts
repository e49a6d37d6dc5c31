// node:os in the tab: what the library and notebooks ask of it.
const cores = (): number => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
export const EOL = "\n";
export function availableParallelism(): number { return cores(); }
export function cpus(): { model: string }[] { return Array.from({ length: cores() }, () => ({ model: "browser" })); }
export function tmpdir(): string { return "/tmp"; }
export function homedir(): string { return "/home"; }
export function platform(): string { return "browser"; }
export function arch(): string { return "wasm32"; }
export function totalmem(): number { return 4 * 2 ** 30; }
export default { EOL, availableParallelism, cpus, tmpdir, homedir, platform, arch, totalmem };
