/**
 * The page: one engine session shared by the rep preview and the plan editor. The
 * plan text lives in the editor; every change goes through the engine's checker, and
 * the visible view is recomputed from the kept facts (the data is read once).
 *
 * A rep's preview bundle (opened with "Open a bundle…" or `?bundle=URL`) switches the
 * rep preview to a second session holding that bundle alone: the payee chooser offers
 * the bundle's payee only, and the plan editor keeps the full data session.
 */
import { exampleIndex, fetchBundle, fetchExamplePlan, loadExampleData, loadPickedFiles, OWN_PAYEE_ID, ownDataSet, planText, type ExampleIndex, type OwnNumbers } from "./data.js";
import { byId, h } from "./dom.js";
import { PlanEditor } from "./editor.js";
import { BundleEngine, Engine, engineVersion, loadEngine, planHash, type BundleSummary, type DataSummary, type PayeeSummary, type PlanSummary, type Problem } from "./engine.js";
import { pageProblem, showProblems } from "./problems.js";
import { RepView, type PayeeChoice } from "./rep.js";
import { ResultsTable } from "./results.js";
import type { RunDocument } from "./run-document.js";
import { onTimings, timed } from "./timing.js";

/** How long typing may pause before the plan is checked and run again. */
const EDIT_DELAY_MS = 120;

type View = "rep" | "editor";

class App {
  readonly engine = new Engine();
  /** The rep's preview bundle, when one is open. */
  readonly bundleEngine = new BundleEngine();
  private readonly editor: PlanEditor;
  private readonly rep: RepView;
  private readonly results: ResultsTable;
  private readonly status = byId("source-status", HTMLParagraphElement);
  private readonly loadProblems = byId("load-problems", HTMLUListElement);
  private readonly diagnostics = byId("diagnostics", HTMLUListElement);
  private readonly editorStatus = byId("editor-status", HTMLParagraphElement);
  private readonly editorProblems = byId("editor-problems", HTMLUListElement);
  private readonly exampleSelect = byId("example-plan", HTMLSelectElement);
  private readonly bundleBadge = byId("bundle-badge", HTMLSpanElement);
  private readonly bundlePanel = byId("bundle-panel", HTMLDivElement);
  private readonly bundleInfo = byId("bundle-info", HTMLParagraphElement);
  private readonly bundlePlanNote = byId("bundle-plan-note", HTMLParagraphElement);
  private readonly bundleProblems = byId("bundle-problems", HTMLUListElement);

  private plan: PlanSummary | null = null;
  private data: DataSummary | null = null;
  private dataLabel = "no data";
  private hasData = false;
  private view: View = "rep";
  private editTimer: number | undefined;
  private examples: ExampleIndex | null = null;
  /** The open bundle (the rep preview shows its payee only), or null. */
  private bundle: BundleSummary | null = null;
  /**
   * The plan text in the editor, as loaded (byte for byte, before the editor normalizes
   * line ends) or as last edited; null before any plan: a bundle must match it.
   */
  private planSource: string | null = null;

  constructor() {
    this.editor = new PlanEditor(byId("editor", HTMLDivElement), (text) => this.planEdited(text));
    this.rep = new RepView({ source: this.engine, useOwnNumbers: (numbers) => this.useOwnNumbers(numbers) });
    this.results = new ResultsTable(byId("editor-results", HTMLTableElement), (payee) => {
      // Another payee than the bundle's: the admin asks for the loaded data.
      if (this.bundle !== null && this.bundle.payee.id !== payee) this.closeBundle();
      this.show("rep");
      this.rep.selectPayee(payee);
    });
    byId("tab-rep", HTMLButtonElement).addEventListener("click", () => this.show("rep"));
    byId("tab-editor", HTMLButtonElement).addEventListener("click", () => this.show("editor"));
    byId("load-example", HTMLButtonElement).addEventListener("click", () => void this.loadExample(this.exampleSelect.value));
    this.exampleSelect.addEventListener("change", () => void this.loadExamplePlan(this.exampleSelect.value));
    byId("plan-file", HTMLInputElement).addEventListener("change", (event) => void this.pickPlan(event));
    for (const id of ["data-folder", "data-files", "data-json"]) {
      byId(id, HTMLInputElement).addEventListener("change", (event) => void this.pickData(event));
    }
    byId("bundle-file", HTMLInputElement).addEventListener("change", (event) => void this.pickBundle(event));
    byId("bundle-close", HTMLButtonElement).addEventListener("click", () => this.closeBundle());
    const timings = byId("timings", HTMLSpanElement);
    onTimings((latest) => {
      timings.textContent = [...latest].map(([label, ms]) => `${label} ${ms.toFixed(1)} ms`).join(" · ");
    });
  }

