/**
 * The payplan engine (Rust compiled to WebAssembly), with the types of what it returns.
 *
 * Everything the engine computes crosses into JavaScript as text: `run` and `explain`
 * return the exact text of `payplan run` and `payplan explain`, and every amount in
 * the JSON formats is a string. Nothing here turns an amount into a JavaScript number.
 *
 * Two kinds of session: `Engine` holds a plan and a whole data set (the plan editor,
 * and the rep preview of any payee); `BundleEngine` holds one payee's preview bundle
 * (`payplan bundle`) and computes that payee's figures from it alone. The rep preview
 * works on either through `PreviewSource`.
 */
import init, { initSync, BundleSession as WasmBundleSession, check as wasmCheck, planHash as wasmPlanHash, Session as WasmSession, version as wasmVersion } from "../build/pkg/payplan_wasm.js";

/** How bad a problem is. */
export type Severity = "error" | "warning";

/** Which stage found a problem. */
export type Stage = "plan" | "data" | "whatif" | "bundle" | "eval" | "usage";

/** A range of the plan source, in bytes and in UTF-16 code units (JavaScript string offsets). */
export interface SourceRange {
  start: number;
  end: number;
  start_utf16: number;
  end_utf16: number;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
}

/** A labelled range; a problem's first label is its primary one. */
export interface ProblemLabel extends SourceRange {
  message: string;
}

/** A plan diagnostic, a data error, a hypothetical-deal error, an evaluation or usage error. */
export interface Problem {
  stage: Stage;
  code: string;
  severity: Severity;
  message: string;
  range: SourceRange | null;
  labels: ProblemLabel[];
  help: string | null;
  file: string | null;
  line: number | null;
  /** The 1-based hypothetical deal the problem is about. */
  deal: number | null;
  /** The deal's field (`amount`, `date`, `product`, `split`...). */
  field: string | null;
}

/** A custom field a plan declares. */
export interface FieldSummary {
  name: string;
  type: "text" | "number" | "money" | "date" | "bool";
}

/** A checked plan's outline. */
export interface PlanSummary {
  name: string;
  currency: string;
  minor_units: number;
  term_start: string;
  term_end: string;
  periods: { label: string; start: string; end: string }[];
  booking_fields: FieldSummary[];
  payee_fields: FieldSummary[];
  reads_quotas: boolean;
  reads_metrics: boolean;
}

/** What checking a plan gives. */
export interface CheckReport {
  ok: boolean;
  diagnostics: Problem[];
  plan: PlanSummary | null;
}

/** A payee of the loaded data. */
export interface PayeeSummary {
  id: string;
  name: string | null;
  role: string | null;
  manager: string | null;
  bookings: number;
}

/** What the page shows of a loaded data set. */
export interface DataSummary {
  payees: PayeeSummary[];
  bookings: number;
  currencies: string[];
  field_values: { name: string; values: string[] }[];
}

/** A deal the rep has not closed yet. Amounts and shares are text, as in the data files. */
export interface WhatIfDeal {
  owner: string;
  date: string;
  amount: string;
  currency?: string;
  status?: string;
  account?: string;
  fields?: Record<string, string>;
  splits?: { payee: string; share: string }[];
}

/** One payee's figures for the preview (amounts are strings). */
export interface Preview {
  payee: string;
  name: string | null;
  currency: string;
  balance: string;
  periods: { period: string; evaluated: boolean; lines: { line: string; amount: string }[] }[];
  /** The measures at the end of the last period on the plan. */
  measures: { name: string; value: string }[];
  curve: CurveData | null;
}

/** What a payout curve chart needs: the tier bands in credit terms and where the payee stands. */
export interface CurveData {
  component: string;
  measure: string;
  /** What the measure divides credit by (the quota), when it is a ratio. */
  divisor: string | null;
  bands: { label: string; from: string | null; to: string | null; value: string; value_kind: "rate" | "multiplier" }[];
  credit: string;
  /** The credit-weighted base rate that multipliers apply to. */
  base_rate: string | null;
}

/** What the page shows of an opened bundle. */
export interface BundleSummary {
  /** The file name it was opened from. */
  file: string;
  /** `payplan-bundle/1`. */
  format: string;
  /** SHA-256 of the bundled plan's text, hex. */
  plan_sha256: string;
  /** The bundled plan's outline. */
  plan: PlanSummary;
  /** The payee the bundle is for. */
  payee: PayeeSummary;
  /** Team members whose credit rolls up to the payee (managers only). */
  team: string[];
  bookings: number;
  entries: number;
  /** Currencies a deal can be entered in. */
  currencies: string[];
  /** Values of the declared text fields in the bundle's bookings. */
  field_values: { name: string; values: string[] }[];
}

/** A text the engine produced, or why it could not. */
export type TextResult = { ok: true; text: string } | { ok: false; problems: Problem[] };

/** A value, or why there is none. */
export type Answer<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Which facts to evaluate on. */
export interface RunOptions {
  /** Keep one period, as `--period Q2`. */
  period?: string;
  /** Add the hypothetical deals to the data. */
  withDeals?: boolean;
}

/** Loads the WebAssembly module in a browser (fetched from `wasmUrl`). */
export async function loadEngine(wasmUrl: URL): Promise<void> {
  await init({ module_or_path: wasmUrl });
}

/** Loads the WebAssembly module from its bytes (Node). */
export function loadEngineSync(wasmBytes: BufferSource): void {
  initSync({ module: wasmBytes });
}

