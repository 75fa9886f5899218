/**
 * The plan editor: CodeMirror 6 with plan highlighting and the checker's diagnostics
 * (underlines, gutter markers, hover messages with help) placed by their UTF-16 ranges.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Annotation, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import type { Problem } from "./engine.js";
import { payplanLanguage } from "./payplan-language.js";

/** Marks a change made by the page (loading a plan), not typed by the user. */
const loadedByPage = Annotation.define<boolean>();

/** A code editor for one plan. */
export class PlanEditor {
  private readonly view: EditorView;

  /** Mounts the editor in `parent`; `onEdit` gets the text after each edit the user makes. */
  constructor(parent: HTMLElement, onEdit: (text: string) => void) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: "",
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          payplanLanguage,
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          lintGutter(),
          keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ "aria-label": "plan source" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged && !update.transactions.some((t) => t.annotation(loadedByPage) === true)) {
              onEdit(update.state.doc.toString());
            }
          }),
        ],
      }),
    });
  }

  /** The current text. */
  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the text (not reported as an edit). */
  load(text: string): void {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      annotations: loadedByPage.of(true),
    });
  }

  /** Shows the checker's problems in the text. */
  showProblems(problems: readonly Problem[]): void {
    const length = this.view.state.doc.length;
    const diagnostics: Diagnostic[] = [];
    for (const problem of problems) {
      if (problem.range === null) continue;
      const primary = problem.labels[0];
      const from = Math.min(problem.range.start_utf16, length);
      const to = Math.min(Math.max(problem.range.end_utf16, from), length);
      const details = [primary?.message, problem.help === null ? null : `help: ${problem.help}`].filter((part): part is string => Boolean(part));
      diagnostics.push({
        from,
        to,
        severity: problem.severity,
        source: problem.code,
        message: [problem.message, ...details].join("\n"),
      });
      for (const label of problem.labels.slice(1)) {
        const labelFrom = Math.min(label.start_utf16, length);
        diagnostics.push({ from: labelFrom, to: Math.min(Math.max(label.end_utf16, labelFrom), length), severity: "info", source: problem.code, message: label.message });
      }
    }
    this.view.dispatch(setDiagnostics(this.view.state, diagnostics));
  }

  /** Selects a problem's range and scrolls to it. */
  reveal(problem: Problem): void {
    if (problem.range === null) return;
    const length = this.view.state.doc.length;
    const anchor = Math.min(problem.range.start_utf16, length);
    const head = Math.min(problem.range.end_utf16, length);
    this.view.dispatch({ selection: { anchor, head }, scrollIntoView: true });
    this.view.focus();
  }

  /** Moves the cursor to the end of a line (1-based) and focuses the editor. */
  focusLineEnd(line: number): void {
    const target = this.view.state.doc.line(Math.min(Math.max(line, 1), this.view.state.doc.lines));
    this.view.dispatch({ selection: { anchor: target.to }, scrollIntoView: true });
    this.view.focus();
  }
}
