//! Stage 1, inputs: GNU ld linker scripts — the model, its parser and its printer.
//!
//! One model serves the section graph (`tailor gc`: which input sections a `KEEP` rule
//! retains, which `/DISCARD/` drops) and the readiness checks (`tailor check`: placement,
//! orphans, ordering hazards). The parser covers what kernel and firmware scripts use; the
//! printer writes a script GNU ld reads back with the same result (`--dump-script`).

pub mod dump;
mod lex;
mod parse;
pub mod placement;
#[cfg(test)]
mod placement_tests;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use dump::dump;
pub use placement::{Placement, Placer};

/// A parsed script (with its `INCLUDE`d scripts parsed in place).
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub commands: Vec<Command>,
}

/// A top-level command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Entry(String),
    /// `OUTPUT_FORMAT(a [, b, c])`.
    OutputFormat(Vec<String>),
    OutputArch(String),
    Output(String),
    SearchDir(String),
    /// `INPUT(...)`, `GROUP(...)` (`group: true`).
    Input {
        group: bool,
        items: Vec<InputItem>,
    },
    /// `INCLUDE file`, with the included script (parsed where it stands).
    Include {
        file: String,
        script: Script,
    },
    Assign(Assignment),
    Sections(Vec<SectionsItem>),
    Memory(Vec<MemoryRegion>),
    Phdrs(Vec<Phdr>),
    Assert {
        expr: Expr,
        message: String,
    },
    /// `INSERT AFTER|BEFORE section`.
    Insert {
        after: bool,
        section: String,
    },
    /// `EXTERN(a b)`, `FORCE_COMMON_ALLOCATION`, `TARGET(x)`, `NOCROSSREFS(a b)`, ... kept as
    /// written: a keyword and its parenthesized words.
    Other {
        keyword: String,
        args: Option<Vec<String>>,
    },
}

/// An input file named by `INPUT`/`GROUP`.
#[derive(Debug, Clone, PartialEq)]
pub enum InputItem {
    File(String),
    /// `-lname`.
    Library(String),
    AsNeeded(Vec<InputItem>),
}

/// An item of `SECTIONS`.
#[derive(Debug, Clone, PartialEq)]
pub enum SectionsItem {
    Output(Box<OutputSection>),
    Assign(Assignment),
    Entry(String),
    Include {
        file: String,
        items: Vec<SectionsItem>,
    },
    Assert {
        expr: Expr,
        message: String,
    },
    /// `OVERLAY ... { ... }`, kept as its sections.
    Overlay(Vec<OutputSection>),
}

/// An output section description.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputSection {
    pub name: String,
    pub address: Option<Expr>,
    /// `(NOLOAD)`, `(COPY)`, `(INFO)`, `(OVERLAY)`, `(DSECT)`, `(READONLY)`, `(TYPE = ...)`.
    pub kind: Option<String>,
    pub lma: Option<Expr>,
    pub align: Option<Expr>,
    pub align_with_input: bool,
    pub subalign: Option<Expr>,
    /// `ONLY_IF_RO`, `ONLY_IF_RW`, `SPECIAL`.
    pub constraint: Option<String>,
    pub items: Vec<OutputItem>,
    /// `> region`.
    pub region: Option<String>,
    /// `AT> region`.
    pub lma_region: Option<String>,
    /// `:phdr` names.
    pub phdrs: Vec<String>,
    /// `= fill`.
    pub fill: Option<Expr>,
    /// Line of the name, for messages.
    pub line: usize,
}

/// An item inside an output section.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputItem {
    Input(InputSectionSpec),
    Assign(Assignment),
    /// `BYTE(e)`, `SHORT`, `LONG`, `QUAD`, `SQUAD`.
    Data {
        size: String,
        expr: Expr,
    },
    Fill(Expr),
    /// `CONSTRUCTORS`, `CREATE_OBJECT_SYMBOLS`, `. = ...` handled as Assign.
    Keyword(String),
    Include {
        file: String,
        items: Vec<OutputItem>,
    },
    Assert {
        expr: Expr,
        message: String,
    },
}

/// An input section description: `KEEP(file(sections))`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSectionSpec {
    pub keep: bool,
    /// `INPUT_SECTION_FLAGS(SHF_A & !SHF_B)`: (flag, wanted) pairs.
    pub flags: Vec<(String, bool)>,
    pub file: Pattern,
    /// `EXCLUDE_FILE` before the file pattern (`EXCLUDE_FILE(a) *(.text)`).
    pub file_excludes: Vec<String>,
    /// `None`: a file name alone (all its sections).
    pub sections: Option<Vec<SectionPattern>>,
    /// Line, for messages.
    pub line: usize,
}

/// A wildcard pattern with its sort wrapper.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub glob: String,
    pub sort: Vec<String>,
}

