/** Problems (plan, data, deal, evaluation) as a list a person can act on. */
import type { Problem, Stage } from "./engine.js";
import { h } from "./dom.js";

/** Where a problem is: `line 12, column 5` in the plan, or the data file and line. */
export function location(problem: Problem): string {
  if (problem.range !== null) return `line ${problem.range.line}, column ${problem.range.column}`;
  return "";
}

/** Replaces `container`'s content with the problems (empty: hides it). */
export function showProblems(container: HTMLElement, problems: readonly Problem[], onSelect?: (problem: Problem) => void): void {
  container.replaceChildren();
  container.hidden = problems.length === 0;
  for (const problem of problems) {
    const where = location(problem);
    const item = h(
      "li",
      { class: `problem ${problem.severity}`, "data-code": problem.code },
      h("span", { class: "severity" }, problem.severity),
      " ",
      h("span", { class: "message" }, problem.message),
      where !== "" ? h("span", { class: "where" }, ` (${where})`) : null,
      problem.help !== null ? h("div", { class: "help" }, "help: ", problem.help) : null,
    );
    if (onSelect !== undefined && problem.range !== null) {
      item.classList.add("selectable");
      item.tabIndex = 0;
      item.addEventListener("click", () => onSelect(problem));
    }
    container.append(item);
  }
}

/** A problem found by the page itself (a file it could not fetch), in the engine's shape. */
export function pageProblem(stage: Stage, message: string, help: string | null = null): Problem {
  return { stage, code: `payplan::${stage}`, severity: "error", message, range: null, labels: [], help, file: null, line: null, deal: null, field: null };
}
