//! Comments, recovered from the source text: the parser drops them, the formatter
//! keeps every one.
//!
//! A comment is `#` to the end of the line, outside a string. The scan follows the
//! grammar's lexical rules for strings (`"` ... `"`, `\` escapes the next character, a
//! raw newline ends an unterminated string), so a `#` inside `"Team #1"` is not a
//! comment.

/// One `# ...` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// One past the comment's last byte (before the line end; trailing whitespace and
    /// a `\r` excluded).
    pub end: usize,
    /// The text from `#` on, trailing whitespace removed.
    pub text: String,
    /// Whether code precedes the comment on its line (`rate 8%  # note`).
    pub trailing: bool,
}

/// Every comment of `source`, in order.
pub fn scan(source: &str) -> Vec<Comment> {
    let mut comments = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut code_on_line = false;
    let mut chars = source.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if in_string {
            match (escaped, c) {
                (true, '\n') => {
                    escaped = false;
                    in_string = false;
                    code_on_line = false;
                }
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, '\n') => {
                    in_string = false;
                    code_on_line = false;
                }
                _ => {}
            }
            continue;
        }
        match c {
            '#' => {
                let mut end = at + 1;
                while let Some(&(next_at, next)) = chars.peek() {
                    if next == '\n' {
                        break;
                    }
                    end = next_at + next.len_utf8();
                    chars.next();
                }
                let raw = source.get(at..end).unwrap_or("");
                let text = raw.trim_end().to_string();
                comments.push(Comment { start: at, end: at + text.len(), text, trailing: code_on_line });
            }
            '"' => {
                in_string = true;
                code_on_line = true;
            }
            '\n' => code_on_line = false,
            c if c.is_whitespace() => {}
            _ => code_on_line = true,
        }
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let source = "#\n# head\nlet x = \"a # b\"  # tail\r\n  # own\n";
        let found = scan(source);
        let texts: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["#", "# head", "# tail", "# own"]);
        assert_eq!(found.iter().map(|c| c.trailing).collect::<Vec<_>>(), [false, false, true, false]);
        for c in &found {
            assert_eq!(&source[c.start..c.end], c.text);
        }
    }

    #[test]
    fn escaped_quotes_stay_in_the_string() {
        let found = scan("let x = \"say \\\"#1\\\"\" # real");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "# real");
    }
}