  /** Lists the bundled examples; opens the bundle of `?bundle=URL`, if given. */
  async start(): Promise<void> {
    byId("engine-version", HTMLSpanElement).textContent = `payplan ${engineVersion()} (WebAssembly)`;
    try {
      this.examples = await exampleIndex();
      this.exampleSelect.replaceChildren(...this.examples.plans.map((name) => h("option", { value: name }, name)));
    } catch (error) {
      this.status.textContent = `No bundled example: ${String(error)}`;
    }
    this.updateStatus();
    const bundleUrl = new URLSearchParams(window.location.search).get("bundle");
    if (bundleUrl !== null && bundleUrl !== "") {
      try {
        const file = await fetchBundle(bundleUrl);
        this.openBundle(file.name, file.bytes);
      } catch (error) {
        showProblems(this.bundleProblems, [pageProblem("bundle", error instanceof Error ? error.message : String(error), "check the link, or open the file with “Open a bundle…”")]);
      }
    }
  }

  private show(view: View): void {
    this.view = view;
    byId("view-rep", HTMLElement).hidden = view !== "rep";
    byId("view-editor", HTMLElement).hidden = view !== "editor";
    byId("tab-rep", HTMLButtonElement).setAttribute("aria-selected", String(view === "rep"));
    byId("tab-editor", HTMLButtonElement).setAttribute("aria-selected", String(view === "editor"));
    if (view === "rep") this.rep.refreshIfStale();
  }

  /** Loads an example plan and the example data. */
  private async loadExample(name: string): Promise<void> {
    if (this.examples === null) return;
    try {
      this.dataLabel = await loadExampleData(this.engine, this.examples);
      this.hasData = true;
      this.rep.leaveOwnNumbers();
      this.results.reset();
      await this.loadExamplePlan(name);
    } catch (error) {
      this.fail(error);
    }
  }

  private async loadExamplePlan(name: string): Promise<void> {
    try {
      const text = await fetchExamplePlan(name);
      this.editor.load(text);
      this.results.reset();
      this.planChanged(text, true);
    } catch (error) {
      this.fail(error);
    }
  }

  private async pickPlan(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    const text = planText(await file.text());
    this.editor.load(text);
    this.results.reset();
    this.planChanged(text, true);
  }

  private async pickData(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    if (files.length === 0) return;
    try {
      this.dataLabel = await loadPickedFiles(this.engine, files);
      this.hasData = true;
      this.rep.leaveOwnNumbers();
      this.results.reset();
      this.dataChanged();
    } catch (error) {
      this.fail(error);
    }
    input.value = "";
  }

