//! Stage 4, build: removes the comments of C and C++ headers the way the language defines them
//! (string and character literals, raw strings, digit separators and backslash-newline
//! continuations respected), keeping comments that carry an SPDX license identifier and every
//! newline (so line numbers in compiler messages still match). Linux's one-line regular
//! expression breaks on `"/*"` inside a string; this does not.

/// Whether a path names a C or C++ header (by its extension).
pub fn is_header(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".h", ".hh", ".hpp", ".hxx", ".h++", ".inc", ".tcc"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// `text` without its comments (each replaced by a space, or by the newlines it spanned).
pub fn strip(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    let n = text.len();
    // The previous significant byte, to tell `'` as a digit separator (1'000) from a literal.
    let mut in_number = false;
    while i < n {
        let c = text[i];
        match c {
            b'/' if peek(text, i + 1) == Some(b'/') => {
                let end = line_comment_end(text, i);
                emit_comment(&mut out, &text[i..end], false);
                i = end;
                in_number = false;
            }
            b'/' if peek(text, i + 1) == Some(b'*') => {
                let end = block_comment_end(text, i + 2);
                emit_comment(&mut out, &text[i..end], true);
                i = end;
                in_number = false;
            }
            b'"' | b'\'' if !(c == b'\'' && in_number) => {
                let raw = c == b'"' && raw_string_prefix(&out);
                let end = if raw {
                    raw_string_end(text, i)
                } else {
                    literal_end(text, i, c)
                };
                out.extend_from_slice(&text[i..end]);
                i = end;
                in_number = false;
            }
            _ => {
                if c.is_ascii_digit() && !in_number && !prev_is_ident(&out) {
                    in_number = true;
                } else if in_number
                    && !(c.is_ascii_alphanumeric()
                        || matches!(c, b'_' | b'.' | b'\'')
                        || (matches!(c, b'+' | b'-')
                            && matches!(out.last(), Some(b'e' | b'E' | b'p' | b'P'))))
                {
                    in_number = false;
                }
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn peek(t: &[u8], i: usize) -> Option<u8> {
    t.get(i).copied()
}

fn prev_is_ident(out: &[u8]) -> bool {
    out.last()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `R"` (also `u8R"`, `LR"`, ...) just before the quote: a C++ raw string.
fn raw_string_prefix(out: &[u8]) -> bool {
    let ident: Vec<u8> = out
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .copied()
        .collect();
    let ident: Vec<u8> = ident.into_iter().rev().collect();
    matches!(ident.as_slice(), b"R" | b"u8R" | b"uR" | b"UR" | b"LR")
}

/// End (exclusive) of a `//` comment: the newline that is not spliced by a backslash.
fn line_comment_end(t: &[u8], start: usize) -> usize {
    let mut i = start + 2;
    while i < t.len() {
        if t[i] == b'\n' {
            let spliced = t[..i].ends_with(b"\\") || t[..i].ends_with(b"\\\r");
            if !spliced {
                return i;
            }
        }
        i += 1;
    }
    t.len()
}

/// End (exclusive) of a `/*` comment whose body starts at `i`.
fn block_comment_end(t: &[u8], mut i: usize) -> usize {
    while i + 1 < t.len() {
        if t[i] == b'*' && t[i + 1] == b'/' {
            return i + 2;
        }
        // `*\<newline>/` also closes it (splicing comes first).
        if t[i] == b'*' && t[i + 1] == b'\\' {
            let mut j = i + 2;
            if t.get(j) == Some(&b'\r') {
                j += 1;
            }
            if t.get(j) == Some(&b'\n') && t.get(j + 1) == Some(&b'/') {
                return j + 2;
            }
        }
        i += 1;
    }
    t.len()
}

/// End (exclusive) of a string or character literal opened at `start` by `quote`.
fn literal_end(t: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < t.len() {
        match t[i] {
            b'\\' => i += 2,
            b'\n' => return i, // unterminated: stop at the end of the line, as the lexer does
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    t.len()
}

/// End (exclusive) of a raw string `"delim( ... )delim"` opened at `start`.
fn raw_string_end(t: &[u8], start: usize) -> usize {
    let Some(open) = t[start + 1..]
        .iter()
        .position(|&b| b == b'(')
        .map(|p| start + 1 + p)
    else {
        return literal_end(t, start, b'"');
    };
    let delim = &t[start + 1..open];
    if delim.len() > 16 || delim.iter().any(|b| b.is_ascii_whitespace() || *b == b'\\') {
        return literal_end(t, start, b'"');
    }
    let mut close = Vec::with_capacity(delim.len() + 2);
    close.push(b')');
    close.extend_from_slice(delim);
    close.push(b'"');
    t[open..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map_or(t.len(), |p| open + p + close.len())
}

/// A comment's replacement: itself if it names an SPDX license, else its newlines (a block
/// comment with none becomes one space, as the language replaces it).
fn emit_comment(out: &mut Vec<u8>, comment: &[u8], block: bool) {
    if comment.windows(23).any(|w| w == b"SPDX-License-Identifier") {
        out.extend_from_slice(comment);
        return;
    }
    let newlines = comment.iter().filter(|&&b| b == b'\n').count();
    if newlines == 0 {
        if block {
            out.push(b' ');
        }
    } else {
        // Keep a line comment's spliced lines' count too.
        out.extend(std::iter::repeat_n(b'\n', newlines));
    }
}

#[cfg(test)]
mod tests {
    use super::strip;

    fn s(t: &str) -> String {
        String::from_utf8(strip(t.as_bytes())).unwrap()
    }

    #[test]
    fn tricky_inputs() {
        assert_eq!(s("a /* c */ b // d\ne"), "a   b \ne");
        assert_eq!(
            s("char *p = \"/* not a comment */\"; // x"),
            "char *p = \"/* not a comment */\"; "
        );
        assert_eq!(
            s("c = '\"'; /* q */ d = '\\''; e = \"\\\"//\";"),
            "c = '\"';   d = '\\''; e = \"\\\"//\";"
        );
        assert_eq!(s("/* a\n b\n */x"), "\n\nx");
        assert_eq!(s("// one \\\n two\nthree"), "\n\nthree");
        assert_eq!(s("a/**/b"), "a b");
        assert_eq!(s("/* /* nested-looking */ */"), "  */");
        assert_eq!(
            s("/* SPDX-License-Identifier: MIT */\nint x;"),
            "/* SPDX-License-Identifier: MIT */\nint x;"
        );
        assert_eq!(
            s("// SPDX-License-Identifier: GPL-2.0\n"),
            "// SPDX-License-Identifier: GPL-2.0\n"
        );
        assert_eq!(s("int n = 1'000'000; // sep\n"), "int n = 1'000'000; \n");
        assert_eq!(
            s("auto r = R\"x(/* */ \" // )x\"; /* c */"),
            "auto r = R\"x(/* */ \" // )x\";  "
        );
        assert_eq!(
            s("#define X \"a\\\n/*b*/\" /* c */\n"),
            "#define X \"a\\\n/*b*/\"  \n"
        );
        assert_eq!(s("x /* end *\\\n/ y"), "x \n y");
    }
}
