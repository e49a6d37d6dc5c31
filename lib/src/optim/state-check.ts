// A saved optimizer or scheduler state comes from a file that may be damaged or written by
// anyone. Its hyperparameters are checked when it is loaded, so that an lr of NaN, a step
// of -1 or an lr of "fast" is refused there, naming the field, rather than turning every
// weight into NaN at the first step() (or failing only then).

/** Called with the field at fault ("paramGroups[0].lr") and what is wrong with it. */
export type StateFail = (field: string, problem: string) => never;

function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

/** A finite number in [min, max] (max excluded when open). */
function checkNumber(v: unknown, field: string, fail: StateFail, min: number, max = Infinity, open = false): void {
  const inRange = typeof v === "number" && Number.isFinite(v) && v >= min && (open ? v < max : v <= max);
  if (!inRange) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}${open ? ")" : "]"}`;
    fail(field, `is ${shown(v)}; expected a finite number ${range}`);
  }
}

/**
 * The hyperparameters every optimizer here knows, with the values that keep an update
 * finite. Any other key of a group is left alone (a user may keep their own there).
 */
const GROUP_RULES: Record<string, (v: unknown, field: string, fail: StateFail) => void> = {
  lr: (v, f, fail) => checkNumber(v, f, fail, 0),
  initialLr: (v, f, fail) => checkNumber(v, f, fail, 0),
  momentum: (v, f, fail) => checkNumber(v, f, fail, 0),
  dampening: (v, f, fail) => checkNumber(v, f, fail, 0, 1),
  weightDecay: (v, f, fail) => checkNumber(v, f, fail, 0),
  eps: (v, f, fail) => checkNumber(v, f, fail, 0),
  betas: (v, f, fail) => {
    if (!Array.isArray(v) || v.length !== 2) fail(f, `is ${shown(v)}; expected two numbers [beta1, beta2]`);
    (v as unknown[]).forEach((b, i) => checkNumber(b, `${f}[${i}]`, fail, 0, 1, true));
  },
  nesterov: (v, f, fail) => {
    if (typeof v !== "boolean") fail(f, `is ${shown(v)}; expected true or false`);
  },
  amsgrad: (v, f, fail) => {
    if (typeof v !== "boolean") fail(f, `is ${shown(v)}; expected true or false`);
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether a value has the shape of an optimizer's stateDict(). */
export function looksLikeOptimizerState(v: unknown): boolean {
  return isObject(v) && "paramGroups" in v && "state" in v;
}

/** Whether a value has the shape of a scheduler's stateDict(). */
export function looksLikeSchedulerState(v: unknown): boolean {
  return isObject(v) && "lastEpoch" in v && !("paramGroups" in v);
}

/**
 * Check an optimizer state dict: groups with their parameters' positions and hyperparameters
 * in range, per-parameter step counts whole and >= 0, other per-parameter numbers finite.
 * Tensors in the state are checked against the parameters by loadStateDict().
 */
export function checkOptimizerState(sd: unknown, fail: StateFail): void {
  if (!isObject(sd)) fail("(the state dict)", `is ${shown(sd)}; expected {state, paramGroups}`);
  const { paramGroups, state } = sd as Record<string, unknown>;
  if (!Array.isArray(paramGroups)) fail("paramGroups", `is ${shown(paramGroups)}; expected a list of groups`);
  (paramGroups as unknown[]).forEach((g, i) => {
    const at = `paramGroups[${i}]`;
    if (!isObject(g)) fail(at, `is ${shown(g)}; expected an object`);
    const group = g as Record<string, unknown>;
    if (!Array.isArray(group.params) || group.params.some((p) => !Number.isSafeInteger(p) || (p as number) < 0)) {
      fail(`${at}.params`, `is ${shown(group.params)}; expected a list of parameter positions`);
    }
    if (!("lr" in group)) fail(`${at}.lr`, "is missing");
    for (const [k, rule] of Object.entries(GROUP_RULES)) if (k in group) rule(group[k], `${at}.${k}`, fail);
  });
  if (!isObject(state)) fail("state", `is ${shown(state)}; expected an object keyed by parameter position`);
  for (const [key, s] of Object.entries(state as Record<string, unknown>)) {
    const at = `state[${key}]`;
    if (!/^\d+$/.test(key)) fail(at, "is not a parameter position");
    if (!isObject(s)) fail(at, `is ${shown(s)}; expected an object`);
    for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
      if (k === "step") {
        if (!Number.isSafeInteger(v) || (v as number) < 0) fail(`${at}.step`, `is ${shown(v)}; expected a whole number >= 0`);
      } else if (typeof v === "number") {
        if (!Number.isFinite(v)) fail(`${at}.${k}`, `is ${v}; expected a finite number`);
      } else if (typeof v !== "object" || v === null) {
        fail(`${at}.${k}`, `is ${shown(v)}; expected a tensor or a number`);
      }
    }
  }
}

/** Check a scheduler's stateDict(): a whole lastEpoch >= 0 and finite base lrs >= 0. */
export function checkSchedulerState(sd: unknown, fail: StateFail): void {
  if (!isObject(sd)) fail("(the state dict)", `is ${shown(sd)}; expected {lastEpoch, baseLrs}`);
  const { lastEpoch, baseLrs } = sd as Record<string, unknown>;
  if (!Number.isSafeInteger(lastEpoch) || (lastEpoch as number) < 0) fail("lastEpoch", `is ${shown(lastEpoch)}; expected a whole number >= 0`);
  if (baseLrs !== undefined) {
    if (!Array.isArray(baseLrs)) fail("baseLrs", `is ${shown(baseLrs)}; expected a list of numbers`);
    (baseLrs as unknown[]).forEach((v, i) => checkNumber(v, `baseLrs[${i}]`, fail, 0));
  }
}
