/**
 * One engine everywhere: every conformance case and every example plan, run through
 * the WebAssembly build under Node, must give byte for byte what the native CLI
 * prints (`run --format csv|json|table`, and `explain --format json|text|html` for
 * one payee per example plan). Every payee's preview bundle (`payplan bundle --all`)
 * evaluated in WebAssembly gives exactly that payee's lines of the native run, and
 * pays a hypothetical deal as the data-backed session does.
 *
 * Paths: PAYPLAN_BIN (default: $CARGO_TARGET_DIR or target/, then release/payplan),
 * PAYPLAN_CONFORMANCE (default: ../shared/conformance beside the repository).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { BundleEngine, check, Engine, loadEngineSync, planHash, type Problem, type TextResult, type WhatIfDeal } from "../src/engine.js";
import type { RunDocument } from "../src/run-document.js";

/** web/ (this file runs from web/build/tests/). */
const web = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const root = dirname(web);
const cli = process.env["PAYPLAN_BIN"] ?? join(process.env["CARGO_TARGET_DIR"] ?? join(root, "target"), "release", "payplan");
const conformance = process.env["PAYPLAN_CONFORMANCE"] ?? join(root, "..", "shared", "conformance");

loadEngineSync(readFileSync(join(web, "dist", "payplan_wasm_bg.wasm")));

/** The CLI's exit status and standard output (bytes). */
function payplan(args: string[], cwd: string): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(cli, args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (result.error !== undefined) throw new Error(`cannot run ${cli}: ${result.error.message} (build it with cargo build --release -p payplan-cli)`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString("utf8") };
}

