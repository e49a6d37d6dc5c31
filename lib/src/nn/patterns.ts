// Selecting parameters or modules by name. A string pattern matches whole dot-separated
// segments anywhere in a name ("attn.cAttn" matches "h.0.attn.cAttn" and everything under
// it, "h.0" matches "h.0.ln1.weight" but not "h.01..."), and "*" stands for any characters
// ("h.*.mlp", "*.bias"). A RegExp is tested as it is.
export type NamePattern = string | RegExp;

const compiled = new Map<string, RegExp>();

function toRegExp(p: string): RegExp {
  let re = compiled.get(p);
  if (!re) {
    const body = p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    re = new RegExp(`^(?:.*\\.)?${body}(?:\\..*)?$`);
    compiled.set(p, re);
  }
  return re;
}

/**
 * Whether a dotted parameter or module name matches pattern: whole segments anywhere in the
 * name, "*" for any characters, or a RegExp.
 * @example nn.matchesName("h.0.attn.cAttn.weight", "attn.cAttn") // true
 */
export function matchesName(name: string, pattern: NamePattern): boolean {
  return typeof pattern === "string" ? toRegExp(pattern).test(name) : pattern.test(name);
}

export function matchesAny(name: string, patterns: readonly NamePattern[]): boolean {
  return patterns.some((p) => matchesName(name, p));
}
