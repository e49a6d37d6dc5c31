// How the graph sits in its scrolling box: the zoom at which it opens (all of it in view
// when it fits above a readable size) and the scroll that keeps the step's nodes in view.

/** Below this the boxes' 11 px text is under 10 px, too small to read: a larger graph scrolls instead. */
export const MIN_READABLE_ZOOM = 10 / 11;
/** Room kept around a node scrolled into view, in screen pixels. */
const MARGIN = 24;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The zoom that shows a width x height drawing in a view of the given size: never above 1
 * (boxes are drawn at their natural size), never below `min`.
 */
export function fitZoom(view: { width: number; height: number }, drawing: { width: number; height: number }, min = MIN_READABLE_ZOOM): number {
  if (!(view.width > 0) || !(drawing.width > 0) || !(drawing.height > 0)) return 1;
  const byWidth = view.width / drawing.width;
  const byHeight = view.height > 0 ? view.height / drawing.height : Infinity;
  return Math.max(min, Math.min(1, byWidth, byHeight));
}

/**
 * One axis of the scroll that brings [start, start + size) into [scroll, scroll + view):
 * unchanged when it is already in, the least move when it fits, else its start at the edge.
 */
function axis(start: number, size: number, scroll: number, view: number): number {
  const margin = Math.min(MARGIN, Math.max(0, (view - size) / 2));
  if (start - margin >= scroll && start + size + margin <= scroll + view) return scroll;
  if (size + 2 * margin > view) return Math.max(0, start - margin);
  if (start - margin < scroll) return Math.max(0, start - margin);
  return Math.max(0, start + size + margin - view);
}

/** The scroll position that shows the box (in drawing pixels at the given zoom). */
export function scrollFor(box: Box, zoom: number, view: { left: number; top: number; width: number; height: number }): { left: number; top: number } {
  return {
    left: axis(box.x * zoom, box.width * zoom, view.left, view.width),
    top: axis(box.y * zoom, box.height * zoom, view.top, view.height),
  };
}

/** The smallest box around the given boxes. */
export function union(boxes: Box[]): Box | null {
  if (!boxes.length) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
