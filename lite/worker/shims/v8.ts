// node:v8 in the tab: the engine's flags cannot be set from a page.
export function setFlagsFromString(): void {}
export default { setFlagsFromString };
