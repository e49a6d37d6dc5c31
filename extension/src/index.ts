export { default as renderers } from "./renderers";
export { default as plugin } from "./plugin";
export { MIME } from "./shared/mime";
