// The examples' command-line options: `--steps 200`, `--out dir` and `--tiny` (the test
// suite's small sizes). Anything else is an error that names it.
export interface Options {
  steps?: number;
  out?: string;
  tiny: boolean;
}

export function parseArgs(argv: string[], usage: string): Options {
  const opts: Options = { tiny: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--tiny") opts.tiny = true;
    else if (a === "--steps") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) fail(`--steps needs a positive whole number, got ${argv[i] ?? "nothing"}`, usage);
      opts.steps = n;
    } else if (a === "--out") {
      if (!argv[i + 1]) fail("--out needs a directory", usage);
      opts.out = argv[++i];
    } else if (a === "--help" || a === "-h") {
      console.log(usage);
      process.exit(0);
    } else fail(`unknown argument ${a}`, usage);
  }
  return opts;
}

function fail(message: string, usage: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}