/** A plan file's text as the CLI reads it. */
function readPlan(path: string): string {
  const text = readFileSync(path, "utf8");
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

/** An engine holding a plan and a folder of CSV files, named as the CLI names them from `cwd`. */
function engineFor(planPath: string, dataDir: string, cwd: string): Engine {
  const engine = new Engine();
  engine.setPlan(readPlan(planPath));
  for (const name of readdirSync(dataDir).sort()) {
    if (name.endsWith(".csv")) engine.addCsvFile(join(relative(cwd, dataDir), name), readFileSync(join(dataDir, name)));
  }
  return engine;
}

/** Requires the engine's result to be the CLI's output, byte for byte (or both to fail). */
function assertSame(what: string, wasm: TextResult, native: { status: number | null; stdout: Buffer; stderr: string }): void {
  if (native.status !== 0) {
    assert.equal(wasm.ok, false, `${what}: the CLI failed (${native.stderr.trim()}) but the WebAssembly build did not`);
    return;
  }
  assert.ok(wasm.ok, `${what}: the WebAssembly build failed: ${wasm.ok ? "" : wasm.problems.map((p) => p.message).join("; ")}`);
  const bytes = Buffer.from(wasm.text, "utf8");
  if (!bytes.equals(native.stdout)) {
    const ours = wasm.text.split("\n");
    const theirs = native.stdout.toString("utf8").split("\n");
    const line = ours.findIndex((text, i) => text !== theirs[i]);
    assert.fail(`${what}: differs from the CLI at line ${line + 1}:\n  wasm: ${ours[line]}\n  cli:  ${theirs[line]}`);
  }
}

test("the native CLI is built", () => {
  assert.ok(existsSync(cli), `no CLI at ${cli}: build it with cargo build --release -p payplan-cli, or set PAYPLAN_BIN`);
});

const casesDir = join(conformance, "cases");
const cases = existsSync(casesDir) ? readdirSync(casesDir).filter((name) => existsSync(join(casesDir, name, "plan.plan"))).sort() : [];

test("conformance cases: run --format csv and json are byte-identical", { skip: cases.length === 0 ? `no conformance cases at ${casesDir}` : false }, async (t) => {
  for (const name of cases) {
    await t.test(name, () => {
      const plan = join("cases", name, "plan.plan");
      const data = join("cases", name, "data");
      const engine = engineFor(join(conformance, plan), join(conformance, data), conformance);
      for (const format of ["csv", "json"] as const) {
        assertSame(`${name} --format ${format}`, engine.run(format), payplan(["run", plan, "--data", data, "--format", format], conformance));
      }
    });
  }
});

const examples = readdirSync(join(root, "plans")).filter((name) => name.endsWith(".plan")).sort();

test("example plans: run and explain are byte-identical", async (t) => {
  assert.ok(examples.length > 0, "no example plans in plans/");
  for (const name of examples) {
    await t.test(name, () => {
      const plan = join("plans", name);
      const data = join("plans", "data");
      const engine = engineFor(join(root, plan), join(root, data), root);
      for (const format of ["csv", "json", "table"] as const) {
        assertSame(`${name} --format ${format}`, engine.run(format), payplan(["run", plan, "--data", data, "--format", format], root));
      }
      const run = engine.run("json");
      assert.ok(run.ok, `${name}: no run`);
      // The payee with the largest payout: the statement with the most to explain.
      const payees = (JSON.parse(run.text) as RunDocument).payees;
      const total = (p: RunDocument["payees"][number]): number => p.periods.reduce((sum, period) => sum + Number(period.lines.find((l) => l.line === "payout")?.amount ?? 0), 0);
      const payee = [...payees].sort((a, b) => total(b) - total(a) || a.id.localeCompare(b.id))[0]?.id;
      assert.ok(payee !== undefined, `${name}: no eligible payee`);
      for (const format of ["json", "text"] as const) {
        assertSame(`${name} explain ${payee} --format ${format}`, engine.explain(payee, format), payplan(["explain", plan, "--data", data, "--payee", payee, "--format", format], root));
      }
      // The page's preview shows the statement's lines.
      const statement = engine.explain(payee, "json");
      const preview = engine.preview(payee);
      assert.ok(statement.ok && preview.ok, `${name}: no preview of ${payee}`);
      const statementLines = (JSON.parse(statement.text) as { periods: { period: string; lines: unknown[] }[] }).periods.map((p) => [p.period, p.lines]);
      assert.deepEqual(preview.value.periods.map((p) => [p.period, p.lines]), statementLines);
      const pages = mkdtempSync(join(tmpdir(), "payplan-html-"));
      try {
        const native = payplan(["explain", plan, "--data", data, "--payee", payee, "--format", "html", "-o", pages], root);
        const page = join(pages, `${payee}.html`);
        assertSame(`${name} explain ${payee} --format html`, engine.explain(payee, "html"), { ...native, stdout: native.status === 0 ? readFileSync(page) : Buffer.alloc(0) });
      } finally {
        rmSync(pages, { recursive: true, force: true });
      }
    });
  }
});

test("periods: run --period and explain --period match, an unknown period is a usage problem", () => {
  const plan = join("plans", "enterprise-ae.plan");
  const data = join("plans", "data");
  const engine = engineFor(join(root, plan), join(root, data), root);
  assertSame("--period Q2", engine.run("csv", { period: "Q2" }), payplan(["run", plan, "--data", data, "--format", "csv", "--period", "Q2"], root));
  const unknown = engine.run("csv", { period: "Q9" });
  assert.equal(unknown.ok, false);
  assert.equal(unknown.ok ? "" : unknown.problems[0]?.stage, "usage");
});

test("plans at the syntax's nesting limits check and run without exhausting the WebAssembly stack", () => {
  const deepSum = Array.from({ length: 190 }, () => "1").join(" + ");
  const brackets = `${"(".repeat(60)}1${")".repeat(60)}`;
  const ifs = `${Array.from({ length: 150 }, (_, i) => `if attainment > ${150 - i}% then ${i}`).join(" else ")} else 0`;
  const stressed = [
    'plan "Nesting limits" {',
    "    currency USD",
    "    term 2027-01-01 to 2027-12-31",
    "    period quarter",
    '    credit direct { when booking.status == "won"  to splits }',
    "    measure bookings = credited(direct)",
    '    measure attainment = bookings / quota("bookings")',
    `    let deep_sum = ${deepSum}`,
    `    let brackets = ${brackets}`,
    `    let many_ifs = ${ifs}`,
    "    commission base { on bookings  rate 8% }",
    "    bonus stress { when deep_sum + brackets + many_ifs > 100  pay 1 USD }",
    "}",
    "",
  ].join("\n");
  const report = check(stressed);
  assert.deepEqual(report.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  const dir = mkdtempSync(join(tmpdir(), "payplan-deep-"));
  try {
    writeFileSync(join(dir, "deep.plan"), stressed);
    const engine = new Engine();
    engine.setPlan(stressed);
    for (const name of readdirSync(join(root, "plans", "data")).sort()) engine.addCsvFile(join(root, "plans", "data", name), readFileSync(join(root, "plans", "data", name)));
    assertSame("stress plan --format csv", engine.run("csv"), payplan(["run", join(dir, "deep.plan"), "--data", join(root, "plans", "data"), "--format", "csv"], root));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("diagnostics carry byte and UTF-16 ranges, labels and help", () => {
  const source = `# Ünïcödé 💶 comment\n${readPlan(join(root, "plans", "enterprise-ae.plan")).replace("measure bookings = credited(direct)", "measure bookings = credited(direct) + 5")}`;
  const report = check(source);
  assert.equal(report.ok, false);
  const problem = report.diagnostics.find((d) => d.severity === "error");
  assert.ok(problem?.range, "an error with a range");
  const bytes = Buffer.from(source, "utf8");
  const range = problem.range;
  assert.equal(bytes.subarray(range.start, range.end).toString("utf8"), source.slice(range.start_utf16, range.end_utf16));
  assert.ok(problem.labels.length >= 1 && problem.labels[0]?.start === range.start);
  assert.equal(typeof problem.help, "string");
});

test("hypothetical deals: validated, added as WHATIF bookings, and paid like a data row", () => {
  const plan = join("plans", "enterprise-ae.plan");
  const engine = engineFor(join(root, plan), join(root, "plans", "data"), root);
  const problems = engine.setWhatIfDeals([{ owner: "E-111", date: "2027-13-01", amount: "12,000", fields: { product: "Security" } }]);
  assert.deepEqual(problems.map((p) => [p.deal, p.field]), [[1, "date"], [1, "amount"]]);
  assert.deepEqual(engine.setWhatIfDeals([{ owner: "E-111", date: "2027-11-15", amount: "250000", currency: "USD", fields: { product: "Security" } }]), []);
  const withDeal = engine.run("csv", { withDeals: true });
  // The same deal as a row of bookings.csv, run by the CLI.
  const dir = mkdtempSync(join(tmpdir(), "payplan-whatif-"));
  try {
    for (const name of readdirSync(join(root, "plans", "data"))) writeFileSync(join(dir, name), readFileSync(join(root, "plans", "data", name)));
    const bookings = readFileSync(join(dir, "bookings.csv"), "utf8");
    const header = (bookings.split("\n")[0] ?? "").split(",");
    const row: Record<string, string> = { id: "WHATIF-1", date: "2027-11-15", amount: "250000", currency: "USD", owner: "E-111", status: "won", product: "Security" };
    writeFileSync(join(dir, "bookings.csv"), `${bookings.replace(/\n?$/, "\n")}${header.map((column) => row[column.trim()] ?? "").join(",")}\n`);
    assertSame("what-if deal vs the same row in bookings.csv", withDeal, payplan(["run", plan, "--data", dir, "--format", "csv"], root));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const actual = engine.run("csv");
  assert.ok(actual.ok && withDeal.ok && actual.text !== withDeal.text, "the deal changes the results");
});

/** A folder of every eligible payee's bundle, made by the CLI (`payplan bundle --all`); removed by `done`. */
function bundlesOf(plan: string): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "payplan-bundles-"));
  const made = payplan(["bundle", plan, "--data", join("plans", "data"), "--all", "-o", dir], root);
  assert.equal(made.status, 0, `payplan bundle ${plan} --all: ${made.stderr}`);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens a bundle file in a new bundle session (failing the test when it does not open). */
function openBundle(path: string, planText?: string): { engine: BundleEngine; payee: string } {
  const engine = new BundleEngine();
  const opened = engine.open(path.split("/").pop() ?? path, readFileSync(path), planText === undefined ? {} : { planText });
  assert.ok(opened.ok, `${path}: ${opened.ok ? "" : opened.problems.map((p) => p.message).join("; ")}`);
  return { engine, payee: opened.value.payee.id };
}

/** The CLI's `run --format json` of an example plan on plans/data. */
function nativeRun(plan: string): RunDocument {
  const native = payplan(["run", plan, "--data", join("plans", "data"), "--format", "json"], root);
  assert.equal(native.status, 0, native.stderr);
  return JSON.parse(native.stdout.toString("utf8")) as RunDocument;
}

/** The rows of one payee in `run --format csv`. */
function csvRows(csv: string, payee: string): string[] {
  return csv.split("\n").filter((row) => row.startsWith(`${payee},`));
}

test("bundles: every eligible payee's bundle gives exactly their lines of the native run", async (t) => {
  for (const name of examples) {
    await t.test(name, () => {
      const plan = join("plans", name);
      const full = nativeRun(plan);
      const nativeCsv = payplan(["run", plan, "--data", join("plans", "data"), "--format", "csv"], root).stdout.toString("utf8");
      const bundles = bundlesOf(plan);
      try {
        const files = readdirSync(bundles.dir).sort();
        const seen: string[] = [];
        for (const file of files) {
          const { engine, payee } = openBundle(join(bundles.dir, file), readPlan(join(root, plan)));
          seen.push(payee);
          const expected = full.payees.find((p) => p.id === payee);
          assert.ok(expected !== undefined, `${file}: ${payee} is not in the native run`);
          const run = engine.run("json");
          assert.ok(run.ok, `${name} ${payee}: no run from the bundle`);
          const document = JSON.parse(run.text) as RunDocument;
          assert.deepEqual(document.payees, [expected], `${name} ${payee}: the bundle's lines differ from the native run's`);
          assert.deepEqual([document.plan, document.currency, document.periods], [full.plan, full.currency, full.periods]);
          const csv = engine.run("csv");
          assert.ok(csv.ok);
          assert.deepEqual(csvRows(csv.text, payee), csvRows(nativeCsv, payee), `${name} ${payee}: csv rows`);
          // The rep view's figures: the preview's lines are the run's.
          const preview = engine.preview(payee);
          assert.ok(preview.ok, `${name} ${payee}: no preview`);
          assert.deepEqual(preview.value.periods.map((p) => ({ period: p.period, lines: p.lines })), expected.periods);
          assert.equal(preview.value.balance, expected.balance);
          const statement = engine.explain(payee, "text");
          assert.ok(statement.ok && statement.text.startsWith(`Statement for ${payee}`), `${name} ${payee}: no statement`);
        }
        assert.deepEqual(seen.sort(), full.payees.map((p) => p.id).sort(), `${name}: one bundle per eligible payee`);
      } finally {
        bundles.done();
      }
    });
  }
});

/** A hypothetical deal of `payee` for an example plan: a value for each declared text field, split 60/40 with `partner`. */
function dealFor(engine: Engine, payee: string, partner: string): WhatIfDeal {
  const summary = engine.dataSummary();
  assert.ok(summary.ok);
  const fields: Record<string, string> = {};
  for (const field of summary.value.field_values) {
    // `se` names the SE credited (se-overlay.plan): the payee.
    const value = field.name === "se" ? payee : field.values.includes("Security") ? "Security" : field.values[0];
    if (value !== undefined) fields[field.name] = value;
  }
  return { owner: payee, date: "2027-08-20", amount: "180000", currency: "EUR", fields, splits: [{ payee, share: "60%" }, { payee: partner, share: "40%" }] };
}

/** Each payee's manager, from plans/data/payees.csv. */
function managers(): Map<string, string> {
  const [header, ...rows] = readFileSync(join(root, "plans", "data", "payees.csv"), "utf8").trim().split("\n");
  const columns = (header ?? "").split(",");
  const id = columns.indexOf("id");
  const manager = columns.indexOf("manager");
  return new Map(rows.map((row) => row.split(",")).map((cells) => [cells[id] ?? "", cells[manager] ?? ""]));
}

/** Whether `payee` is `manager` or reports to them, at any level. */
function inReportingLine(payee: string, manager: string, managerOf: ReadonlyMap<string, string>): boolean {
  for (let current: string | undefined = payee; current !== undefined && current !== ""; current = managerOf.get(current)) {
    if (current === manager) return true;
  }
  return false;
}

/**
 * A deal split with a colleague pays the payee's share as the full data does. The
 * colleague is outside the payee's team: credit rolling up to a manager from a team
 * member's share needs the hierarchy, which a bundle does not hold (the page offers
 * "another payee" for a bundle's split rows).
 */
test("bundles: a hypothetical deal pays as the same deal in the data-backed session", async (t) => {
  let changed = 0;
  const managerOf = managers();
  for (const name of examples) {
    await t.test(name, () => {
      const plan = join("plans", name);
      const data = engineFor(join(root, plan), join(root, "plans", "data"), root);
      const full = nativeRun(plan);
      const bundles = bundlesOf(plan);
      try {
        for (const file of readdirSync(bundles.dir).sort()) {
          const { engine, payee } = openBundle(join(bundles.dir, file));
          const partner = full.payees.find((p) => !inReportingLine(p.id, payee, managerOf))?.id ?? "E-101";
          const deal = dealFor(data, payee, partner);
          assert.deepEqual(data.setWhatIfDeals([deal]), [], `${name} ${payee}: the data-backed session refuses the deal`);
          assert.deepEqual(engine.setWhatIfDeals([deal]), [], `${name} ${payee}: the bundle refuses the deal`);
          const fromData = data.preview(payee, { withDeals: true });
          const fromBundle = engine.preview(payee, { withDeals: true });
          const problems = (answer: { ok: boolean; problems?: Problem[] }): string => (answer.problems ?? []).map((p) => p.message).join("; ");
          assert.equal(fromBundle.ok, fromData.ok, `${name} ${payee}: ${problems(fromBundle)} / ${problems(fromData)}`);
          if (!fromData.ok || !fromBundle.ok) continue;
          assert.deepEqual(fromBundle.value.periods, fromData.value.periods, `${name} ${payee}: the deal pays differently`);
          assert.deepEqual(fromBundle.value.measures, fromData.value.measures, `${name} ${payee}: measures with the deal`);
          const before = engine.preview(payee);
          assert.ok(before.ok);
          if (JSON.stringify(before.value.periods) !== JSON.stringify(fromBundle.value.periods)) changed++;
        }
      } finally {
        bundles.done();
      }
    });
  }
  assert.ok(changed > 10, `the deals change the figures of only ${changed} payees`);
});

test("bundles: another plan version, a tampered file, another format and a non-bundle are clear errors", () => {
  const plan = join("plans", "enterprise-ae.plan");
  const planText = readPlan(join(root, plan));
  const bundles = bundlesOf(plan);
  try {
    const file = readdirSync(bundles.dir).sort()[0] ?? "";
    const bytes = readFileSync(join(bundles.dir, file));
    const json = bytes.toString("utf8");
    const engine = new BundleEngine();
    const refused = (content: string | Buffer, options: { planText?: string } = {}): Problem => {
      const opened = engine.open(file, typeof content === "string" ? Buffer.from(content) : content, options);
      assert.equal(opened.ok, false, "the bundle opened");
      const [problem] = opened.ok ? [] : opened.problems;
      assert.ok(problem !== undefined && problem.stage === "bundle" && problem.code === "payplan::bundle" && problem.help !== null, JSON.stringify(problem));
      assert.ok(problem.message.startsWith(`${file}: `), problem.message);
      return problem;
    };
    // The plan loaded in the editor is another version: refused, whichever way it differs.
    const edited = planText.replace("15_000 USD", "16_000 USD");
    assert.notEqual(edited, planText);
    assert.match(refused(bytes, { planText: edited }).message, /made for another version of the plan \(plan hash [0-9a-f]{12}…\), not the plan loaded/);
    assert.match(refused(bytes, { planText: readPlan(join(root, "plans", "se-overlay.plan")) }).message, /another version of the plan/);
    assert.ok(engine.open(file, bytes, { planText }).ok, "the same plan version opens");
    assert.equal(engine.summary()?.plan_sha256, planHash(planText));
    // Tampered: the plan text no longer matches its hash.
    const tampered = refused(json.replace("15_000 USD", "99_000 USD"));
    assert.match(tampered.message, /does not match its hash: the file was altered/);
    assert.match(tampered.help ?? "", /ask for the bundle again/);
    // Tampered consistently (plan and hash): with the editor's plan loaded, it is another version.
    const rehashed = json.replace("15_000 USD", "99_000 USD").replace(planHash(planText), planHash(planText.replace("15_000 USD", "99_000 USD")));
    assert.match(refused(rehashed, { planText }).message, /another version of the plan/);
    assert.match(refused(json.replace('"payplan-bundle/1"', '"payplan-bundle/2"')).message, /format `payplan-bundle\/2` is not one this payplan reads/);
    assert.match(refused(readFileSync(join(root, "plans", "data", "bookings.csv"))).message, /not a payplan bundle/);
    assert.match(refused(Buffer.from([0xff, 0xfe, 0x41])).message, /not UTF-8/);
    // After all that, the bundle opened last is still the one open.
    const payee = engine.summary()?.payee.id ?? "";
    assert.ok(engine.preview(payee).ok);
    const other = engine.preview("E-999");
    assert.ok(!other.ok && other.problems[0]?.stage === "usage" && /holds the figures of `.*` only/.test(other.problems[0].message));
  } finally {
    bundles.done();
  }
});
