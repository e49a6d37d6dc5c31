// What Shift+Tab shows: the declaration's signature and its doc comment (summary and tags
// such as @param and @example), as plain text and as Markdown for JupyterLab's tooltip.
import type * as TS from "typescript";
import type { MimeBundle } from "chainlab";

export type QuickInfo = TS.QuickInfo;

const text = (parts: readonly TS.SymbolDisplayPart[] | undefined) => (parts ?? []).map((p) => p.text).join("");

/** The signature without the `(alias)` mark and `import tensor` line TypeScript adds for imports. */
function signature(info: TS.QuickInfo): string {
  const [first, ...rest] = text(info.displayParts).split("\n");
  return [first.replace(/^\(alias\) /, ""), ...rest.filter((l) => !/^(?:import|export) [\w$.]+$/.test(l.trim()))].join("\n");
}

function tagLine(tag: TS.JSDocTagInfo, markdown: boolean): string {
  const body = text(tag.text);
  if (tag.name === "example") return markdown ? `*Example*\n\n\`\`\`typescript\n${body.trim()}\n\`\`\`` : `Example:\n${body}`;
  if (tag.name === "param") {
    const [name, ...words] = body.split(" ");
    return markdown ? `*@param* \`${name}\` ${words.join(" ")}` : `@param ${body}`;
  }
  return markdown ? `*@${tag.name}* ${body}` : `@${tag.name} ${body}`;
}

export function inspectBundle(info: TS.QuickInfo): MimeBundle {
  const sig = signature(info);
  const docs = text(info.documentation).trim();
  const tags = info.tags ?? [];
  const plain = [sig, docs, ...tags.map((t) => tagLine(t, false))].filter(Boolean).join("\n\n");
  const markdown = ["```typescript\n" + sig + "\n```", docs, ...tags.map((t) => tagLine(t, true))].filter(Boolean).join("\n\n");
  return { "text/plain": plain, "text/markdown": markdown };
}
