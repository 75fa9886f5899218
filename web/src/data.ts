/**
 * Where plans and data come from: the bundled example (copied from `plans/` by the
 * build), files the user picks (a folder of CSV files, several CSV files, one JSON
 * file), a rep's preview bundle (picked, or fetched from this site for `?bundle=URL`),
 * or a rep's own numbers typed into the page. Files are read in the page and handed
 * to the engine; nothing is uploaded anywhere.
 */
import type { Engine, PlanSummary, WhatIfDeal } from "./engine.js";

/** The list the build writes to `examples/index.json`. */
export interface ExampleIndex {
  plans: string[];
  data: string[];
}

/** Reads the bundled example's index. */
export async function exampleIndex(): Promise<ExampleIndex> {
  const response = await fetch("examples/index.json");
  if (!response.ok) throw new Error(`cannot read the example list (${response.status})`);
  return (await response.json()) as ExampleIndex;
}

/** A plan file's text, without a UTF-8 byte-order mark (as the CLI reads it). */
export function planText(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

/** Fetches an example plan's text. */
export async function fetchExamplePlan(name: string): Promise<string> {
  const response = await fetch(`examples/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`cannot read examples/${name} (${response.status})`);
  return planText(await response.text());
}

/** Loads the example data set (plans/data) into the engine. */
export async function loadExampleData(engine: Engine, index: ExampleIndex): Promise<string> {
  const files = await Promise.all(
    index.data.map(async (name) => {
      const response = await fetch(`examples/data/${encodeURIComponent(name)}`);
      if (!response.ok) throw new Error(`cannot read examples/data/${name} (${response.status})`);
      return { name: `data/${name}`, bytes: new Uint8Array(await response.arrayBuffer()) };
    }),
  );
  engine.clearData();
  for (const file of files) engine.addCsvFile(file.name, file.bytes);
  return "the example data (plans/data)";
}

/** Loads picked files: one JSON file, or CSV files (a folder's, named by their path in it). */
export async function loadPickedFiles(engine: Engine, files: readonly File[]): Promise<string> {
  const json = files.filter((file) => file.name.toLowerCase().endsWith(".json"));
  const csv = files.filter((file) => file.name.toLowerCase().endsWith(".csv"));
  const [first] = json;
  if (json.length === 1 && csv.length === 0 && first !== undefined) {
    engine.clearData();
    engine.setJsonData(first.name, new Uint8Array(await first.arrayBuffer()));
    return first.name;
  }
  if (csv.length === 0) throw new Error("pick a folder of CSV files (payees.csv, bookings.csv...) or one JSON file");
  engine.clearData();
  for (const file of csv) {
    engine.addCsvFile(file.webkitRelativePath !== "" ? file.webkitRelativePath : file.name, new Uint8Array(await file.arrayBuffer()));
  }
  const folder = csv[0]?.webkitRelativePath.split("/")[0];
  return folder !== undefined && folder !== "" ? `the folder ${folder}` : `${csv.length} CSV files`;
}

/** A bundle file fetched for `?bundle=URL`. */
export interface FetchedBundle {
  /** The file name (the URL's last path segment). */
  name: string;
  bytes: Uint8Array;
}

/**
 * Fetches the bundle of `?bundle=URL`: a URL of this page's site only (relative, or
 * absolute with the same origin), so that a link cannot make the page show figures
 * from elsewhere.
 */
export async function fetchBundle(reference: string): Promise<FetchedBundle> {
  const url = new URL(reference, window.location.href);
  if (url.origin !== window.location.origin) {
    throw new Error(`${reference}: a bundle is opened by URL only from this page's site (${window.location.origin})`);
  }
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) throw new Error(`cannot read the bundle ${reference} (HTTP ${response.status})`);
  const last = url.pathname.split("/").pop() ?? "";
  return { name: last === "" ? "bundle.json" : decodeURIComponent(last), bytes: new Uint8Array(await response.arrayBuffer()) };
}

/** The id the page gives a rep who enters their own numbers. */
export const OWN_PAYEE_ID = "me";

/** A rep's own numbers: enough of a data set for the plan to run on. */
export interface OwnNumbers {
  name: string;
  role: string;
  startDate: string;
  targetIncentive: string;
  /** Declared payee fields by name. */
  payeeFields: Record<string, string>;
  /** Quota rows: name, period label, amount. */
  quotas: { name: string; period: string; amount: string }[];
  /** Metric rows: name, period label, value. */
  metrics: { name: string; period: string; value: string }[];
  /** Deals already closed. */
  deals: WhatIfDeal[];
}

/** The quota and metric names a plan reads, found in its text. */
export function namesRead(source: string, reader: "quota" | "metric"): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(new RegExp(`\\b${reader}\\(\\s*"([^"]+)"`, "g"))) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

/** The JSON data set (data.md) of one payee's own numbers. Amounts stay strings. */
export function ownDataSet(numbers: OwnNumbers, plan: PlanSummary): string {
  const empty = (text: string): string | null => (text.trim() === "" ? null : text.trim());
  const payee: Record<string, string | null> = {
    id: OWN_PAYEE_ID,
    name: empty(numbers.name),
    role: empty(numbers.role),
    start_date: empty(numbers.startDate),
    target_incentive: empty(numbers.targetIncentive),
  };
  for (const field of plan.payee_fields) payee[field.name] = empty(numbers.payeeFields[field.name] ?? "");
  const bookings = numbers.deals.map((deal, index) => {
    const row: Record<string, string | null> = {
      id: `DEAL-${index + 1}`,
      date: deal.date,
      amount: deal.amount,
      currency: deal.currency ?? plan.currency,
      owner: OWN_PAYEE_ID,
      status: "won",
    };
    for (const field of plan.booking_fields) row[field.name] = empty(deal.fields?.[field.name] ?? "");
    return row;
  });
  const document = {
    payees: [payee],
    bookings,
    quotas: numbers.quotas.filter((q) => q.amount.trim() !== "").map((q) => ({ payee: OWN_PAYEE_ID, quota: q.name, period: q.period.trim(), amount: q.amount.trim() })),
    metrics: numbers.metrics.filter((m) => m.value.trim() !== "").map((m) => ({ payee: OWN_PAYEE_ID, metric: m.name, period: m.period.trim(), value: m.value.trim() })),
  };
  return JSON.stringify(document, null, 2);
}
