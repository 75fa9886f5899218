/**
 * Syntax highlighting of plans in CodeMirror: a small tokenizer over the words of
 * `grammar/payplan.pest` (comments, strings, numbers with `%` and `x`, currency
 * codes, keywords, `booking.` / `payee.` fields). Highlighting only: the checker in
 * the engine is what says whether a plan is right.
 */
import { StreamLanguage, type StringStream } from "@codemirror/language";

const KEYWORDS = new Set(
  ("above accelerator all and at below bonus by cap clawback commission credit currency curve decelerator down draw " +
    "eligible else expect field for gate guaranteed half half_even half_up if in let levels linear marginal measure " +
    "month not of on or pay per period periods plan prorate quarter rate recoverable retroactive rollup rounding " +
    "spif split splits step table term test then tiers to total up use when window within year days")
    .split(" "),
);
const TYPES = new Set(["text", "number", "money", "date", "bool"]);
const BUILTINS = new Set(["credited", "quota", "metric", "owner_of", "min", "max", "round", "count", "sum", "fx"]);
const ATOMS = new Set(["true", "false"]);

function token(stream: StringStream): string | null {
  if (stream.eatSpace()) return null;
  if (stream.eat("#")) {
    stream.skipToEnd();
    return "comment";
  }
  if (stream.eat('"')) {
    while (!stream.eol()) {
      const next = stream.next();
      if (next === "\\") stream.next();
      else if (next === '"') break;
    }
    return "string";
  }
  if (stream.match(/^\d{4}-\d{2}-\d{2}/)) return "number";
  if (stream.match(/^\d[\d_]*(\.\d+)?(%|x\b)?/)) return "number";
  if (stream.match(/^(booking|payee)\.[A-Za-z_][A-Za-z0-9_]*/)) return "propertyName";
  if (stream.match(/^[A-Z]{3}\b/)) return "unit";
  const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
  if (word && typeof word !== "boolean") {
    const text = word[0];
    if (KEYWORDS.has(text)) return "keyword";
    if (TYPES.has(text)) return "typeName";
    if (ATOMS.has(text)) return "atom";
    if (BUILTINS.has(text)) return "variableName.function";
    return "variableName";
  }
  if (stream.match(/^(==|!=|>=|<=|=>|[-+*/<>=])/)) return "operator";
  if (stream.match(/^[{}()[\],:]/)) return "punctuation";
  stream.next();
  return null;
}

/** The plan language for CodeMirror. */
export const payplanLanguage = StreamLanguage.define<null>({
  name: "payplan",
  startState: () => null,
  token: (stream) => token(stream),
  languageData: { commentTokens: { line: "#" } },
});
