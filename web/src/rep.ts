/**
 * The rep preview: one payee's payouts per period, how each figure is computed, the
 * payout curve with where the rep stands, and hypothetical deals with what they
 * would change. The figures come from a `PreviewSource`: the loaded data set (any
 * payee), or one payee's bundle (that payee only).
 */
import { grouped, shortDecimal, sign, signedChange, subtract, sum } from "./amounts.js";
import { payoutCurve } from "./chart.js";
import { OWN_PAYEE_ID, namesRead, type OwnNumbers } from "./data.js";
import { byId, h } from "./dom.js";
import type { Answer, DataSummary, PlanSummary, Preview, PreviewSource, Problem, WhatIfDeal } from "./engine.js";
import { showProblems } from "./problems.js";
import { timed } from "./timing.js";

/** A payee the rep can preview. */
export interface PayeeChoice {
  id: string;
  label: string;
}

/**
 * The id a bundle's split rows give a colleague: a bundle lists no one else, and only
 * the payee's share of a deal matters to their figures.
 */
export const ANOTHER_PAYEE_ID = "another-payee";

/** What the view needs from the page. */
export interface RepHost {
  /** Where the figures come from at first (the data-backed engine). */
  source: PreviewSource;
  /** Loads a rep's own numbers as the data set (and selects them). */
  useOwnNumbers(numbers: OwnNumbers): void;
}

/** The figures shown last, to mark what an edit changed. */
type ShownFigures = Map<string, string>;

/** The rep preview view. */
export class RepView {
  private readonly payeeSelect = byId("payee", HTMLSelectElement);
  private readonly title = byId("rep-title", HTMLHeadingElement);
  private readonly totals = byId("rep-totals", HTMLDivElement);
  private readonly problems = byId("rep-problems", HTMLUListElement);
  private readonly lines = byId("rep-lines", HTMLTableElement);
  private readonly chart = byId("rep-chart", HTMLElement);
  private readonly measures = byId("rep-measures", HTMLUListElement);
  private readonly measuresTitle = byId("rep-measures-title", HTMLHeadingElement);
  private readonly explanation = byId("rep-explanation", HTMLDetailsElement);
  private readonly statementText = byId("rep-statement", HTMLPreElement);
  private readonly dealForm = byId("deal-form", HTMLFormElement);
  private readonly dealFields = byId("deal-fields", HTMLDivElement);
  private readonly dealSplits = byId("deal-splits", HTMLDivElement);
  private readonly dealCurrency = byId("deal-currency", HTMLSelectElement);
  private readonly dealDate = byId("deal-date", HTMLInputElement);
  private readonly dealAmount = byId("deal-amount", HTMLInputElement);
  private readonly dealAddClosed = byId("deal-add-closed", HTMLButtonElement);
  private readonly dealProblems = byId("deal-problems", HTMLUListElement);
  private readonly dealList = byId("deal-list", HTMLUListElement);
  private readonly ownPanel = byId("own-numbers", HTMLDetailsElement);
  private readonly ownQuotas = byId("own-quotas", HTMLDivElement);
  private readonly ownPayeeFields = byId("own-payee-fields", HTMLDivElement);

  private plan: PlanSummary | null = null;
  private data: DataSummary | null = null;
  private source: PreviewSource;
  /** True when the source is one payee's bundle. */
  private bundleMode = false;
  private payee: string | null = null;
  /** Hypothetical deals (owned by the payee shown). */
  private deals: WhatIfDeal[] = [];
  /** Deals a rep entering their own numbers has closed. */
  private closedDeals: WhatIfDeal[] = [];
  private ownMode = false;
  /**
   * Values of text fields seen in every data set loaded so far: the deal form offers
   * them (so a rep entering their own numbers still picks a product from a list).
   */
  private readonly knownValues = new Map<string, Set<string>>();
  private shown: ShownFigures = new Map();
  private shownPayee: string | null = null;
  /** Set when the plan or data changed while the view was hidden. */
  private stale = true;
  /** The payee's figures without deals, kept while only the deals change. */
  private actualCache: { payee: string; answer: Answer<Preview> } | null = null;

