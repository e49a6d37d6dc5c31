// Which rows of a tree (listed parents first, each with its depth) a summary keeps when it
// may show at most `budget`: every level down to the deepest that fits whole, then the first
// rows of the next level while the budget lasts. The library's module summary and the
// extension's renderer both cut by it (the extension imports this file), so a summary reads
// the same whichever side had to cut it.
export function keptRows(depths: readonly number[], budget: number): boolean[] {
  const perDepth: number[] = [];
  for (const d of depths) perDepth[d] = (perDepth[d] ?? 0) + 1;
  let maxDepth = 0;
  for (let d = 0, sum = 0; d < perDepth.length; d++) {
    sum += perDepth[d] ?? 0;
    if (sum > budget) break;
    maxDepth = d;
  }
  let room = budget;
  const kept = depths.map((d) => d <= maxDepth && room-- > 0);
  depths.forEach((d, i) => {
    if (d === maxDepth + 1 && room > 0) {
      kept[i] = true;
      room--;
    }
  });
  return kept;
}
