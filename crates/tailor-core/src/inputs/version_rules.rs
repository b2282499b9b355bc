//! Stage 1, inputs: which names a version script (or a dynamic list) makes global or local,
//! as GNU ld decides: exact names before wildcards, `global` before `local` among equals.

use std::path::Path;

use crate::error::{Error, Result};
use crate::glob::fnmatch;
use crate::hash::FxHashSet;

/// The patterns of one or more version scripts.
#[derive(Debug, Clone, Default)]
pub struct VersionRules {
    global_exact: FxHashSet<Vec<u8>>,
    global_wild: Vec<String>,
    local_exact: FxHashSet<Vec<u8>>,
    local_wild: Vec<String>,
    /// For names listed under a tailor consumer comment (`/*------- hello */`): the consumer.
    pub consumer_of: std::collections::HashMap<String, String>,
}

/// What a script says about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Local,
    /// The scripts do not mention it.
    Unmentioned,
}

impl VersionRules {
    /// Adds the script `text` (read from `path`, named in errors).
    pub fn add_script(&mut self, path: &Path, text: &str) -> Result<()> {
        let tokens = tokenize(text);
        let mut local = false;
        let mut depth = 0usize;
        let mut consumer: Option<String> = None;
        let mut it = tokens.iter().peekable();
        while let Some((tok, line)) = it.next() {
            match tok.as_str() {
                "{" => {
                    depth += 1;
                    if depth == 1 {
                        local = false;
                    }
                }
                "}" => {
                    if depth == 0 {
                        return Err(Error::syntax(path, *line, "unbalanced `}`"));
                    }
                    depth -= 1;
                }
                ";" => {}
                "global:" => local = false,
                "local:" => local = true,
                t if t.starts_with("/*-------") => {
                    consumer = Some(
                        t.trim_start_matches("/*-------")
                            .trim_end_matches("*/")
                            .trim()
                            .to_string(),
                    );
                }
                "extern" => {
                    // extern "C++" { ... } — names kept as written (demangled patterns).
                    it.next();
                }
                _ if depth == 0 => {} // version node names and dependencies
                name => {
                    let name = name.trim_matches('"').to_string();
                    let wild = name.bytes().any(|b| matches!(b, b'*' | b'?' | b'['));
                    if let (false, false, Some(c)) = (local, wild, &consumer) {
                        self.consumer_of.insert(name.clone(), c.clone());
                    }
                    match (local, wild) {
                        (false, false) => {
                            self.global_exact.insert(name.into_bytes());
                        }
                        (false, true) => self.global_wild.push(name),
                        (true, false) => {
                            self.local_exact.insert(name.into_bytes());
                        }
                        (true, true) => self.local_wild.push(name),
                    }
                }
            }
        }
        if depth != 0 {
            return Err(Error::syntax(
                path,
                tokens.last().map(|t| t.1).unwrap_or(1),
                "unbalanced `{`: end of file inside a version node",
            ));
        }
        Ok(())
    }

    /// True when no script was added.
    pub fn is_empty(&self) -> bool {
        self.global_exact.is_empty()
            && self.global_wild.is_empty()
            && self.local_exact.is_empty()
            && self.local_wild.is_empty()
    }

    /// The scope the scripts give `name`.
    pub fn scope(&self, name: &[u8]) -> Scope {
        if self.global_exact.contains(name) {
            return Scope::Global;
        }
        if self.local_exact.contains(name) {
            return Scope::Local;
        }
        if self.global_wild.iter().any(|p| fnmatch(p.as_bytes(), name)) {
            return Scope::Global;
        }
        if self.local_wild.iter().any(|p| fnmatch(p.as_bytes(), name)) {
            return Scope::Local;
        }
        Scope::Unmentioned
    }

    /// The names and patterns the scripts make local, but the catch-all `*`: exact names
    /// quoted as a version script needs them, then wildcards as written; sorted.
    pub fn local_patterns(&self) -> Vec<String> {
        let mut exact: Vec<&Vec<u8>> = self.local_exact.iter().collect();
        exact.sort_unstable();
        let mut out: Vec<String> = exact
            .into_iter()
            .map(|n| crate::decide::version_script::quote_name(n))
            .collect();
        let mut wild: Vec<&String> = self.local_wild.iter().filter(|p| *p != "*").collect();
        wild.sort_unstable();
        wild.dedup();
        out.extend(wild.into_iter().cloned());
        out
    }

    /// A dynamic list's names (`{ a; b*; };`) as global patterns.
    pub fn add_dynamic_list(&mut self, path: &Path, text: &str) -> Result<()> {
        for p in crate::decide::dynamic_list::parse(path, text)? {
            if p.bytes().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                self.global_wild.push(p);
            } else {
                self.global_exact.insert(p.into_bytes());
            }
        }
        Ok(())
    }
}

/// Words, braces, `;` and `global:`/`local:` with their lines; comments dropped.
fn tokenize(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let start = i;
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                if b[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(b.len());
            if text[start..i].starts_with("/*-------") {
                out.push((text[start..i].to_string(), line));
            }
        } else if matches!(c, b'{' | b'}' | b';') {
            out.push(((c as char).to_string(), line));
            i += 1;
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push((text[start..i].to_string(), line));
        } else {
            let start = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'{' | b'}' | b';')
            {
                i += 1;
            }
            let w = &text[start..i];
            // `global :` spelled apart.
            if (w == "global" || w == "local") && text[i..].trim_start().starts_with(':') {
                let skip = text[i..].find(':').unwrap_or(0) + 1;
                i += skip;
                out.push((format!("{w}:"), line));
            } else {
                out.push((w.to_string(), line));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_before_wildcard() {
        let mut r = VersionRules::default();
        r.add_script(
            Path::new("v"),
            "V1 { global: foo; bar*; local: *; baz; };\nV2 { global: x; } V1;",
        )
        .unwrap();
        assert_eq!(r.scope(b"foo"), Scope::Global);
        assert_eq!(r.scope(b"bar1"), Scope::Global);
        assert_eq!(r.scope(b"baz"), Scope::Local);
        assert_eq!(r.scope(b"other"), Scope::Local);
        assert_eq!(r.scope(b"x"), Scope::Global);
    }
}
