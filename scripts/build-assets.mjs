#!/usr/bin/env node
// The worker's static assets ([assets] in wrangler.toml), built from the installed packages,
// so /docs and /dashboard load nothing from any other host:
//
//   .build/assets/static/scalar.js      the API reference (@scalar/api-reference's standalone bundle)
//   .build/assets/static/dashboard/     the dashboard's script (src/dashboard/client/, bundled by esbuild):
//                                       main.js, and the chunk of the SDK's offline verification it loads on demand
//   .build/assets/static/dashboard.css  its stylesheet
//   .build/assets/_headers              nosniff and revalidation for all of them
//
// Assets are outside the worker's script bundle (the reference alone is 1.4 MiB gzipped, past
// deploy:check's budget). Runs as wrangler's [build] command (dev, deploy, the dry runs of
// deploy:check), as `npm run build:assets` (first in `npm test` and `prepare`) and as the
// tests' globalSetup. Idempotent; a second run with nothing changed writes nothing.
//
//   node scripts/build-assets.mjs
import { createRequire } from "node:module";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ASSETS = join(ROOT, ".build", "assets");
const require = createRequire(join(ROOT, "package.json"));

/** Writes `content` to `path` unless it already holds exactly that (so watchers see no change). */
async function put(path, content) {
  const bytes = typeof content === "string" ? Buffer.from(content) : content;
  const before = await readFile(path).catch(() => null);
  if (before?.equals(bytes)) return false;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return true;
}

export async function buildAssets() {
  // The package exports no path to its browser bundle: find its folder from its main entry.
  const main = require.resolve("@scalar/api-reference");
  const packageDir = main.slice(0, main.lastIndexOf("@scalar/api-reference") + "@scalar/api-reference".length);
  const scalar = await readFile(join(packageDir, "dist", "browser", "standalone.js"));
  // ES modules split in two: the page's small script, and the verification (the SDK and viem)
  // loaded only when a person presses "verify".
  const bundled = await build({
    entryPoints: { main: join(ROOT, "src", "dashboard", "client", "main.ts") },
    bundle: true,
    splitting: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    outdir: join(ASSETS, "static", "dashboard"),
    chunkNames: "[name]-[hash]",
    legalComments: "none",
    tsconfig: join(ROOT, "src", "dashboard", "client", "tsconfig.json"),
    logLevel: "warning",
  });
  const css = await readFile(join(ROOT, "src", "dashboard", "client", "dashboard.css"));
  const headers = [
    "/static/*",
    "  X-Content-Type-Options: nosniff",
    "  Cache-Control: public, max-age=0, must-revalidate",
    "  Cross-Origin-Resource-Policy: same-origin",
    "",
  ].join("\n");
  const changed = [
    await put(join(ASSETS, "static", "scalar.js"), scalar),
    ...(await Promise.all(bundled.outputFiles.map((f) => put(f.path, f.contents)))),
    await put(join(ASSETS, "static", "dashboard.css"), css),
    await put(join(ASSETS, "_headers"), headers),
  ];
  // Chunks of earlier builds (other hashes) go.
  const dir = join(ASSETS, "static", "dashboard");
  const wanted = new Set(bundled.outputFiles.map((f) => f.path));
  for (const name of await readdir(dir)) if (!wanted.has(join(dir, name))) await rm(join(dir, name));
  const entry = bundled.outputFiles.find((f) => f.path.endsWith("/main.js"));
  return { changed: changed.some(Boolean), dashboardBytes: entry.contents.length };
}

/** vitest globalSetup: the assets exist before any worker starts. */
export default async function setup() {
  await buildAssets();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { changed, dashboardBytes } = await buildAssets();
  console.log(`assets in .build/assets ${changed ? "written" : "up to date"} (dashboard/main.js ${(dashboardBytes / 1024).toFixed(1)} KiB)`);
}
