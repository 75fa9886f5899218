/**
 * The page: one engine session shared by the rep preview and the plan editor. The
 * plan text lives in the editor; every change goes through the engine's checker, and
 * the visible view is recomputed from the kept facts (the data is read once).
 */
import { exampleIndex, fetchExamplePlan, loadExampleData, loadPickedFiles, OWN_PAYEE_ID, ownDataSet, planText, type ExampleIndex, type OwnNumbers } from "./data.js";
import { byId, h } from "./dom.js";
import { PlanEditor } from "./editor.js";
import { Engine, engineVersion, loadEngine, type DataSummary, type PlanSummary, type Problem } from "./engine.js";
import { showProblems } from "./problems.js";
import { RepView, type PayeeChoice } from "./rep.js";
import { ResultsTable } from "./results.js";
import type { RunDocument } from "./run-document.js";
import { onTimings, timed } from "./timing.js";

/** How long typing may pause before the plan is checked and run again. */
const EDIT_DELAY_MS = 120;

type View = "rep" | "editor";

class App {
  readonly engine = new Engine();
  private readonly editor: PlanEditor;
  private readonly rep: RepView;
  private readonly results: ResultsTable;
  private readonly status = byId("source-status", HTMLParagraphElement);
  private readonly loadProblems = byId("load-problems", HTMLUListElement);
  private readonly diagnostics = byId("diagnostics", HTMLUListElement);
  private readonly editorStatus = byId("editor-status", HTMLParagraphElement);
  private readonly editorProblems = byId("editor-problems", HTMLUListElement);
  private readonly exampleSelect = byId("example-plan", HTMLSelectElement);

  private plan: PlanSummary | null = null;
  private data: DataSummary | null = null;
  private dataLabel = "no data";
  private hasData = false;
  private view: View = "rep";
  private editTimer: number | undefined;
  private examples: ExampleIndex | null = null;

  constructor() {
    this.editor = new PlanEditor(byId("editor", HTMLDivElement), (text) => this.planEdited(text));
    this.rep = new RepView({ engine: this.engine, useOwnNumbers: (numbers) => this.useOwnNumbers(numbers) });
    this.results = new ResultsTable(byId("editor-results", HTMLTableElement), (payee) => {
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
    const timings = byId("timings", HTMLSpanElement);
    onTimings((latest) => {
      timings.textContent = [...latest].map(([label, ms]) => `${label} ${ms.toFixed(1)} ms`).join(" · ");
    });
  }

  /** Lists the bundled examples. */
  async start(): Promise<void> {
    byId("engine-version", HTMLSpanElement).textContent = `payplan ${engineVersion()} (WebAssembly)`;
    try {
      this.examples = await exampleIndex();
      this.exampleSelect.replaceChildren(...this.examples.plans.map((name) => h("option", { value: name }, name)));
    } catch (error) {
      this.status.textContent = `No bundled example: ${String(error)}`;
    }
    this.updateStatus();
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

  private useOwnNumbers(numbers: OwnNumbers): void {
    if (this.plan === null) return;
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
    this.rep.configure(this.plan, this.data, this.editor.text);
    this.recompute();
  }

  /**
   * Runs every payee once (the editor's table and the rep's list of payees on the
   * plan), then redraws the rep preview if it is showing.
   */
  private recompute(): void {
    this.updateStatus();
    const data = this.data;
    if (this.plan === null || data === null) {
      this.rep.setPayees([]);
      this.results.reset();
      showProblems(this.editorProblems, []);
      this.editorStatus.textContent = this.hasData ? "The data could not be loaded for this plan (see above)." : "Load data to see the payouts this plan makes.";
    } else {
      const run = timed("run all payees", () => this.engine.run("json"));
      const choice = (p: DataSummary["payees"][number]): PayeeChoice => ({ id: p.id, label: label(p.id, p.name, p.role) });
      if (run.ok) {
        const document = JSON.parse(run.text) as RunDocument;
        const eligible = new Set(document.payees.map((p) => p.id));
        this.rep.setPayees(data.payees.filter((p) => eligible.has(p.id)).map(choice));
        showProblems(this.editorProblems, []);
        this.results.show(document, new Map(data.payees.filter((p) => p.name !== null).map((p) => [p.id, p.name ?? ""])));
        this.editorStatus.textContent = `${document.plan}: payout per period in ${document.currency}, ${document.payees.length} payees on ${this.dataLabel}. Changed figures are marked; click a payee for the rep preview.`;
      } else {
        // An evaluation error: the rep view shows it for the payee it concerns.
        this.rep.setPayees(data.payees.map(choice));
        showProblems(this.editorProblems, run.problems, (problem) => this.editor.reveal(problem));
        this.editorStatus.textContent = "The plan stops on this data:";
      }
    }
    this.rep.invalidate();
    if (this.view === "rep") this.rep.refreshIfStale();
  }

  private updateStatus(): void {
    const plan = this.plan === null ? "no plan" : `${this.plan.name} (${this.plan.currency}, ${this.plan.periods.length} periods)`;
    const data = this.data === null ? this.dataLabel : `${this.dataLabel}: ${this.data.payees.length} payees, ${this.data.bookings} bookings`;
    this.status.textContent = `Plan: ${plan}. Data: ${data}.`;
  }

  private fail(error: unknown): void {
    this.status.textContent = `Could not load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** What decides how the data is read: when it changes, the facts are reloaded. */
function dataShape(plan: PlanSummary): unknown {
  return [plan.currency, plan.term_start, plan.term_end, plan.booking_fields, plan.payee_fields, plan.reads_quotas, plan.reads_metrics];
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
