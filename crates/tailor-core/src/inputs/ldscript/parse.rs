//! The linker-script parser: recursive descent over the modal lexer, `INCLUDE`s parsed in
//! place (relative to the including script, then the `-L` directories), loops refused.

use std::path::{Path, PathBuf};

use super::lex::{Lexer, Mode, Tok};
use super::*;

/// Parses `text`; `stack` holds the canonical paths of the scripts being parsed (loops).
pub fn parse(text: &[u8], origin: &Origin, stack: &mut Vec<PathBuf>) -> Result<Script> {
    let mut p = Parser {
        lex: Lexer::new(text),
        origin,
        stack,
    };
    let mut commands = Vec::new();
    loop {
        match p.peek(Mode::Script)? {
            Tok::Eof => break,
            Tok::Punct(";") => {
                p.next(Mode::Script)?;
            }
            _ => commands.push(p.command()?),
        }
    }
    Ok(Script { commands })
}

struct Parser<'t, 'o, 's> {
    lex: Lexer<'t>,
    origin: &'o Origin,
    stack: &'s mut Vec<PathBuf>,
}

const ASSIGN_OPS: &[&str] = &["=", "+=", "-=", "*=", "/=", "<<=", ">>=", "&=", "|="];
const SECTION_TYPES: &[&str] = &["NOLOAD", "DSECT", "COPY", "INFO", "OVERLAY", "READONLY"];
const SORTS: &[&str] = &[
    "SORT",
    "SORT_BY_NAME",
    "SORT_BY_ALIGNMENT",
    "SORT_BY_INIT_PRIORITY",
    "SORT_NONE",
    "REVERSE",
];
const DATA_SIZES: &[&str] = &["BYTE", "SHORT", "LONG", "QUAD", "SQUAD"];

