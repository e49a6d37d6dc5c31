// jsdom lacks a few browser classes that Lumino touches at import.
const g = globalThis as Record<string, unknown>;
g.DragEvent ??= class DragEvent extends MouseEvent {};