  constructor(private readonly host: RepHost) {
    this.source = host.source;
    this.payeeSelect.addEventListener("change", () => this.selectPayee(this.payeeSelect.value));
    this.dealForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addDeal(false);
    });
    this.dealAddClosed.addEventListener("click", () => this.addDeal(true));
    byId("deal-add-split", HTMLButtonElement).addEventListener("click", () => this.addSplitRow("", ""));
    byId("own-apply", HTMLButtonElement).addEventListener("click", () => this.applyOwnNumbers());
    this.explanation.addEventListener("toggle", () => {
      if (this.explanation.open) this.renderStatementText();
    });
  }

  /** The payee previewed. */
  get selectedPayee(): string | null {
    return this.payee;
  }

  /**
   * Computes from `source` from now on (`bundle`: one payee's bundle, whose payee alone
   * can be shown; the rep's own numbers are then hidden). The deals are kept and
   * checked against the new source.
   */
  useSource(source: PreviewSource, bundle: boolean): void {
    this.source = source;
    this.bundleMode = bundle;
    this.ownPanel.hidden = bundle;
    if (bundle) this.leaveOwnNumbers();
    showProblems(this.dealProblems, this.deals.length > 0 ? source.setWhatIfDeals(this.deals) : []);
    this.dealSplits.replaceChildren();
    this.invalidate();
  }

  /** Takes a new plan outline and data summary: rebuilds the deal form. */
  configure(plan: PlanSummary | null, data: DataSummary | null, source: string): void {
    let formChanged = JSON.stringify([plan?.booking_fields, plan?.payee_fields, plan?.currency, data?.currencies, data?.field_values]) !== JSON.stringify([this.plan?.booking_fields, this.plan?.payee_fields, this.plan?.currency, this.data?.currencies, this.data?.field_values]);
    this.plan = plan;
    this.data = data;
    for (const field of data?.field_values ?? []) {
      const known = this.knownValues.get(field.name) ?? new Set<string>();
      const before = known.size;
      for (const value of field.values) known.add(value);
      this.knownValues.set(field.name, known);
      if (known.size !== before) formChanged = true;
    }
    if (formChanged) this.buildDealForm();
    this.buildOwnForm(source);
    this.invalidate();
  }

  /** Offers these payees (eligible in the current run); keeps the selection when it can. */
  setPayees(choices: readonly PayeeChoice[]): void {
    const options = choices.map((choice) => h("option", { value: choice.id }, choice.label));
    this.payeeSelect.replaceChildren(...options);
    const keep = choices.some((choice) => choice.id === this.payee) ? this.payee : (choices[0]?.id ?? null);
    this.payee = keep;
    if (keep !== null) {
      this.payeeSelect.value = keep;
      if (this.deals.some((deal) => deal.owner !== keep)) {
        // New data or plan without the previous payee: the deals follow the rep shown.
        this.deals = this.deals.map((deal) => ({ ...deal, owner: keep }));
        showProblems(this.dealProblems, this.source.setWhatIfDeals(this.deals));
      }
    }
    this.payeeSelect.disabled = choices.length === 0;
    this.stale = true;
  }

  /** Shows a payee (as if picked in the list). */
  selectPayee(id: string): void {
    this.payee = id;
    this.payeeSelect.value = id;
    this.deals = this.deals.map((deal) => ({ ...deal, owner: id }));
    this.source.setWhatIfDeals(this.deals);
    this.stale = true;
    this.refresh();
  }

  /** Marks the figures out of date (the plan or data changed). */
  invalidate(): void {
    this.stale = true;
    this.actualCache = null;
  }

  /** Recomputes and redraws when out of date. */
  refreshIfStale(): void {
    if (this.stale) this.refresh();
  }

  /** Recomputes the payee's statements and redraws everything. */
  refresh(): void {
    this.stale = false;
    const payee = this.payee;
    if (payee === null || this.plan === null) {
      this.title.textContent = this.plan === null ? "Payouts" : "Payouts: no payee on this plan in the data";
      this.clearFigures();
      return;
    }
    const source = this.source;
    // Deals leave the payee's actual figures as they were: only a plan or data change recomputes them.
    const cached = this.actualCache?.payee === payee ? this.actualCache.answer : null;
    const actual = cached ?? timed("evaluate payee", () => source.preview(payee));
    this.actualCache = { payee, answer: actual };
    const withDeals = this.deals.length > 0 ? timed("evaluate payee with deals", () => source.preview(payee, { withDeals: true })) : null;
    const problems: Problem[] = [...(actual.ok ? [] : actual.problems), ...(withDeals !== null && !withDeals.ok ? withDeals.problems : [])];
    showProblems(this.problems, problems);
    if (!actual.ok) {
      this.clearFigures();
      return;
    }
    timed("render payee", () => this.render(actual.value, withDeals !== null && withDeals.ok ? withDeals.value : null));
    if (this.explanation.open) this.renderStatementText();
  }

  private clearFigures(): void {
    for (const element of [this.totals, this.lines, this.chart, this.measures]) element.replaceChildren();
    this.measuresTitle.textContent = "";
  }

  private render(actual: Preview, withDeals: Preview | null): void {
    const who = actual.name === null ? actual.payee : `${actual.name} (${actual.payee})`;
    this.title.textContent = `Payouts for ${who}`;
    const currency = actual.currency;
    const periods = actual.periods.map((p) => p.period);
    const lineNames: string[] = [];
    for (const period of [...actual.periods, ...(withDeals?.periods ?? [])]) {
      for (const line of period.lines) if (!lineNames.includes(line.line)) lineNames.push(line.line);
    }
    const amountOf = (doc: Preview, line: string, period: string): string => doc.periods.find((p) => p.period === period)?.lines.find((l) => l.line === line)?.amount ?? zero(this.plan?.minor_units ?? 2);
    const shown = withDeals ?? actual;
    const figures: ShownFigures = new Map();
    const samePayee = this.shownPayee === actual.payee;

    const head = h("thead", {}, h("tr", {}, h("th", {}, "line"), ...periods.map((p) => h("th", { class: "n" }, p)), h("th", { class: "n" }, "total")));
    const body = h("tbody");
    for (const line of lineNames) {
      const row = h("tr", { class: line === "payout" ? "payout" : "", "data-line": line }, h("td", {}, line));
      const cells = [...periods.map((period) => ({ key: period, now: amountOf(actual, line, period), then: amountOf(shown, line, period) }))];
      cells.push({ key: "total", now: sum(cells.map((c) => c.now)) ?? "", then: sum(cells.map((c) => c.then)) ?? "" });
      for (const cell of cells) {
        const delta = subtract(cell.then, cell.now);
        const changedByDeals = withDeals !== null && delta !== null && sign(delta) !== 0;
        const figureKey = `${line}|${cell.key}`;
        figures.set(figureKey, cell.then);
        const changedSinceShown = samePayee && this.shown.has(figureKey) && this.shown.get(figureKey) !== cell.then;
        const classes = ["n", changedByDeals ? "changed" : "", changedByDeals && delta !== null && sign(delta) < 0 ? "less" : "", changedSinceShown ? "flash" : ""].filter(Boolean).join(" ");
        row.append(
          h(
            "td",
            { class: classes, "data-period": cell.key, title: changedByDeals ? `without the hypothetical deals: ${grouped(cell.now)}` : null },
            grouped(cell.then),
            changedByDeals && delta !== null ? h("span", { class: "delta" }, signedChange(delta)) : null,
          ),
        );
      }
      body.append(row);
    }
    this.lines.replaceChildren(head, body);
    this.shown = figures;
    this.shownPayee = actual.payee;

    const totalNow = figuresTotal(actual);
    const totalThen = withDeals === null ? null : figuresTotal(withDeals);
    const change = totalThen === null ? null : subtract(totalThen, totalNow);
    const changeClass = change !== null && sign(change) < 0 ? "delta less" : "delta";
    const totals = [
      h("div", { class: "total" }, h("span", { class: "label" }, "Payout for the term"), h("strong", { id: "rep-total-actual" }, `${grouped(totalNow)} ${currency}`)),
      totalThen !== null && change !== null
        ? h(
            "div",
            { class: "total then" },
            h("span", { class: "label" }, "With the hypothetical deals"),
            h("strong", { id: "rep-total-deals" }, `${grouped(totalThen)} ${currency}`),
            h("span", { id: "rep-total-change", class: changeClass }, `${signedChange(change)} ${currency}`),
          )
        : null,
      sign(actual.balance) !== 0 ? h("div", { class: "total" }, h("span", { class: "label" }, "Balance owed at the end of the term"), h("strong", {}, `${grouped(actual.balance)} ${currency}`)) : null,
    ];
    this.totals.replaceChildren(...totals.filter((total): total is HTMLDivElement => total !== null));
    this.measures.replaceChildren(
      ...actual.measures.map((measure) => {
        const then = withDeals?.measures.find((m) => m.name === measure.name)?.value;
        return h(
          "li",
          { title: then !== undefined && then !== measure.value ? `${measure.value} → ${then}` : measure.value },
          h("span", { class: "muted" }, `${measure.name} `),
          shortDecimal(measure.value),
          then !== undefined && then !== measure.value ? h("span", { class: "then" }, ` → ${shortDecimal(then)}`) : null,
        );
      }),
    );
    const lastPeriod = [...actual.periods].reverse().find((p) => p.evaluated)?.period;
    this.measuresTitle.textContent = lastPeriod === undefined ? "" : `Measures at the end of ${lastPeriod}`;
    this.chart.replaceChildren(
      ...(actual.curve === null
        ? [h("p", { class: "muted" }, "This plan has no tiered commission to draw.")]
        : [payoutCurve(actual.curve, withDeals?.curve ?? null), h("figcaption", {}, `Payout curve of ${actual.curve.component}: commission for the term against ${actual.curve.measure}, at the tier rates of the last period on the plan.`)]),
    );
  }

  /** The statement as the CLI's `explain` prints it, for the scenario shown. */
  private renderStatementText(): void {
    const payee = this.payee;
    if (payee === null) return;
    const withDeals = this.deals.length > 0;
    const text = timed("explain text", () => this.source.explain(payee, "text", { withDeals }));
    this.statementText.textContent = text.ok ? text.text : text.problems.map((p) => p.message).join("\n");
  }

  // The deal form.

  private buildDealForm(): void {
    const plan = this.plan;
    const currencies = this.data?.currencies ?? (plan === null ? [] : [plan.currency]);
    this.dealCurrency.replaceChildren(...currencies.map((code) => h("option", { value: code }, code)));
    if (plan !== null) this.dealCurrency.value = plan.currency;
    if (plan !== null && this.dealDate.value === "") {
      const today = new Date().toISOString().slice(0, 10);
      this.dealDate.value = today >= plan.term_start && today <= plan.term_end ? today : plan.term_end;
    }
    if (plan !== null) {
      this.dealDate.min = plan.term_start;
      this.dealDate.max = plan.term_end;
    }
    this.dealFields.replaceChildren();
    for (const field of plan?.booking_fields ?? []) {
      const id = `deal-field-${field.name}`;
      const values = [...(this.knownValues.get(field.name) ?? [])].sort();
      let input: HTMLInputElement | HTMLSelectElement;
      if (field.type === "bool") {
        input = h("select", { id, "data-field": field.name }, h("option", { value: "" }, ""), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
      } else if (field.type === "text" && values.length > 0 && values.length <= 30) {
        input = h("select", { id, "data-field": field.name }, h("option", { value: "" }, "(none)"), ...values.map((value) => h("option", { value }, value)));
        input.value = values[0] ?? "";
      } else {
        input = h("input", { id, "data-field": field.name, type: field.type === "date" ? "date" : "text", inputmode: field.type === "number" || field.type === "money" ? "decimal" : null, list: values.length > 0 ? `${id}-values` : null });
        if (values.length > 0) this.dealFields.append(h("datalist", { id: `${id}-values` }, ...values.map((value) => h("option", { value }))));
      }
      this.dealFields.append(h("label", { for: id }, `${field.name} `, h("span", { class: "muted" }, `(${field.type})`)), input);
    }
    this.dealSplits.replaceChildren();
  }

  private addSplitRow(payee: string, share: string): void {
    const payees = this.data?.payees ?? [];
    const options = payees.map((p) => h("option", { value: p.id }, p.name === null ? p.id : `${p.id} · ${p.name}`));
    // A bundle names no one else: a colleague's share is "another payee"'s.
    if (this.bundleMode) options.push(h("option", { value: ANOTHER_PAYEE_ID }, "another payee"));
    const select = h("select", { class: "split-payee", "aria-label": "split payee" }, ...options);
    select.value = payee !== "" ? payee : (this.payee ?? "");
    const shareInput = h("input", { class: "split-share", type: "text", value: share, placeholder: "50%", "aria-label": "share", size: 6 });
    const remove = h("button", { type: "button", class: "link", "aria-label": "remove split row" }, "×");
    const row = h("div", { class: "split-row" }, select, shareInput, remove);
    remove.addEventListener("click", () => row.remove());
    this.dealSplits.append(row);
  }

  private readDealForm(): WhatIfDeal {
    const fields: Record<string, string> = {};
    for (const input of this.dealFields.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[data-field]")) {
      const name = input.dataset["field"];
      if (name !== undefined && input.value !== "") fields[name] = input.value;
    }
    const splits = [...this.dealSplits.querySelectorAll<HTMLDivElement>(".split-row")].map((row) => ({
      payee: row.querySelector<HTMLSelectElement>(".split-payee")?.value ?? "",
      share: row.querySelector<HTMLInputElement>(".split-share")?.value.trim() ?? "",
    }));
    return {
      owner: this.payee ?? OWN_PAYEE_ID,
      date: this.dealDate.value,
      amount: this.dealAmount.value.trim(),
      currency: this.dealCurrency.value,
      fields,
      splits,
    };
  }

  private addDeal(closed: boolean): void {
    const deal = this.readDealForm();
    const source = this.source;
    if (closed) {
      this.closedDeals = [...this.closedDeals, deal];
      this.dealAmount.value = "";
      this.applyOwnNumbers();
      return;
    }
    const next = [...this.deals, deal];
    const problems = timed("check deals", () => source.setWhatIfDeals(next));
    showProblems(this.dealProblems, problems);
    if (problems.length > 0) {
      source.setWhatIfDeals(this.deals);
      return;
    }
    this.deals = next;
    this.dealAmount.value = "";
    this.renderDealList();
    this.refresh();
  }

  private removeDeal(index: number, closed: boolean): void {
    if (closed) {
      this.closedDeals = this.closedDeals.filter((_, i) => i !== index);
      this.applyOwnNumbers();
    } else {
      this.deals = this.deals.filter((_, i) => i !== index);
      showProblems(this.dealProblems, this.source.setWhatIfDeals(this.deals));
      this.refresh();
    }
    this.renderDealList();
  }

  private renderDealList(): void {
    const describe = (deal: WhatIfDeal): string => {
      const fields = Object.values(deal.fields ?? {}).filter((v) => v !== "");
      const split = (deal.splits ?? []).map((s) => `${s.payee} ${s.share}`).join(", ");
      return [`${grouped(deal.amount)} ${deal.currency ?? ""}`.trim(), deal.date, ...fields, split !== "" ? `split ${split}` : ""].filter(Boolean).join(" · ");
    };
    const item = (deal: WhatIfDeal, index: number, closed: boolean): HTMLLIElement => {
      const remove = h("button", { type: "button", class: "link", "aria-label": "remove deal" }, "remove");
      remove.addEventListener("click", () => this.removeDeal(index, closed));
      return h("li", { class: closed ? "closed" : "hypothetical" }, h("span", { class: "tag" }, closed ? `DEAL-${index + 1} closed` : `WHATIF-${index + 1}`), " ", describe(deal), " ", remove);
    };
    this.dealList.replaceChildren(...(this.ownMode ? this.closedDeals.map((deal, i) => item(deal, i, true)) : []), ...this.deals.map((deal, i) => item(deal, i, false)));
  }

  // The rep's own numbers.

  private buildOwnForm(source: string): void {
    const plan = this.plan;
    const quotaNames = namesRead(source, "quota");
    const metricNames = namesRead(source, "metric");
    const existing = new Map([...this.ownQuotas.querySelectorAll<HTMLInputElement>("input[data-name]")].map((input) => [`${input.dataset["kind"]}|${input.dataset["name"]}|${input.dataset["part"]}`, input.value]));
    const rows = [...quotaNames.map((name) => ({ kind: "quota", name })), ...metricNames.map((name) => ({ kind: "metric", name }))];
    this.ownQuotas.replaceChildren(
      ...rows.map(({ kind, name }) => {
        const input = (part: string, placeholder: string, fallback: string): HTMLInputElement =>
          h("input", { type: "text", "data-kind": kind, "data-name": name, "data-part": part, placeholder, value: existing.get(`${kind}|${name}|${part}`) ?? fallback, "aria-label": `${kind} ${name} ${part}`, size: part === "period" ? 4 : 12 });
        return h("div", { class: "own-row" }, h("span", {}, `${kind}("${name}")`), input("period", "Y1", kind === "quota" ? "Y1" : (plan?.periods[0]?.label ?? "")), input("amount", kind === "quota" ? "amount" : "value", ""));
      }),
    );
    this.ownPayeeFields.replaceChildren(
      ...(plan?.payee_fields ?? []).map((field) => h("label", {}, `${field.name} `, h("input", { type: "text", "data-payee-field": field.name, "aria-label": field.name }))),
    );
  }

  private applyOwnNumbers(): void {
    const value = (id: string): string => byId(id, HTMLInputElement).value;
    const rows = [...this.ownQuotas.querySelectorAll<HTMLDivElement>(".own-row")].map((row) => {
      const part = (name: string): HTMLInputElement | null => row.querySelector<HTMLInputElement>(`input[data-part="${name}"]`);
      return { kind: part("period")?.dataset["kind"] ?? "quota", name: part("period")?.dataset["name"] ?? "", period: part("period")?.value ?? "", amount: part("amount")?.value ?? "" };
    });
    const payeeFields: Record<string, string> = {};
    for (const input of this.ownPayeeFields.querySelectorAll<HTMLInputElement>("input[data-payee-field]")) {
      payeeFields[input.dataset["payeeField"] ?? ""] = input.value;
    }
    this.ownMode = true;
    this.dealAddClosed.hidden = false;
    this.ownPanel.open = true;
    this.host.useOwnNumbers({
      name: value("own-name"),
      role: value("own-role"),
      startDate: value("own-start"),
      targetIncentive: value("own-target"),
      payeeFields,
      quotas: rows.filter((r) => r.kind === "quota").map((r) => ({ name: r.name, period: r.period, amount: r.amount })),
      metrics: rows.filter((r) => r.kind === "metric").map((r) => ({ name: r.name, period: r.period, value: r.amount })),
      deals: this.closedDeals,
    });
    this.renderDealList();
  }

  /** Leaves own-numbers mode (other data was loaded). */
  leaveOwnNumbers(): void {
    this.ownMode = false;
    this.dealAddClosed.hidden = true;
    this.renderDealList();
  }
}

/** The sum of a preview's `payout` lines. */
function figuresTotal(statement: Preview): string {
  return sum(statement.periods.flatMap((p) => p.lines.filter((l) => l.line === "payout").map((l) => l.amount))) ?? "";
}

/** Zero written with a currency's minor digits. */
function zero(digits: number): string {
  return digits > 0 ? `0.${"0".repeat(digits)}` : "0";
}
