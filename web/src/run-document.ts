/** The shape of `payplan run --format json` (cli.md), as the page reads it. Amounts are strings. */

/** One line of a period: a component, `cap`, `draw`, `carry`, `recovery` or `payout`. */
export interface LineAmount {
  line: string;
  amount: string;
}

/** `payplan run --format json`. */
export interface RunDocument {
  plan: string;
  currency: string;
  periods: { label: string; start: string; end: string }[];
  payees: { id: string; balance: string; periods: { period: string; lines: LineAmount[] }[] }[];
  unpaid_credits: { booking: string; payee: string; rule: string; amount: string; reason: string }[];
}
