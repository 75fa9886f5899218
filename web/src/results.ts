/**
 * The plan editor's results: every eligible payee's payout per period on the loaded
 * data (the `run --format json` document), with the figures an edit changed marked.
 */
import { grouped, sign, signedChange, subtract, sum } from "./amounts.js";
import { h } from "./dom.js";
import type { RunDocument } from "./run-document.js";

/** The payout line of each payee and period, keyed `payee|period`. */
type Payouts = Map<string, string>;

/** Renders run results into a table, comparing with the previous results. */
export class ResultsTable {
  private previous: Payouts | null = null;

  constructor(
    private readonly table: HTMLTableElement,
    private readonly onPayee: (payee: string) => void,
  ) {}

  /** Draws `run`; `names` gives display names by payee id. */
  show(run: RunDocument, names: ReadonlyMap<string, string>): void {
    const periods = run.periods.map((p) => p.label);
    const payouts: Payouts = new Map();
    const head = h("thead", {}, h("tr", {}, h("th", {}, "payee"), ...periods.map((p) => h("th", { class: "n" }, p)), h("th", { class: "n" }, "total")));
    const body = h("tbody");
    const columnTotals: string[][] = periods.map(() => []);
    for (const payee of run.payees) {
      const amounts = periods.map((label) => payee.periods.find((p) => p.period === label)?.lines.find((l) => l.line === "payout")?.amount ?? "0");
      amounts.forEach((amount, index) => columnTotals[index]?.push(amount));
      const total = sum(amounts) ?? "";
      const name = names.get(payee.id);
      const row = h("tr", { "data-payee": payee.id, title: "show in the rep preview" }, h("th", { scope: "row" }, payee.id, name !== undefined ? h("span", { class: "muted" }, ` ${name}`) : null));
      [...amounts, total].forEach((amount, index) => {
        const key = `${payee.id}|${periods[index] ?? "total"}`;
        payouts.set(key, amount);
        row.append(this.cell(key, amount));
      });
      row.addEventListener("click", () => this.onPayee(payee.id));
      body.append(row);
    }
    const totals = columnTotals.map((amounts) => sum(amounts) ?? "");
    const grand = sum(totals) ?? "";
    const foot = h("tfoot", {}, h("tr", {}, h("th", {}, "all payees"), ...[...totals, grand].map((amount, index) => {
      const key = `*|${periods[index] ?? "total"}`;
      payouts.set(key, amount);
      return this.cell(key, amount);
    })));
    this.table.replaceChildren(head, body, foot);
    this.previous = payouts;
  }

  /** Forgets the previous results (new data: nothing to compare with). */
  reset(): void {
    this.previous = null;
    this.table.replaceChildren();
  }

  private cell(key: string, amount: string): HTMLTableCellElement {
    const before = this.previous?.get(key);
    const change = before === undefined ? null : subtract(amount, before);
    const direction = change === null ? 0 : sign(change);
    const cell = h("td", { class: `n${direction > 0 ? " up" : direction < 0 ? " down" : ""}` }, grouped(amount));
    if (change !== null && direction !== 0) {
      cell.title = `was ${grouped(before ?? "")} (${signedChange(change)})`;
      cell.append(h("span", { class: "delta" }, signedChange(change)));
    }
    return cell;
  }
}
