// The kernel_info_reply: protocol and language versions, and a banner naming what runs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ts } from "./compile";
import { libraryDir } from "./library";
import { protocolVersion } from "./wire";

function versionOf(packageDir: string): string {
  return JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
}

export function kernelInfo(): Record<string, unknown> {
  const lib = libraryDir();
  const libVersion = lib ? versionOf(lib) : "unknown";
  const kernelVersion = versionOf(path.join(__dirname, ".."));
  const tslabVersion = versionOf(path.dirname(require.resolve("tslab/package.json")));
  return {
    status: "ok",
    protocol_version: protocolVersion,
    implementation: "chainlab",
    implementation_version: kernelVersion,
    language_info: {
      name: "typescript",
      version: ts.version,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: { name: "javascript", typescript: true },
    },
    banner: `chainlab ${libVersion} kernel ${kernelVersion}: TypeScript ${ts.version} on Node ${process.version} (tslab ${tslabVersion})`,
    help_links: [],
    debugger: false,
  };
}
