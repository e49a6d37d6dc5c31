// Whether this browser gives WebGL contexts, asked once per page: browsers cap live
// contexts (about 16), so the probe's context is released straight away.
let available: boolean | undefined;

export function webglAvailable(): boolean {
  if (available === undefined) {
    try {
      const gl = document.createElement("canvas").getContext("webgl") as WebGLRenderingContext | null;
      available = gl !== null;
      gl?.getExtension("WEBGL_lose_context")?.loseContext();
    } catch {
      available = false;
    }
  }
  return available;
}
