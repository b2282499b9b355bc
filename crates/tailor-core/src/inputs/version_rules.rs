//! Stage 1, inputs: which names a version script (or a dynamic list) makes global or local,
//! as GNU ld decides: exact names before wildcards, `global` before `local` among equals.

use std::path::Path;

use crate::demangle::Name;
use crate::error::{Error, Result};
use crate::glob::fnmatch;
use crate::hash::FxHashSet;

/// The language a pattern is matched in: `extern "C++" { ... }` patterns match the demangled
/// name (or the name itself when it does not demangle, as GNU ld's `lang_vers_match` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    C,
    Cxx,
}

/// One pattern of a version script or dynamic list, as GNU ld, lld and mold read it: quoted
/// text is literal, bare text containing `*`, `?` or `[` is an fnmatch wildcard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SymbolPattern {
    pub text: String,
    pub lang: Lang,
    pub wild: bool,
}

impl SymbolPattern {
    /// The pattern a token of the script spells (`"a*b"`, `foo*`, `bar`).
    pub fn parse(token: &str, lang: Lang) -> Self {
        let quoted = token.len() >= 2 && token.starts_with('"') && token.ends_with('"');
        let text = if quoted {
            token[1..token.len() - 1].to_string()
        } else {
            token.trim_matches('"').to_string()
        };
        let wild = !quoted && text.bytes().any(|b| matches!(b, b'*' | b'?' | b'['));
        SymbolPattern { text, lang, wild }
    }

    /// The pattern matching exactly the C name `name` (a quoted entry).
    pub fn literal(name: &[u8]) -> Self {
        SymbolPattern {
            text: String::from_utf8_lossy(name).into_owned(),
            lang: Lang::C,
            wild: false,
        }
    }

    /// Whether the pattern matches the symbol `name`.
    pub fn matches(&self, name: &Name) -> bool {
        let subject = subject(self.lang, name);
        if self.wild {
            fnmatch(self.text.as_bytes(), subject)
        } else {
            self.text.as_bytes() == subject
        }
    }

    /// The pattern as a version script or dynamic list entry spells it (without the `;`).
    pub fn render(&self) -> String {
        let text = if self.wild {
            self.text.clone()
        } else {
            quote_name(self.text.as_bytes())
        };
        match self.lang {
            Lang::C => text,
            Lang::Cxx if self.wild => format!("extern \"C++\" {{ {text}; }}"),
            Lang::Cxx => format!(
                "extern \"C++\" {{ \"{}\"; }}",
                self.text.replace('"', "\\\"")
            ),
        }
    }
}

/// What a pattern of language `lang` is matched against.
fn subject<'n>(lang: Lang, name: &'n Name) -> &'n [u8] {
    match lang {
        Lang::C => name.mangled,
        Lang::Cxx => name.demangled().map_or(name.mangled, str::as_bytes),
    }
}