impl Parser<'_, '_, '_> {
    fn err<T>(&mut self, msg: impl Into<String>) -> Result<T> {
        let (line, col) = self.lex.position().unwrap_or((0, 0));
        Err(self.error_at(line, col, msg))
    }

    /// An error about the token just taken.
    fn err_last<T>(&mut self, msg: impl Into<String>) -> Result<T> {
        let (line, col) = self.lex.last;
        Err(self.error_at(line, col, msg))
    }

    fn error_at(&self, line: usize, col: usize, msg: impl Into<String>) -> Error {
        Error::Script {
            path: self.origin.path.clone(),
            line,
            col,
            detail: msg.into(),
        }
    }

    fn lexed<T>(&self, r: std::result::Result<T, super::lex::LexError>) -> Result<T> {
        r.map_err(|(line, col, msg)| self.error_at(line, col, msg))
    }

    fn peek(&mut self, mode: Mode) -> Result<Tok> {
        let r = self.lex.peek(mode);
        self.lexed(r)
    }

    fn next(&mut self, mode: Mode) -> Result<Tok> {
        let r = self.lex.next(mode);
        self.lexed(r)
    }

    fn line(&mut self) -> usize {
        self.lex.position().map(|p| p.0).unwrap_or(0)
    }

    fn expect(&mut self, punct: &'static str, mode: Mode) -> Result<()> {
        match self.peek(mode)? {
            Tok::Punct(p) if p == punct => {
                self.next(mode)?;
                Ok(())
            }
            t => self.err(format!("expected `{punct}`, found {}", describe(&t))),
        }
    }

    fn eat(&mut self, punct: &str, mode: Mode) -> Result<bool> {
        if matches!(self.peek(mode)?, Tok::Punct(p) if p == punct) {
            self.next(mode)?;
            return Ok(true);
        }
        Ok(false)
    }

    fn name(&mut self, mode: Mode) -> Result<String> {
        match self.peek(mode)? {
            Tok::Name(n) | Tok::Str(n) => {
                self.next(mode)?;
                Ok(n)
            }
            t => self.err(format!("expected a name, found {}", describe(&t))),
        }
    }

    fn is_name(&mut self, mode: Mode, word: &str) -> Result<bool> {
        Ok(matches!(self.peek(mode)?, Tok::Name(n) if n == word))
    }

    // ---- top level ----

    fn command(&mut self) -> Result<Command> {
        let tok = self.peek(Mode::Script)?;
        let Tok::Name(word) = tok else {
            return self.err(format!("expected a command, found {}", describe(&tok)));
        };
        match word.as_str() {
            "ENTRY" => {
                self.next(Mode::Script)?;
                Ok(Command::Entry(self.paren_name()?))
            }
            "OUTPUT_FORMAT" => {
                self.next(Mode::Script)?;
                self.expect("(", Mode::Script)?;
                let mut v = vec![self.name(Mode::Script)?];
                while self.eat(",", Mode::Script)? {
                    v.push(self.name(Mode::Script)?);
                }
                self.expect(")", Mode::Script)?;
                Ok(Command::OutputFormat(v))
            }
            "OUTPUT_ARCH" => {
                self.next(Mode::Script)?;
                Ok(Command::OutputArch(self.paren_name()?))
            }
            "OUTPUT" => {
                self.next(Mode::Script)?;
                Ok(Command::Output(self.paren_name()?))
            }
            "SEARCH_DIR" => {
                self.next(Mode::Script)?;
                Ok(Command::SearchDir(self.paren_name()?))
            }
            "INPUT" | "GROUP" => {
                self.next(Mode::Script)?;
                Ok(Command::Input {
                    group: word == "GROUP",
                    items: self.input_items()?,
                })
            }
            "INCLUDE" => {
                self.next(Mode::Script)?;
                let (file, text, origin) = self.include()?;
                let script = parse(&text, &origin, self.stack);
                self.stack.pop();
                Ok(Command::Include {
                    file,
                    script: script?,
                })
            }
            "SECTIONS" => {
                self.next(Mode::Script)?;
                self.expect("{", Mode::Script)?;
                let items = self.sections_items()?;
                self.expect("}", Mode::Script)?;
                Ok(Command::Sections(items))
            }
            "MEMORY" => {
                self.next(Mode::Script)?;
                self.memory()
            }
            "PHDRS" => {
                self.next(Mode::Script)?;
                self.phdrs()
            }
            "ASSERT" => {
                self.next(Mode::Script)?;
                let (expr, message) = self.assert_args()?;
                Ok(Command::Assert { expr, message })
            }
            "INSERT" => {
                self.next(Mode::Script)?;
                let after = match self.name(Mode::Script)?.as_str() {
                    "AFTER" => true,
                    "BEFORE" => false,
                    other => return self.err(format!("expected AFTER or BEFORE, found `{other}`")),
                };
                Ok(Command::Insert {
                    after,
                    section: self.name(Mode::Script)?,
                })
            }
            "FORCE_COMMON_ALLOCATION"
            | "INHIBIT_COMMON_ALLOCATION"
            | "FORCE_GROUP_ALLOCATION"
            | "NOCROSSREFS"
            | "NOCROSSREFS_TO"
            | "EXTERN"
            | "TARGET"
            | "STARTUP"
            | "REGION_ALIAS"
            | "LD_FEATURE"
            | "SECTIONS_ALIGN" => {
                self.next(Mode::Script)?;
                let args = if self.eat("(", Mode::Script)? {
                    let mut v = Vec::new();
                    loop {
                        match self.next(Mode::Script)? {
                            Tok::Punct(")") => break,
                            Tok::Punct(",") => {}
                            Tok::Name(n) => v.push(n),
                            Tok::Str(s) => v.push(format!("\"{s}\"")),
                            t => return self.err(format!("unexpected {}", describe(&t))),
                        }
                    }
                    Some(v)
                } else {
                    None
                };
                Ok(Command::Other {
                    keyword: word,
                    args,
                })
            }
            "VERSION" => {
                self.next(Mode::Script)?;
                let body = self.raw_block()?;
                Ok(Command::Other {
                    keyword: "VERSION".into(),
                    args: Some(vec![body]),
                })
            }
            _ => {
                let a = self.assignment(Mode::Script)?;
                Ok(Command::Assign(a))
            }
        }
    }

    fn paren_name(&mut self) -> Result<String> {
        self.expect("(", Mode::Script)?;
        let n = self.name(Mode::Wild)?;
        self.expect(")", Mode::Script)?;
        Ok(n)
    }

    fn input_items(&mut self) -> Result<Vec<InputItem>> {
        self.expect("(", Mode::Script)?;
        let mut items = Vec::new();
        loop {
            match self.next(Mode::Wild)? {
                Tok::Punct(")") => break,
                Tok::Punct(",") => {}
                Tok::Name(n) if n == "AS_NEEDED" => {
                    items.push(InputItem::AsNeeded(self.input_items()?))
                }
                Tok::Name(n) | Tok::Str(n) => items.push(match n.strip_prefix("-l") {
                    Some(lib) => InputItem::Library(lib.to_string()),
                    None => InputItem::File(n),
                }),
                Tok::Punct("-") => {
                    let n = self.name(Mode::Wild)?;
                    match n.strip_prefix('l') {
                        Some(lib) => items.push(InputItem::Library(lib.to_string())),
                        None => return self.err(format!("unexpected `-{n}`")),
                    }
                }
                t => return self.err_last(format!("unexpected {} in an input list", describe(&t))),
            }
        }
        Ok(items)
    }

    /// Reads `INCLUDE file`: returns its name as written, text and origin (pushed on the
    /// stack; the caller pops).
    fn include(&mut self) -> Result<(String, Vec<u8>, Origin)> {
        let (line, col) = self.lex.position().unwrap_or((0, 0));
        let file = self.name(Mode::Script)?;
        let dir = self.origin.path.parent().unwrap_or(Path::new(""));
        let mut candidates = vec![PathBuf::from(&file), dir.join(&file)];
        candidates.extend(self.origin.search.iter().map(|d| d.join(&file)));
        let Some(found) = candidates.into_iter().find(|c| c.is_file()) else {
            return Err(self.error_at(line, col, format!("INCLUDE `{file}`: file not found")));
        };
        let canon = std::fs::canonicalize(&found).unwrap_or_else(|_| found.clone());
        if self.stack.contains(&canon) || self.stack.len() > 64 {
            return Err(self.error_at(
                line,
                col,
                format!(
                    "INCLUDE `{file}` includes itself (loop through {})",
                    found.display()
                ),
            ));
        }
        let text = std::fs::read(&found)
            .map_err(|e| self.error_at(line, col, format!("INCLUDE `{file}`: {e}")))?;
        self.stack.push(canon);
        let origin = Origin {
            path: found,
            search: self.origin.search.clone(),
        };
        Ok((file, text, origin))
    }

    /// `INCLUDE file` inside `SECTIONS` or an output section: the file parsed with `body`,
    /// which must take all of it.
    fn included<T>(
        &mut self,
        body: impl FnOnce(&mut Parser<'_, '_, '_>) -> Result<T>,
    ) -> Result<(String, T)> {
        let (file, text, origin) = self.include()?;
        let inner = {
            let mut p = Parser {
                lex: Lexer::new(&text),
                origin: &origin,
                stack: self.stack,
            };
            body(&mut p).and_then(|v| match p.peek(Mode::Wild)? {
                Tok::Eof => Ok(v),
                t => p.err(format!("unexpected {}", describe(&t))),
            })
        };
        self.stack.pop();
        Ok((file, inner?))
    }

    fn raw_block(&mut self) -> Result<String> {
        self.expect("{", Mode::Wild)?;
        let mut depth = 1;
        let mut words = vec!["{".to_string()];
        while depth > 0 {
            let t = self.next(Mode::Wild)?;
            match &t {
                Tok::Eof => return self.err("unbalanced `{`: end of file inside a block"),
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => depth -= 1,
                _ => {}
            }
            words.push(token_text(&t));
        }
        Ok(words.join(" "))
    }

    // ---- SECTIONS ----

    fn sections_items(&mut self) -> Result<Vec<SectionsItem>> {
        let mut items = Vec::new();
        loop {
            let tok = self.peek(Mode::Script)?;
            match tok {
                Tok::Punct("}") => return Ok(items),
                Tok::Punct(";") => {
                    self.next(Mode::Script)?;
                }
                Tok::Eof => return self.err("unbalanced `{`: end of file inside SECTIONS"),
                Tok::Name(w) => match w.as_str() {
                    "ENTRY" => {
                        self.next(Mode::Script)?;
                        items.push(SectionsItem::Entry(self.paren_name()?));
                    }
                    "ASSERT" => {
                        self.next(Mode::Script)?;
                        let (expr, message) = self.assert_args()?;
                        items.push(SectionsItem::Assert { expr, message });
                    }
                    "INCLUDE" => {
                        self.next(Mode::Script)?;
                        let (file, inner) = self.included(|p| p.sections_items())?;
                        items.push(SectionsItem::Include { file, items: inner });
                    }
                    "OVERLAY" => {
                        self.next(Mode::Script)?;
                        items.push(SectionsItem::Overlay(self.overlay()?));
                    }
                    "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" => {
                        items.push(SectionsItem::Assign(self.assignment(Mode::Script)?));
                    }
                    _ => {
                        // `name =` is an assignment, anything else an output section.
                        let saved_is_assign = self.is_assignment()?;
                        if saved_is_assign {
                            items.push(SectionsItem::Assign(self.assignment(Mode::Script)?));
                        } else {
                            items.push(SectionsItem::Output(Box::new(self.output_section()?)));
                        }
                    }
                },
                t => return self.err(format!("unexpected {} in SECTIONS", describe(&t))),
            }
        }
    }

    /// Looks ahead: a name followed by an assignment operator.
    fn is_assignment(&mut self) -> Result<bool> {
        let saved = self.lex.clone_state();
        let _ = self.next(Mode::Script)?;
        let t = self.peek(Mode::Expr)?;
        self.lex.restore(saved);
        Ok(matches!(t, Tok::Punct(p) if ASSIGN_OPS.contains(&p)))
    }

    fn output_section(&mut self) -> Result<OutputSection> {
        let line = self.line();
        let name = self.name(Mode::Script)?;
        let mut o = OutputSection {
            name,
            line,
            ..Default::default()
        };
        // [address] [(type)] :
        loop {
            match self.peek(Mode::Expr)? {
                Tok::Punct(":") => {
                    self.next(Mode::Expr)?;
                    break;
                }
                Tok::Punct("(") if self.paren_is_type()? => {
                    self.next(Mode::Expr)?;
                    let mut words = Vec::new();
                    loop {
                        match self.next(Mode::Expr)? {
                            Tok::Punct(")") => break,
                            Tok::Eof => return self.err("unbalanced `(`"),
                            t => words.push(token_text(&t)),
                        }
                    }
                    o.kind = Some(words.join(" "));
                }
                _ if o.address.is_none() && o.kind.is_none() => o.address = Some(self.expr()?),
                t => {
                    return self.err(format!(
                        "expected `:` after output section `{}`, found {}",
                        o.name,
                        describe(&t)
                    ))
                }
            }
        }
        // AT(lma) ALIGN(a) SUBALIGN(s) constraint
        loop {
            match self.peek(Mode::Script)? {
                Tok::Name(w) if w == "AT" => {
                    self.next(Mode::Script)?;
                    o.lma = Some(self.paren_expr()?);
                }
                Tok::Name(w) if w == "ALIGN" => {
                    self.next(Mode::Script)?;
                    o.align = Some(self.paren_expr()?);
                }
                Tok::Name(w) if w == "ALIGN_WITH_INPUT" => {
                    self.next(Mode::Script)?;
                    o.align_with_input = true;
                }
                Tok::Name(w) if w == "SUBALIGN" => {
                    self.next(Mode::Script)?;
                    o.subalign = Some(self.paren_expr()?);
                }
                Tok::Name(w) if matches!(w.as_str(), "ONLY_IF_RO" | "ONLY_IF_RW" | "SPECIAL") => {
                    self.next(Mode::Script)?;
                    o.constraint = Some(w);
                }
                _ => break,
            }
        }
        self.expect("{", Mode::Wild)?;
        o.items = self.output_items()?;
        self.expect("}", Mode::Wild)?;
        self.output_tail(&mut o)?;
        Ok(o)
    }

    /// `> region`, `AT> region`, `:phdr`..., `= fill`, `,`.
    fn output_tail(&mut self, o: &mut OutputSection) -> Result<()> {
        loop {
            match self.peek(Mode::Script)? {
                Tok::Punct(">") => {
                    self.next(Mode::Script)?;
                    o.region = Some(self.name(Mode::Script)?);
                }
                Tok::Name(w) if w == "AT" => {
                    let saved = self.lex.clone_state();
                    self.next(Mode::Script)?;
                    if self.eat(">", Mode::Script)? {
                        o.lma_region = Some(self.name(Mode::Script)?);
                    } else {
                        self.lex.restore(saved);
                        break;
                    }
                }
                Tok::Punct(":") => {
                    self.next(Mode::Script)?;
                    o.phdrs.push(self.name(Mode::Script)?);
                }
                Tok::Punct("=") => {
                    self.next(Mode::Script)?;
                    o.fill = Some(self.expr()?);
                }
                Tok::Punct(",") => {
                    self.next(Mode::Script)?;
                    break;
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn paren_is_type(&mut self) -> Result<bool> {
        let saved = self.lex.clone_state();
        self.next(Mode::Expr)?;
        let t = self.peek(Mode::Expr)?;
        self.lex.restore(saved);
        Ok(matches!(t, Tok::Name(w) if SECTION_TYPES.contains(&w.as_str()) || w == "TYPE"))
    }

    fn overlay(&mut self) -> Result<Vec<OutputSection>> {
        // OVERLAY [start] : [NOCROSSREFS] [AT(lma)] { name { ... } ... } tail
        while !matches!(self.peek(Mode::Expr)?, Tok::Punct(":")) {
            self.expr()?;
        }
        self.expect(":", Mode::Expr)?;
        loop {
            match self.peek(Mode::Script)? {
                Tok::Name(w) if w == "NOCROSSREFS" => {
                    self.next(Mode::Script)?;
                }
                Tok::Name(w) if w == "AT" => {
                    self.next(Mode::Script)?;
                    self.paren_expr()?;
                }
                _ => break,
            }
        }
        self.expect("{", Mode::Script)?;
        let mut sections = Vec::new();
        while !matches!(self.peek(Mode::Script)?, Tok::Punct("}")) {
            let line = self.line();
            let name = self.name(Mode::Script)?;
            self.expect("{", Mode::Wild)?;
            let items = self.output_items()?;
            self.expect("}", Mode::Wild)?;
            let mut o = OutputSection {
                name,
                line,
                items,
                ..Default::default()
            };
            self.output_tail(&mut o)?;
            sections.push(o);
        }
        self.expect("}", Mode::Script)?;
        let mut tail = OutputSection::default();
        self.output_tail(&mut tail)?;
        Ok(sections)
    }

    fn output_items(&mut self) -> Result<Vec<OutputItem>> {
        let mut items = Vec::new();
        loop {
            let tok = self.peek(Mode::Wild)?;
            match tok {
                Tok::Punct("}") => return Ok(items),
                Tok::Punct(";") | Tok::Punct(",") => {
                    self.next(Mode::Wild)?;
                }
                Tok::Eof => {
                    return self.err("unbalanced `{`: end of file inside an output section")
                }
                Tok::Name(w) => match w.as_str() {
                    "KEEP" => {
                        self.next(Mode::Wild)?;
                        self.expect("(", Mode::Wild)?;
                        let mut spec = self.input_spec()?;
                        spec.keep = true;
                        self.expect(")", Mode::Wild)?;
                        items.push(OutputItem::Input(spec));
                    }
                    "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN" => {
                        items.push(OutputItem::Assign(self.assignment(Mode::Script)?));
                    }
                    "ASSERT" => {
                        self.next(Mode::Wild)?;
                        let (expr, message) = self.assert_args()?;
                        items.push(OutputItem::Assert { expr, message });
                    }
                    "FILL" => {
                        self.next(Mode::Wild)?;
                        items.push(OutputItem::Fill(self.paren_expr()?));
                    }
                    "CONSTRUCTORS" | "CREATE_OBJECT_SYMBOLS" => {
                        self.next(Mode::Wild)?;
                        items.push(OutputItem::Keyword(w));
                    }
                    "INCLUDE" => {
                        self.next(Mode::Wild)?;
                        let (file, inner) = self.included(|p| p.output_items())?;
                        items.push(OutputItem::Include { file, items: inner });
                    }
                    _ if DATA_SIZES.contains(&w.as_str()) && self.followed_by_paren()? => {
                        self.next(Mode::Wild)?;
                        items.push(OutputItem::Data {
                            size: w,
                            expr: self.paren_expr()?,
                        });
                    }
                    _ if self.is_assignment()? => {
                        items.push(OutputItem::Assign(self.assignment(Mode::Script)?));
                    }
                    _ => items.push(OutputItem::Input(self.input_spec()?)),
                },
                // A quoted file name: `"odd name.o"(.text)`.
                Tok::Str(_) => items.push(OutputItem::Input(self.input_spec()?)),
                t => return self.err(format!("unexpected {} in an output section", describe(&t))),
            }
        }
    }

    fn followed_by_paren(&mut self) -> Result<bool> {
        let saved = self.lex.clone_state();
        self.next(Mode::Wild)?;
        let t = self.peek(Mode::Wild)?;
        self.lex.restore(saved);
        Ok(t == Tok::Punct("("))
    }

    /// `[INPUT_SECTION_FLAGS(..)] [EXCLUDE_FILE(..)] filepattern [(sections)]`.
    fn input_spec(&mut self) -> Result<InputSectionSpec> {
        let line = self.line();
        let mut spec = InputSectionSpec {
            keep: false,
            flags: Vec::new(),
            file: Pattern {
                glob: String::new(),
                sort: Vec::new(),
            },
            file_excludes: Vec::new(),
            sections: None,
            line,
        };
        if self.is_name(Mode::Wild, "INPUT_SECTION_FLAGS")? {
            self.next(Mode::Wild)?;
            self.expect("(", Mode::Wild)?;
            loop {
                match self.next(Mode::Wild)? {
                    Tok::Punct(")") => break,
                    Tok::Punct("&") => {}
                    Tok::Name(n) => match n.strip_prefix('!') {
                        Some(f) => spec.flags.push((f.to_string(), false)),
                        None => spec.flags.push((n, true)),
                    },
                    Tok::Punct("!") => {
                        let n = self.name(Mode::Wild)?;
                        spec.flags.push((n, false));
                    }
                    t => {
                        return self.err(format!(
                            "unexpected {} in INPUT_SECTION_FLAGS",
                            describe(&t)
                        ))
                    }
                }
            }
        }
        if self.is_name(Mode::Wild, "EXCLUDE_FILE")? {
            self.next(Mode::Wild)?;
            spec.file_excludes = self.paren_names()?;
        }
        spec.file = self.pattern()?;
        if self.eat("(", Mode::Wild)? {
            let mut sections = Vec::new();
            let mut excludes = Vec::new();
            loop {
                match self.peek(Mode::Wild)? {
                    Tok::Punct(")") => {
                        self.next(Mode::Wild)?;
                        break;
                    }
                    Tok::Punct(",") => {
                        self.next(Mode::Wild)?;
                    }
                    Tok::Name(n) if n == "EXCLUDE_FILE" => {
                        self.next(Mode::Wild)?;
                        excludes = self.paren_names()?;
                    }
                    Tok::Name(_) | Tok::Str(_) => {
                        let pattern = self.pattern()?;
                        sections.push(SectionPattern {
                            exclude_files: std::mem::take(&mut excludes),
                            pattern,
                        });
                    }
                    t => {
                        return self.err(format!(
                            "unexpected {} in an input section list",
                            describe(&t)
                        ))
                    }
                }
            }
            spec.sections = Some(sections);
        }
        Ok(spec)
    }

    fn paren_names(&mut self) -> Result<Vec<String>> {
        self.expect("(", Mode::Wild)?;
        let mut v = Vec::new();
        loop {
            match self.next(Mode::Wild)? {
                Tok::Punct(")") => return Ok(v),
                Tok::Punct(",") => {}
                Tok::Name(n) | Tok::Str(n) => v.push(n),
                t => return self.err_last(format!("unexpected {} in a file list", describe(&t))),
            }
        }
    }

    /// A pattern, possibly wrapped in sorts: `SORT_BY_NAME(SORT_BY_ALIGNMENT(.text.*))`.
    fn pattern(&mut self) -> Result<Pattern> {
        let n = self.name(Mode::Wild)?;
        if SORTS.contains(&n.as_str()) && self.eat("(", Mode::Wild)? {
            let mut inner = self.pattern()?;
            self.expect(")", Mode::Wild)?;
            inner.sort.insert(0, n);
            return Ok(inner);
        }
        Ok(Pattern {
            glob: n,
            sort: Vec::new(),
        })
    }

    // ---- MEMORY, PHDRS, ASSERT ----

    fn memory(&mut self) -> Result<Command> {
        self.expect("{", Mode::Script)?;
        let mut regions = Vec::new();
        loop {
            match self.peek(Mode::Script)? {
                Tok::Punct("}") => {
                    self.next(Mode::Script)?;
                    return Ok(Command::Memory(regions));
                }
                Tok::Punct(";") | Tok::Punct(",") => {
                    self.next(Mode::Script)?;
                }
                Tok::Name(_) => {
                    let name = self.name(Mode::Script)?;
                    let attributes = if self.eat("(", Mode::Wild)? {
                        let mut s = String::new();
                        loop {
                            match self.next(Mode::Wild)? {
                                Tok::Punct(")") => break,
                                Tok::Eof => return self.err("unbalanced `(`"),
                                t => s.push_str(&token_text(&t)),
                            }
                        }
                        Some(s)
                    } else {
                        None
                    };
                    self.expect(":", Mode::Script)?;
                    let origin = self.memory_attr(&["ORIGIN", "org", "o"])?;
                    self.eat(",", Mode::Expr)?;
                    let length = self.memory_attr(&["LENGTH", "len", "l"])?;
                    regions.push(MemoryRegion {
                        name,
                        attributes,
                        origin,
                        length,
                    });
                }
                t => return self.err(format!("unexpected {} in MEMORY", describe(&t))),
            }
        }
    }

    fn memory_attr(&mut self, names: &[&str]) -> Result<Expr> {
        let n = self.name(Mode::Expr)?;
        if !names.contains(&n.as_str()) {
            return self.err_last(format!("expected {}, found `{n}`", names[0]));
        }
        self.expect("=", Mode::Expr)?;
        self.expr()
    }

    fn phdrs(&mut self) -> Result<Command> {
        self.expect("{", Mode::Script)?;
        let mut v = Vec::new();
        loop {
            match self.peek(Mode::Script)? {
                Tok::Punct("}") => {
                    self.next(Mode::Script)?;
                    return Ok(Command::Phdrs(v));
                }
                Tok::Punct(";") => {
                    self.next(Mode::Script)?;
                }
                Tok::Name(_) => {
                    let name = self.name(Mode::Script)?;
                    let kind = match self.next(Mode::Expr)? {
                        Tok::Name(k) => k,
                        Tok::Number(t, _) => t,
                        t => {
                            return self
                                .err(format!("expected a segment type, found {}", describe(&t)))
                        }
                    };
                    let mut p = Phdr {
                        name,
                        kind,
                        rest: Vec::new(),
                        at: None,
                        flags: None,
                    };
                    loop {
                        match self.peek(Mode::Script)? {
                            Tok::Punct(";") => {
                                self.next(Mode::Script)?;
                                break;
                            }
                            Tok::Name(w) if w == "AT" => {
                                self.next(Mode::Script)?;
                                p.at = Some(self.paren_expr()?);
                            }
                            Tok::Name(w) if w == "FLAGS" => {
                                self.next(Mode::Script)?;
                                p.flags = Some(self.paren_expr()?);
                            }
                            Tok::Name(w) => {
                                self.next(Mode::Script)?;
                                p.rest.push(w);
                            }
                            t => return self.err(format!("unexpected {} in PHDRS", describe(&t))),
                        }
                    }
                    v.push(p);
                }
                t => return self.err(format!("unexpected {} in PHDRS", describe(&t))),
            }
        }
    }

    fn assert_args(&mut self) -> Result<(Expr, String)> {
        self.expect("(", Mode::Expr)?;
        let e = self.expr()?;
        self.expect(",", Mode::Expr)?;
        let msg = match self.next(Mode::Expr)? {
            Tok::Str(s) | Tok::Name(s) => s,
            t => return self.err(format!("expected a message, found {}", describe(&t))),
        };
        self.expect(")", Mode::Expr)?;
        Ok((e, msg))
    }

    // ---- assignments and expressions ----

    fn assignment(&mut self, mode: Mode) -> Result<Assignment> {
        let first = self.name(mode)?;
        let (wrapper, target, op, expr) =
            if matches!(first.as_str(), "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN") {
                self.expect("(", Mode::Expr)?;
                let target = self.name(Mode::Script)?;
                let op = self.assign_op()?;
                let e = self.expr()?;
                self.expect(")", Mode::Expr)?;
                (Some(first), target, op, e)
            } else {
                let op = self.assign_op()?;
                (None, first, op, self.expr()?)
            };
        match self.peek(Mode::Script)? {
            Tok::Punct(";") => {
                self.next(Mode::Script)?;
            }
            // ld accepts a missing `;` before `}` and after PROVIDE(...).
            Tok::Punct("}") => {}
            _ if wrapper.is_some() => {}
            t => {
                return self.err(format!(
                    "expected `;` after assignment to `{target}`, found {}",
                    describe(&t)
                ))
            }
        }
        Ok(Assignment {
            target,
            op,
            expr,
            wrapper,
        })
    }

    fn assign_op(&mut self) -> Result<String> {
        match self.next(Mode::Expr)? {
            Tok::Punct(p) if ASSIGN_OPS.contains(&p) => Ok(p.to_string()),
            t => self.err_last(format!("expected an assignment, found {}", describe(&t))),
        }
    }

    fn paren_expr(&mut self) -> Result<Expr> {
        self.expect("(", Mode::Expr)?;
        let e = self.expr()?;
        self.expect(")", Mode::Expr)?;
        Ok(e)
    }

    pub fn expr(&mut self) -> Result<Expr> {
        let cond = self.binary(0)?;
        if self.eat("?", Mode::Expr)? {
            let a = self.expr()?;
            self.expect(":", Mode::Expr)?;
            let b = self.expr()?;
            return Ok(Expr::Ternary(Box::new(cond), Box::new(a), Box::new(b)));
        }
        Ok(cond)
    }

    fn binary(&mut self, min_prec: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let Tok::Punct(op) = self.peek(Mode::Expr)? else {
                return Ok(lhs);
            };
            let Some(prec) = precedence(op) else {
                return Ok(lhs);
            };
            if prec < min_prec {
                return Ok(lhs);
            }
            self.next(Mode::Expr)?;
            let rhs = self.binary(prec + 1)?;
            lhs = Expr::Binary(op.to_string(), Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        match self.peek(Mode::Expr)? {
            Tok::Punct(op @ ("-" | "!" | "~" | "+")) => {
                self.next(Mode::Expr)?;
                Ok(Expr::Unary(op.to_string(), Box::new(self.unary()?)))
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let tok = self.next(Mode::Expr)?;
        match tok {
            Tok::Number(text, value) => {
                if super::lex::number_value(&text).is_none() {
                    return self.err_last(format!("bad number `{text}`"));
                }
                Ok(Expr::Literal(text, value))
            }
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Punct("(") => {
                let e = self.expr()?;
                self.expect(")", Mode::Expr)?;
                Ok(e)
            }
            Tok::Name(n) if n == "." => Ok(Expr::Dot),
            Tok::Name(n) => {
                if self.eat("(", Mode::Expr)? {
                    let mut args = Vec::new();
                    if !self.eat(")", Mode::Expr)? {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(")", Mode::Expr)? {
                                break;
                            }
                            self.expect(",", Mode::Expr)?;
                        }
                    }
                    return Ok(Expr::Call(n, args));
                }
                Ok(Expr::Symbol(n))
            }
            t => self.err_last(format!("expected an expression, found {}", describe(&t))),
        }
    }
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Eof => "end of file".into(),
        t => format!("`{}`", token_text(t)),
    }
}

fn token_text(t: &Tok) -> String {
    match t {
        Tok::Name(n) => n.clone(),
        Tok::Number(t, _) => t.clone(),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Punct(p) => (*p).to_string(),
        Tok::Eof => String::new(),
    }
}