/// A section pattern: `EXCLUDE_FILE(...) SORT(.text.*)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionPattern {
    pub exclude_files: Vec<String>,
    pub pattern: Pattern,
}

/// `name op expr;` with its `PROVIDE`/`PROVIDE_HIDDEN`/`HIDDEN` wrapper.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub target: String,
    /// `=`, `+=`, `-=`, `*=`, `/=`, `<<=`, `>>=`, `&=`, `|=`.
    pub op: String,
    pub expr: Expr,
    /// `None`, `Some("PROVIDE")`, `Some("PROVIDE_HIDDEN")`, `Some("HIDDEN")`.
    pub wrapper: Option<String>,
}

/// A `MEMORY` region.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRegion {
    pub name: String,
    pub attributes: Option<String>,
    pub origin: Expr,
    pub length: Expr,
}

/// A `PHDRS` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Phdr {
    pub name: String,
    pub kind: String,
    /// `FILEHDR`, `PHDRS`, `AT(e)`, `FLAGS(e)`, as written.
    pub rest: Vec<String>,
    pub at: Option<Expr>,
    pub flags: Option<Expr>,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(u64),
    /// A number as written (`0x1000`, `4K`, `1M`), printed back as written.
    Literal(String, u64),
    Symbol(String),
    Str(String),
    Dot,
    Unary(String, Box<Expr>),
    Binary(String, Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `ALIGN(e)`, `SIZEOF(.text)`, `DEFINED(sym)`, `CONSTANT(MAXPAGESIZE)`, ...
    Call(String, Vec<Expr>),
}

impl Expr {
    /// The symbols the expression's value is relative to (not `.`, nothing inside
    /// `ABSOLUTE`, nor the arguments of `DEFINED`, `SIZEOF`, `ADDR` and the other built-ins
    /// that take section or symbol names as data).
    pub fn symbols(&self, out: &mut Vec<String>) {
        match self {
            Expr::Symbol(s) => out.push(s.clone()),
            Expr::Unary(_, e) => e.symbols(out),
            Expr::Binary(_, a, b) => {
                a.symbols(out);
                b.symbols(out);
            }
            Expr::Ternary(a, b, c) => {
                a.symbols(out);
                b.symbols(out);
                c.symbols(out);
            }
            Expr::Call(f, args) if matches!(f.as_str(), "ALIGN" | "MAX" | "MIN") => {
                for a in args {
                    a.symbols(out);
                }
            }
            _ => {}
        }
    }
}

/// Where a script came from, for messages and `INCLUDE` resolution.
#[derive(Debug, Clone)]
pub struct Origin {
    pub path: PathBuf,
    /// `-L` directories searched for `INCLUDE`, after the script's own directory.
    pub search: Vec<PathBuf>,
}

/// Parses the script in `path` (following `INCLUDE`s relative to it and to `search`).
pub fn parse_file(path: &Path, search: &[PathBuf]) -> Result<Script> {
    let text = std::fs::read(path).map_err(|e| Error::io("reading linker script", path, e))?;
    let origin = Origin {
        path: path.to_path_buf(),
        search: search.to_vec(),
    };
    parse::parse(&text, &origin, &mut vec![canonical(path)])
}