/** SHA-256 of a plan's text, hex: what a bundle records of the plan it was made from. */
export function planHash(text: string): string {
  return wasmPlanHash(text);
}

/** The payplan version the module was built from. */
export function engineVersion(): string {
  return wasmVersion();
}

/** Checks a plan without keeping it. */
export function check(source: string): CheckReport {
  return wasmCheck(source) as CheckReport;
}

/** What the rep preview computes a payee's figures from: a whole data set, or one payee's bundle. */
export interface PreviewSource {
  /** Replaces the hypothetical deals; returns their problems (none when they fit). */
  setWhatIfDeals(deals: WhatIfDeal[]): Problem[];
  /** One payee's lines and payout curve, without the trace of every entry. */
  preview(payee: string, options?: { withDeals?: boolean }): Answer<Preview>;
  /** The payee's statement, as `payplan explain --format FORMAT` writes it. */
  explain(payee: string, format: "text" | "json" | "html", options?: RunOptions): TextResult;
}

/** A plan, a data set and hypothetical deals, kept in the engine between calls. */
export class Engine implements PreviewSource {
  private readonly session = new WasmSession();

  /** Checks the plan and keeps it (a plan with errors leaves the engine without one). */
  setPlan(source: string): CheckReport {
    return this.session.setPlan(source) as CheckReport;
  }

  /** Forgets the data set. */
  clearData(): void {
    this.session.clearData();
  }

  /** Adds a CSV file of the data set (`bookings.csv`, or a path ending in it). */
  addCsvFile(name: string, bytes: Uint8Array): void {
    this.session.addCsvFile(name, bytes);
  }

  /** Uses a JSON document as the data set. */
  setJsonData(name: string, bytes: Uint8Array): void {
    this.session.setJsonData(name, bytes);
  }

  /** Loads the data for the current plan and describes it. */
  dataSummary(): Answer<DataSummary> {
    return answer(this.session.dataSummary() as RawAnswer<DataSummary>);
  }

  /** Replaces the hypothetical deals; returns their problems (none when they fit). */
  setWhatIfDeals(deals: WhatIfDeal[]): Problem[] {
    return this.session.setWhatIfDeals(JSON.stringify(deals)) as Problem[];
  }

  /** `payplan run --format FORMAT`. */
  run(format: "csv" | "json" | "table", options: RunOptions = {}): TextResult {
    return textResult(this.session.run(format, options.period, options.withDeals ?? false));
  }

  /** One payee's lines and payout curve, without the trace of every entry. */
  preview(payee: string, options: { withDeals?: boolean } = {}): Answer<Preview> {
    return answer(this.session.preview(payee, options.withDeals ?? false) as RawAnswer<Preview>);
  }

  /** `payplan explain --payee PAYEE --format FORMAT`. */
  explain(payee: string, format: "text" | "json" | "html", options: RunOptions = {}): TextResult {
    return textResult(this.session.explain(payee, format, options.period, options.withDeals ?? false));
  }
}

/**
 * One payee's preview bundle and hypothetical deals. A bundle holds the plan, the
 * payee's record, quotas and credit entries, and nothing about anyone else; the figures
 * are the payee's lines of the full run, exactly.
 */
export class BundleEngine implements PreviewSource {
  private readonly session = new WasmBundleSession();

  /**
   * Opens a bundle file. With `planText` (the plan loaded in the editor), a bundle made
   * from another version of that plan is refused. On failure the open bundle stays.
   */
  open(file: string, bytes: Uint8Array, options: { planText?: string } = {}): Answer<BundleSummary> {
    return answer(this.session.open(file, bytes, options.planText) as RawAnswer<BundleSummary>);
  }

  /** Forgets the bundle and the deals. */
  close(): void {
    this.session.close();
  }

  /** The open bundle, or null. */
  summary(): BundleSummary | null {
    return this.session.summary() as BundleSummary | null;
  }

  /** Replaces the hypothetical deals (every deal is the bundle payee's; split rows may name any colleague). */
  setWhatIfDeals(deals: WhatIfDeal[]): Problem[] {
    return this.session.setWhatIfDeals(JSON.stringify(deals)) as Problem[];
  }

  /** The payee's part of `payplan run --format FORMAT`: a document holding this payee alone. */
  run(format: "csv" | "json" | "table", options: RunOptions = {}): TextResult {
    return textResult(this.session.run(format, options.period, options.withDeals ?? false));
  }

  /** The payee's lines and payout curve. */
  preview(payee: string, options: { withDeals?: boolean } = {}): Answer<Preview> {
    return answer(this.session.preview(payee, options.withDeals ?? false) as RawAnswer<Preview>);
  }

  /** The payee's statement from the bundle's entries. */
  explain(payee: string, format: "text" | "json" | "html", options: RunOptions = {}): TextResult {
    return textResult(this.session.explain(payee, format, options.period, options.withDeals ?? false));
  }
}

/** An answer as the engine serializes it. */
interface RawAnswer<T> {
  ok: boolean;
  value: T | null;
  problems: Problem[];
}

function answer<T>(raw: RawAnswer<T>): Answer<T> {
  return raw.ok && raw.value !== null ? { ok: true, value: raw.value } : { ok: false, problems: raw.problems };
}

/** Reads and frees the engine's output object. */
function textResult(output: { ok: boolean; text: string; problems: unknown; free(): void }): TextResult {
  try {
    return output.ok ? { ok: true, text: output.text } : { ok: false, problems: output.problems as Problem[] };
  } finally {
    output.free();
  }
}
