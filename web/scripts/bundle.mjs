// Bundles the page (src/ -> dist/) and the tests (tests/ -> build/tests/) with esbuild,
// and copies the static files, the WebAssembly module and the example plans and data.
// Run by build.sh after wasm-bindgen has written build/pkg/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(web);
const dist = join(web, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "examples", "data"), { recursive: true });

await build({
  entryPoints: [join(web, "src", "main.ts")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
});

const tests = readdirSync(join(web, "tests")).filter((name) => name.endsWith(".ts"));
await build({
  entryPoints: tests.map((name) => join(web, "tests", name)),
  outdir: join(web, "build", "tests"),
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});

for (const file of ["index.html", "style.css"]) copyFileSync(join(web, "src", file), join(dist, file));
copyFileSync(join(web, "build", "pkg", "payplan_wasm_bg.wasm"), join(dist, "payplan_wasm_bg.wasm"));

const plans = readdirSync(join(root, "plans")).filter((name) => name.endsWith(".plan")).sort();
const data = readdirSync(join(root, "plans", "data")).filter((name) => name.endsWith(".csv")).sort();
for (const name of plans) copyFileSync(join(root, "plans", name), join(dist, "examples", name));
for (const name of data) copyFileSync(join(root, "plans", "data", name), join(dist, "examples", "data", name));
writeFileSync(join(dist, "examples", "index.json"), JSON.stringify({ plans, data }, null, 2) + "\n");
console.log(`page: ${dist} (${plans.length} example plans, ${data.length} data files)`);