/// Parses script text (`path` names it in messages; `INCLUDE` is resolved against it).
pub fn parse_text(text: &[u8], path: &Path, search: &[PathBuf]) -> Result<Script> {
    let origin = Origin {
        path: path.to_path_buf(),
        search: search.to_vec(),
    };
    parse::parse(text, &origin, &mut vec![canonical(path)])
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// True when `text` looks like a linker script rather than an object (for link inputs such
/// as glibc's `libc.so`, which is `GROUP ( ... )`).
pub fn looks_like_script(text: &[u8]) -> bool {
    !text.starts_with(b"\x7fELF") && !text.starts_with(b"!<arch>") && !text.starts_with(b"!<thin>")
}

impl Script {
    /// Every command, `INCLUDE`d ones flattened in place.
    pub fn flat_commands(&self) -> Vec<&Command> {
        let mut out = Vec::new();
        for c in &self.commands {
            match c {
                Command::Include { script, .. } => out.extend(script.flat_commands()),
                c => out.push(c),
            }
        }
        out
    }

    /// The output sections in script order (`INCLUDE`s and overlays flattened).
    pub fn output_sections(&self) -> Vec<&OutputSection> {
        let mut out = Vec::new();
        for c in self.flat_commands() {
            if let Command::Sections(items) = c {
                flatten_sections(items, &mut out);
            }
        }
        out
    }

    /// The script's assignments in order, each with whether it stands inside an output
    /// section description.
    pub fn assignments(&self) -> Vec<(&Assignment, bool)> {
        let mut out = Vec::new();
        for c in self.flat_commands() {
            match c {
                Command::Assign(a) => out.push((a, false)),
                Command::Sections(items) => {
                    for i in items {
                        match i {
                            SectionsItem::Assign(a) => out.push((a, false)),
                            SectionsItem::Output(o) => {
                                out.extend(o.items.iter().filter_map(|it| match it {
                                    OutputItem::Assign(a) => Some((a, true)),
                                    _ => None,
                                }))
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The object symbols a script-defined symbol's value is relative to, through other
    /// script-defined symbols, in order; empty when the script does not define `name` (or
    /// defines it absolute). `in_output_sections`: only assignments inside output section
    /// descriptions count — GNU ld keeps the section an `ENTRY` defined there is relative to
    /// (`PROVIDE_HIDDEN(low_entry = entry64 - SHIFT)` in OSv's `.text`), not one defined at
    /// the top level; lld keeps it either way.
    pub fn defined_from(&self, name: &str, in_output_sections: bool) -> Vec<String> {
        let assigned: Vec<&Assignment> = self
            .assignments()
            .into_iter()
            .filter(|(_, inside)| *inside || !in_output_sections)
            .map(|(a, _)| a)
            .collect();
        let all: Vec<&Assignment> = self.assignments().into_iter().map(|(a, _)| a).collect();
        let mut out = Vec::new();
        let mut seen = vec![name.to_string()];
        let mut queue = vec![name.to_string()];
        while let Some(n) = queue.pop() {
            // The entry itself must be defined where it counts; what it refers to may be
            // defined anywhere.
            let pool = if n == name { &assigned } else { &all };
            let defs: Vec<&&Assignment> = pool.iter().filter(|a| a.target == n).collect();
            if defs.is_empty() {
                if n != name {
                    out.push(n);
                }
                continue;
            }
            for a in defs {
                let mut names = Vec::new();
                a.expr.symbols(&mut names);
                for s in names {
                    if !seen.contains(&s) {
                        seen.push(s.clone());
                        queue.push(s);
                    }
                }
            }
        }
        out
    }

    /// The symbols the script assigns outright (`name = expr;`, also `HIDDEN(...)`; not
    /// `PROVIDE`, which gives way to a definition in an object), each with the object symbols
    /// its value is relative to ([`Script::defined_from`]). Such an assignment overrides an
    /// object's definition of the name (OSv's `libc/aliases.ld`: `___errno_location =
    /// __errno_location;` beside libc.o's own `___errno_location`), so references to the name
    /// reach the section of what it is assigned from.
    pub fn overriding_definitions(&self) -> Vec<(String, Vec<String>)> {
        let mut names: Vec<&str> = self
            .assignments()
            .into_iter()
            .filter(|(a, _)| a.op == "=" && matches!(a.wrapper.as_deref(), None | Some("HIDDEN")))
            .map(|(a, _)| a.target.as_str())
            .filter(|t| *t != ".")
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|n| (n.to_string(), self.defined_from(n, false)))
            .collect()
    }

    /// Every symbol the script's assignments refer to (lld keeps each one's section:
    /// `LinkerScript::referencedSymbols`), sorted, once each.
    pub fn referenced_symbols(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (a, _) in self.assignments() {
            a.expr.symbols(&mut out);
        }
        out.sort();
        out.dedup();
        out
    }

    /// The `ENTRY` symbol, if the script names one.
    pub fn entry(&self) -> Option<&str> {
        let mut entry = None;
        for c in self.flat_commands() {
            match c {
                Command::Entry(e) => entry = Some(e.as_str()),
                Command::Sections(items) => {
                    for i in items {
                        if let SectionsItem::Entry(e) = i {
                            entry = Some(e.as_str());
                        }
                    }
                }
                _ => {}
            }
        }
        entry
    }
}

fn flatten_sections<'s>(items: &'s [SectionsItem], out: &mut Vec<&'s OutputSection>) {
    for i in items {
        match i {
            SectionsItem::Output(o) => out.push(o),
            SectionsItem::Include { items, .. } => flatten_sections(items, out),
            SectionsItem::Overlay(v) => out.extend(v.iter()),
            _ => {}
        }
    }
}

impl OutputSection {
    /// The input section descriptions, `INCLUDE`s flattened.
    pub fn inputs(&self) -> Vec<&InputSectionSpec> {
        let mut out = Vec::new();
        collect_inputs(&self.items, &mut out);
        out
    }
}

fn collect_inputs<'s>(items: &'s [OutputItem], out: &mut Vec<&'s InputSectionSpec>) {
    for i in items {
        match i {
            OutputItem::Input(s) => out.push(s),
            OutputItem::Include { items, .. } => collect_inputs(items, out),
            _ => {}
        }
    }
}
