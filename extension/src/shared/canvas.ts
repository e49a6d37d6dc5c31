/** The canvas's 2-D context, or null where there is none (jsdom throws; some browsers refuse). */
export function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  try {
    return canvas.getContext("2d");
  } catch {
    return null;
  }
}
