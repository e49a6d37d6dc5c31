// The tutorial notebooks as they are committed, with the outputs of their full run: each
// opens in JupyterLab untrusted and every chainlab output in it draws without an error box.
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { shot, startLab, type Lab } from "./lab";

const dir = path.resolve(__dirname, "..", "..", "notebooks");
const notebooks = readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

/** How many outputs of the notebook carry a chainlab MIME type. */
function chainlabOutputs(file: string): number {
  const nb = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  let n = 0;
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (Object.keys(o.data ?? {}).some((k) => k.startsWith("application/vnd.chainlab."))) n++;
    }
  }
  return n;
}

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
  for (const f of notebooks) copyFileSync(path.join(dir, f), path.join(lab.dir, f));
});
afterAll(async () => { await lab?.stop(); });

it("every notebook is committed with the rich outputs of its run", () => {
  expect(notebooks.length).toBeGreaterThanOrEqual(9);
  expect(notebooks.filter((f) => chainlabOutputs(f) === 0)).toEqual([]);
});

for (const file of notebooks) {
  it(`${file}: its saved outputs draw`, async () => {
    const page = await lab.open(file);
    const expected = chainlabOutputs(file);
    await page.waitForSelector(".cl-output", { timeout: 60_000 });
    await expect.poll(() => page.locator(".cl-output").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(expected);
    await page.waitForTimeout(500);
    expect(await page.locator(".cl-error").allInnerTexts()).toEqual([]);
    await shot(page, `notebook-${file.replace(/\.ipynb$/, "")}`);
    expect(lab.errors).toEqual([]);
    await page.close();
  });
}
