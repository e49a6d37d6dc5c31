// The kernel_info_reply: protocol and language versions, and a banner naming what runs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { libraryDir } from "./library";
import { protocolVersion } from "../shared/wire";

function versionOf(packageDir: string): string {
  return JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
}

export function kernelInfo(): Record<string, unknown> {
  const lib = libraryDir();
  const libVersion = lib ? versionOf(lib) : "unknown";
  const kernelVersion = versionOf(path.join(__dirname, "..", ".."));
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const tslabVersion = versionOf(tslabDir);
  // Read from its package: loading TypeScript here would put it in the main thread's heap.
  const tsVersion = versionOf(path.dirname(createRequire(path.join(tslabDir, "package.json")).resolve("@tslab/typescript-for-tslab/package.json")));
  return {
    status: "ok",
    protocol_version: protocolVersion,
    implementation: "chainlab",
    implementation_version: kernelVersion,
    language_info: {
      name: "typescript",
      version: tsVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: { name: "javascript", typescript: true },
    },
    banner: `chainlab ${libVersion} kernel ${kernelVersion}: TypeScript ${tsVersion} on Node ${process.version} (tslab ${tslabVersion})`,
    help_links: helpLinks(),
    debugger: false,
  };
}

/**
 * The Help menu's links while a chainlab notebook is active. The API reference is served by
 * JupyterLab (the kernelspec's installer put it there with --docs); JupyterHub's single-user
 * servers sit under JUPYTERHUB_SERVICE_PREFIX, other servers at / unless configured.
 */
function helpLinks(): { text: string; url: string }[] {
  const links: { text: string; url: string }[] = [];
  const docs = process.env.CHAINLAB_API_DOCS;
  if (docs) {
    const base = process.env.JUPYTERHUB_SERVICE_PREFIX ?? "/";
    links.push({ text: "chainlab API reference", url: `${base.endsWith("/") ? base : base + "/"}${docs}` });
  }
  links.push({ text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" });
  return links;
}