  private async pickBundle(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file === undefined) return;
    this.openBundle(file.name, new Uint8Array(await file.arrayBuffer()));
    input.value = "";
  }

  /**
   * Opens a bundle for the rep preview; with a plan in the editor, the bundle must have
   * been made from exactly that plan. A bundle that cannot be opened changes nothing.
   */
  private openBundle(name: string, bytes: Uint8Array): void {
    const opened = timed("open bundle", () => this.bundleEngine.open(name, bytes, this.planSource === null ? {} : { planText: this.planSource }));
    if (!opened.ok) {
      showProblems(this.bundleProblems, opened.problems);
      return;
    }
    showProblems(this.bundleProblems, []);
    this.bundle = opened.value;
    this.rep.useSource(this.bundleEngine, true);
    this.configureRep();
    this.recompute();
    this.show("rep");
  }

  /** Back to the loaded data for the rep preview. */
  private closeBundle(): void {
    this.bundleEngine.close();
    this.bundle = null;
    showProblems(this.bundleProblems, []);
    const url = new URL(window.location.href);
    if (url.searchParams.has("bundle")) {
      url.searchParams.delete("bundle");
      window.history.replaceState(null, "", url);
    }
    this.rep.useSource(this.engine, false);
    this.configureRep();
    this.recompute();
  }

  private useOwnNumbers(numbers: OwnNumbers): void {
    if (this.plan === null || this.bundle !== null) return;
    this.engine.setJsonData("your numbers.json", new TextEncoder().encode(ownDataSet(numbers, this.plan)));
    this.hasData = true;
    this.dataLabel = "your own numbers";
    this.results.reset();
    this.dataChanged();
    this.rep.selectPayee(OWN_PAYEE_ID);
  }

  /** The user typed: check and run after a short pause. */
  private planEdited(text: string): void {
    window.clearTimeout(this.editTimer);
    this.editTimer = window.setTimeout(() => this.planChanged(text, false), EDIT_DELAY_MS);
  }

  /** Checks the plan; when it has no error, reloads what depends on it and recomputes. */
  private planChanged(text: string, loaded: boolean): void {
    this.planSource = text;
    this.updateBundlePanel();
    const report = timed("check", () => this.engine.setPlan(text));
    this.editor.showProblems(report.diagnostics);
    showProblems(this.diagnostics, report.diagnostics, (problem) => this.editor.reveal(problem));
    if (!report.ok || report.plan === null) {
      this.editorStatus.textContent = "The plan has errors: the results below are those of the last plan without errors.";
      this.editorStatus.classList.add("stale");
      return;
    }
    this.editorStatus.classList.remove("stale");
    const readsDataDifferently = loaded || JSON.stringify(dataShape(report.plan)) !== JSON.stringify(this.plan === null ? null : dataShape(this.plan));
    this.plan = report.plan;
    if (readsDataDifferently) this.dataChanged();
    else this.recompute();
  }

  /** The data (or the way the plan reads it) changed: reload and recompute. */
  private dataChanged(): void {
    this.data = null;
    const problems: Problem[] = [];
    if (this.plan !== null && this.hasData) {
      const summary = timed("load data", () => this.engine.dataSummary());
      if (summary.ok) this.data = summary.value;
      else problems.push(...summary.problems);
    }
    showProblems(this.loadProblems, problems);
    this.configureRep();
    this.recompute();
  }

  /** Gives the rep preview the plan and payees of its source: the bundle, or the loaded data. */
  private configureRep(): void {
    const bundle = this.bundle;
    if (bundle === null) {
      this.rep.configure(this.plan, this.data, this.editor.text);
    } else {
      this.rep.configure(bundle.plan, { payees: [bundle.payee], bookings: bundle.bookings, currencies: bundle.currencies, field_values: bundle.field_values }, "");
    }
  }

  /**
   * Runs every payee once (the editor's table and the rep's list of payees on the
   * plan), then redraws the rep preview if it is showing.
   */
  private recompute(): void {
    this.updateStatus();
    const data = this.data;
    let payeesOfTheData: PayeeChoice[] = [];
    if (this.plan === null || data === null) {
      this.results.reset();
      showProblems(this.editorProblems, []);
      this.editorStatus.textContent = this.hasData ? "The data could not be loaded for this plan (see above)." : "Load data to see the payouts this plan makes.";
    } else {
      const run = timed("run all payees", () => this.engine.run("json"));
      if (run.ok) {
        const document = JSON.parse(run.text) as RunDocument;
        const eligible = new Set(document.payees.map((p) => p.id));
        payeesOfTheData = data.payees.filter((p) => eligible.has(p.id)).map(choice);
        showProblems(this.editorProblems, []);
        this.results.show(document, new Map(data.payees.filter((p) => p.name !== null).map((p) => [p.id, p.name ?? ""])));
        this.editorStatus.textContent = `${document.plan}: payout per period in ${document.currency}, ${document.payees.length} payees on ${this.dataLabel}. Changed figures are marked; click a payee for the rep preview.`;
      } else {
        // An evaluation error: the rep view shows it for the payee it concerns.
        payeesOfTheData = data.payees.map(choice);
        showProblems(this.editorProblems, run.problems, (problem) => this.editor.reveal(problem));
        this.editorStatus.textContent = "The plan stops on this data:";
      }
    }
    // With a bundle, its payee alone: the loaded data feeds the plan editor only.
    this.rep.setPayees(this.bundle === null ? payeesOfTheData : [choice(this.bundle.payee)]);
    this.rep.invalidate();
    if (this.view === "rep") this.rep.refreshIfStale();
  }

  private updateStatus(): void {
    const plan = this.plan === null ? "no plan" : `${this.plan.name} (${this.plan.currency}, ${this.plan.periods.length} periods)`;
    const data = this.data === null ? this.dataLabel : `${this.dataLabel}: ${this.data.payees.length} payees, ${this.data.bookings} bookings`;
    const bundle = this.bundle;
    this.status.textContent =
      bundle === null
        ? `Plan: ${plan}. Data: ${data}.`
        : `Rep preview: the bundle ${bundle.file} (${bundle.payee.id}'s figures only). Plan editor: ${plan}; data: ${data}.`;
    this.bundleBadge.hidden = bundle === null;
    this.bundleBadge.textContent = bundle === null ? "" : `Bundle loaded: ${bundle.file}`;
    this.updateBundlePanel();
  }

  /** The open bundle's description, and whether the editor's plan is the one it was made for. */
  private updateBundlePanel(): void {
    const bundle = this.bundle;
    this.bundlePanel.hidden = bundle === null;
    if (bundle === null) return;
    const who = label(bundle.payee.id, bundle.payee.name, bundle.payee.role);
    this.bundleInfo.textContent =
      `Bundle of ${who}: plan “${bundle.plan.name}”, ${bundle.entries} credit entries on ${bundle.bookings} bookings` +
      `${bundle.team.length > 0 ? `, rolled up from ${bundle.team.length} team members` : ""}. ` +
      `Format ${bundle.format}, plan sha256 ${bundle.plan_sha256.slice(0, 12)}…. The bundle holds nobody else's figures.`;
    const otherPlan = this.planSource !== null && planHash(this.planSource) !== bundle.plan_sha256;
    this.bundlePlanNote.hidden = !otherPlan;
    this.bundlePlanNote.textContent = otherPlan ? "The plan in the editor is not the one this bundle was made for: the preview shows the bundle's plan." : "";
  }

  private fail(error: unknown): void {
    this.status.textContent = `Could not load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What decides how the data is read: when it changes, the facts are reloaded. */
function dataShape(plan: PlanSummary): unknown {
  return [plan.currency, plan.term_start, plan.term_end, plan.booking_fields, plan.payee_fields, plan.reads_quotas, plan.reads_metrics];
}

/** A payee as the chooser lists them. */
function choice(payee: PayeeSummary): PayeeChoice {
  return { id: payee.id, label: label(payee.id, payee.name, payee.role) };
}

function label(id: string, name: string | null, role: string | null): string {
  return [id, name, role === null ? null : `(${role})`].filter((part) => part !== null).join(" · ");
}

async function main(): Promise<void> {
  await loadEngine(new URL("payplan_wasm_bg.wasm", import.meta.url));
  const app = new App();
  await app.start();
  document.body.dataset["ready"] = "true";
}

main().catch((error: unknown) => {
  document.body.dataset["ready"] = "failed";
  const status = document.getElementById("source-status");
  if (status !== null) status.textContent = `The engine could not start: ${String(error)}`;
});
