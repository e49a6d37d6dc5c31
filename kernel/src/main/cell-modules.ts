// The `require` cells see: bare names the kernel provides (chainlab, tslab) from the
// kernel's installation, the notebook's own .ts modules as tslab compiled them, and
// everything else from the notebook's directory.
import Module, { createRequire } from "node:module";
import path from "node:path";

type CompilableModule = Module & { _compile(src: string, file: string): void; paths: string[] };

export class CellModules {
  /** Compiled JavaScript of the notebook's local .ts modules, by the path of their .js. */
  private readonly sources = new Map<string, string>();
  private readonly loaded = new Map<string, Module>();

  constructor(
    private readonly modules: Record<string, { dir: string; types: string }>,
    /** Called before tslab is first handed to a cell (loading it loads TypeScript here). */
    private readonly onTslab?: () => void,
  ) {}

  /** New compiled outputs of local modules; the next require loads them afresh. */
  update(outputs: { path: string; data: string }[]): void {
    for (const out of outputs) {
      this.loaded.delete(out.path);
      this.sources.set(out.path, out.data);
    }
  }

  requireFrom(dir: string): NodeJS.Require {
    const plain = createRequire(path.join(dir, "__cell__.js"));
    const kernelRequire = require;
    const req = ((id: string) => {
      if (id === "tslab") {
        this.onTslab?.();
        return kernelRequire("tslab");
      }
      const bare = Object.keys(this.modules).find((name) => id === name || id.startsWith(name + "/"));
      if (bare) return kernelRequire(this.modules[bare].dir + id.slice(bare.length));
      const local = this.local(dir, id);
      if (local !== undefined) return local;
      return plain(id);
    }) as NodeJS.Require;
    return Object.assign(req, { resolve: plain.resolve, cache: plain.cache, main: plain.main, extensions: plain.extensions });
  }

  private local(dir: string, id: string): unknown {
    if (!id.startsWith(".")) return undefined;
    let file = path.resolve(dir, id);
    if (!path.extname(file)) file += ".js";
    const cached = this.loaded.get(file);
    if (cached) return cached.exports;
    const src = this.sources.get(file);
    if (src === undefined) return undefined;
    const mod = new Module(file, module) as CompilableModule;
    mod.filename = file;
    mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(path.dirname(file));
    mod.require = this.requireFrom(path.dirname(file));
    mod._compile(src, file);
    this.loaded.set(file, mod);
    return mod.exports;
  }
}