/// A name as a version-script pattern: bare when it is a plain identifier, else quoted (quoted
/// names match literally, so `*`, `?` and `[` in a name are not globs).
pub fn quote_name(name: &[u8]) -> String {
    let plain = !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
        && !matches!(name, b"global" | b"local" | b"extern");
    let s = String::from_utf8_lossy(name);
    if plain {
        s.into_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The patterns of one scope (global or local): exact names, wildcards, and the catch-all `*`
/// apart, since the linkers rank them so.
#[derive(Debug, Clone, Default)]
struct Tier {
    exact_c: FxHashSet<Vec<u8>>,
    exact_cxx: FxHashSet<Vec<u8>>,
    wild: Vec<SymbolPattern>,
    /// A bare `*` (in either language) was given.
    star: bool,
}

impl Tier {
    fn add(&mut self, p: SymbolPattern) {
        match (p.wild, p.lang) {
            (true, _) if p.text == "*" => self.star = true,
            (true, _) => self.wild.push(p),
            (false, Lang::C) => {
                self.exact_c.insert(p.text.into_bytes());
            }
            (false, Lang::Cxx) => {
                self.exact_cxx.insert(p.text.into_bytes());
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.exact_c.is_empty() && self.exact_cxx.is_empty() && self.wild.is_empty() && !self.star
    }

    fn has_exact(&self, name: &Name) -> bool {
        self.exact_c.contains(name.mangled)
            || (!self.exact_cxx.is_empty() && self.exact_cxx.contains(subject(Lang::Cxx, name)))
    }

    fn has_wild(&self, name: &Name) -> bool {
        self.wild.iter().any(|p| p.matches(name))
    }
}

/// The patterns of one or more version scripts.
#[derive(Debug, Clone, Default)]
pub struct VersionRules {
    global: Tier,
    local: Tier,
    /// For names listed under a tailor consumer comment (`/*------- hello */`): the consumer.
    pub consumer_of: std::collections::HashMap<String, String>,
    /// mold reads an `extern "LANG" { ... }` block as a fresh list whose patterns are global,
    /// even under `local:` (its `read_version_script_commands` starts each block with
    /// `is_global = true`; mold 1.10).
    extern_blocks_global: bool,
}

/// What a script says about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Local,
    /// The scripts do not mention it.
    Unmentioned,
}

/// One pattern read from a script, with where it stands.
struct Entry {
    pattern: SymbolPattern,
    local: bool,
    consumer: Option<String>,
}

/// The patterns of a version script (`dynamic_list == false`: nodes of `global:`/`local:`
/// lists) or of a dynamic list (one brace block, every pattern global).
fn entries(
    path: &Path,
    text: &str,
    dynamic_list: bool,
    extern_blocks_global: bool,
) -> Result<Vec<Entry>> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    let mut local = false;
    let mut depth = 0usize;
    let mut consumer: Option<String> = None;
    // The language of each open `extern "LANG" {` block, with the depth it opened at.
    let mut langs: Vec<(usize, Lang)> = Vec::new();
    let mut pending_lang: Option<Lang> = None;
    // A dynamic list's patterns are inside its braces; a version script's inside its nodes.
    let pattern_depth = 1;
    let mut it = tokens.iter().peekable();
    if dynamic_list && tokens.first().map(|t| t.0.as_str()) != Some("{") {
        return Err(Error::syntax(
            path,
            tokens.first().map_or(1, |t| t.1),
            "expected `{` opening the dynamic list",
        ));
    }
    while let Some((tok, line)) = it.next() {
        match tok.as_str() {
            "{" => {
                depth += 1;
                if depth == 1 {
                    local = false;
                }
                if let Some(lang) = pending_lang.take() {
                    langs.push((depth, lang));
                }
            }
            "}" => {
                if depth == 0 {
                    return Err(Error::syntax(path, *line, "unbalanced `}`"));
                }
                if langs.last().is_some_and(|&(d, _)| d == depth) {
                    langs.pop();
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
            "extern" if depth >= pattern_depth => {
                let lang = match it.next() {
                    Some((l, _)) if l.trim_matches('"') == "C++" => Lang::Cxx,
                    Some((l, _)) if l.trim_matches('"') == "C" => Lang::C,
                    Some((l, line)) => {
                        return Err(Error::syntax(
                            path,
                            *line,
                            format!(
                                "unknown language {l} after `extern` (expected \"C\" or \"C++\")"
                            ),
                        ))
                    }
                    None => {
                        return Err(Error::syntax(path, *line, "end of file after `extern`"));
                    }
                };
                pending_lang = Some(lang);
            }
            _ if depth < pattern_depth => {} // version node names and dependencies
            name => {
                let lang = langs.last().map_or(Lang::C, |&(_, l)| l);
                let in_extern_block = !langs.is_empty();
                out.push(Entry {
                    pattern: SymbolPattern::parse(name, lang),
                    local: local && !dynamic_list && !(in_extern_block && extern_blocks_global),
                    consumer: consumer.clone(),
                });
            }
        }
    }
    if depth != 0 {
        let what = if dynamic_list {
            "unbalanced `{`: end of file inside the dynamic list"
        } else {
            "unbalanced `{`: end of file inside a version node"
        };
        return Err(Error::syntax(path, tokens.last().map_or(1, |t| t.1), what));
    }
    Ok(out)
}

/// Whether a version script names a version node (`V1 { ... };`), so that its exports
/// carry versions; an anonymous node (`{ global: ...; local: *; };`) gives none.
pub fn names_versions(text: &str) -> bool {
    let mut depth = 0usize;
    for (tok, _) in tokenize(text) {
        match tok.as_str() {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            ";" => {}
            t if depth == 0 && !t.starts_with("/*") => return true,
            _ => {}
        }
    }
    false
}

/// The patterns of a dynamic list (`{ a; b*; extern "C++" { ns::*; }; };`), in order.
pub fn parse_dynamic_list(path: &Path, text: &str) -> Result<Vec<SymbolPattern>> {
    Ok(entries(path, text, true, false)?
        .into_iter()
        .map(|e| e.pattern)
        .collect())
}

impl VersionRules {
    /// No rules yet, to be read as `linker` reads them.
    pub fn for_linker(linker: crate::inputs::link_command::Linker) -> Self {
        VersionRules {
            extern_blocks_global: linker == crate::inputs::link_command::Linker::Mold,
            ..VersionRules::default()
        }
    }

    /// Adds the script `text` (read from `path`, named in errors).
    pub fn add_script(&mut self, path: &Path, text: &str) -> Result<()> {
        for e in entries(path, text, false, self.extern_blocks_global)? {
            self.add_pattern(e.pattern, e.local, e.consumer.as_deref());
        }
        Ok(())
    }

    /// Adds one pattern, global or local, as a script listing it under `consumer`'s comment
    /// would (a plan's rules, built without rendering its script).
    pub fn add_pattern(&mut self, pattern: SymbolPattern, local: bool, consumer: Option<&str>) {
        if let (false, false, Some(c)) = (local, pattern.wild, consumer) {
            self.consumer_of.insert(pattern.text.clone(), c.to_string());
        }
        if local {
            self.local.add(pattern);
        } else {
            self.global.add(pattern);
        }
    }

    /// True when no script was added.
    pub fn is_empty(&self) -> bool {
        self.global.is_empty() && self.local.is_empty()
    }

    /// The scope the scripts give `name`: exact names (in either language) before wildcards,
    /// wildcards before the catch-all `*`, `global` before `local` among equals — binutils'
    /// `bfd_find_version_for_sym` (bfd/linker.c) and lld's `scanVersionScript` agree.
    pub fn scope(&self, name: &[u8]) -> Scope {
        let name = Name::new(name);
        if self.global.has_exact(&name) {
            Scope::Global
        } else if self.local.has_exact(&name) {
            Scope::Local
        } else if self.global.has_wild(&name) {
            Scope::Global
        } else if self.local.has_wild(&name) {
            Scope::Local
        } else if self.global.star {
            Scope::Global
        } else if self.local.star {
            Scope::Local
        } else {
            Scope::Unmentioned
        }
    }

    /// The names and patterns the scripts make local, but the catch-all `*`, as a version
    /// script's entries (without `;`): exact names quoted as needed, then C++ names in
    /// `extern "C++"` blocks, then wildcards as written; sorted.
    pub fn local_patterns(&self) -> Vec<String> {
        let mut exact: Vec<&Vec<u8>> = self.local.exact_c.iter().collect();
        exact.sort_unstable();
        let mut out: Vec<String> = exact.into_iter().map(|n| quote_name(n)).collect();
        let mut cxx: Vec<String> = self
            .local
            .exact_cxx
            .iter()
            .map(|t| {
                SymbolPattern {
                    text: String::from_utf8_lossy(t).into_owned(),
                    lang: Lang::Cxx,
                    wild: false,
                }
                .render()
            })
            .collect();
        cxx.sort_unstable();
        out.extend(cxx);
        let mut wild: Vec<String> = self.local.wild.iter().map(SymbolPattern::render).collect();
        wild.sort_unstable();
        wild.dedup();
        out.extend(wild);
        out
    }

    /// A dynamic list's names (`{ a; b*; };`) as global patterns.
    pub fn add_dynamic_list(&mut self, path: &Path, text: &str) -> Result<()> {
        for p in parse_dynamic_list(path, text)? {
            self.global.add(p);
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

    #[test]
    fn cxx_patterns_match_demangled_names_and_star_is_weakest() {
        let mut r = VersionRules::default();
        r.add_script(
            Path::new("v"),
            "{ global: *; extern \"C++\" { \"ns::f(int)\"; }; \"q*\";\n local: extern \"C++\" { ns::*; }; };",
        )
        .unwrap();
        assert_eq!(r.scope(b"_ZN2ns1fEi"), Scope::Global); // exact beats the local wildcard
        assert_eq!(r.scope(b"_ZN2ns1gEi"), Scope::Local); // a wildcard beats `global: *`
        assert_eq!(r.scope(b"q*"), Scope::Global); // quoted: literal
        assert_eq!(r.scope(b"other"), Scope::Global);
        let mut mold = VersionRules::for_linker(crate::inputs::link_command::Linker::Mold);
        mold.add_script(
            Path::new("v"),
            "{ global: *; local: extern \"C++\" { ns::*; }; };",
        )
        .unwrap();
        assert_eq!(mold.scope(b"_ZN2ns1gEi"), Scope::Global);
        let mut hide = VersionRules::default();
        hide.add_script(
            Path::new("v"),
            "{ local: extern \"C++\" { ns::*; \"a::b()\"; }; x; };",
        )
        .unwrap();
        assert_eq!(
            hide.local_patterns(),
            [
                "x",
                "extern \"C++\" { \"a::b()\"; }",
                "extern \"C++\" { ns::*; }"
            ]
        );
        assert!(r
            .add_script(Path::new("v"), "{ extern \"Java\" { a; }; };")
            .is_err());
    }
}
