// The kernel's own diagnostics go to the real stderr (the terminal or log of whatever
// started Jupyter), never into a cell's output, which takes over process.stderr.
const rawStderrWrite = process.stderr.write.bind(process.stderr);

export function log(text: string): void {
  rawStderrWrite(`[chainlab kernel] ${text}\n`);
}
