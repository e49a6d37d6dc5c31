#!/usr/bin/env node
// Deletes what dist/ holds for sources that no longer exist (tsc writes outputs but never
// removes them), so that the package does not ship modules of deleted or renamed files.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
const src = path.join(root, "src");
const generated = new Set(["index.mjs", "index.d.mts"]); // written by esm-wrapper.js

function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(file);
      if (fs.readdirSync(file).length === 0) fs.rmdirSync(file);
      continue;
    }
    const rel = path.relative(dist, file);
    if (generated.has(rel)) continue;
    const stem = rel.replace(/(\.d\.ts|\.js\.map|\.js)$/, "");
    if (stem === rel) continue; // not a compiler output
    if (!fs.existsSync(path.join(src, `${stem}.ts`))) {
      fs.rmSync(file);
      console.log(`prune-dist: removed dist/${rel} (no src/${stem}.ts)`);
    }
  }
}

if (fs.existsSync(dist)) walk(dist);
