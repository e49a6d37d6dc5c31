// A static file server for the JupyterLite site (lite/dist) on 127.0.0.1, by default with
// the headers that make a page cross-origin isolated (COOP same-origin, COEP
// require-corp): SharedArrayBuffer and shared WebAssembly memory need them. `npm run lite
// -- --serve` and the browser check use it.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ipynb": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/**
 * Serves `dir` on 127.0.0.1 (`port` 0 picks a free one). Resolves to the server, its URL
 * and the files sent so far with their sizes (a test reports what a page fetched).
 * @param {string} dir
 * @param {{ port?: number, isolated?: boolean }} [options]
 */
export function serveSite(dir, { port = 0, isolated = true } = {}) {
  const root = path.resolve(dir);
  /** @type {{ path: string, bytes: number }[]} */
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const headers = { "Cache-Control": "no-cache" };
    if (isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
      headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403, headers).end("outside the site");
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not found: ${url.pathname}`);
      return;
    }
    const { size, mtime } = statSync(file);
    // a browser's cached copy is good while the file is unchanged (whole seconds, as HTTP dates are)
    const since = Date.parse(req.headers["if-modified-since"] ?? "");
    if (!Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since) {
      requests.push({ path: url.pathname, bytes: 0 });
      res.writeHead(304, headers).end();
      return;
    }
    requests.push({ path: url.pathname, bytes: size });
    res.writeHead(200, { ...headers, "Last-Modified": mtime.toUTCString(), "Content-Type": types[path.extname(file)] ?? "application/octet-stream", "Content-Length": size });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      resolve({ server, url: `http://127.0.0.1:${actual}/`, requests });
    });
  });
}
