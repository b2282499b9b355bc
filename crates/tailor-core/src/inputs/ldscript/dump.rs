//! Prints a parsed script back as a script GNU ld reads with the same meaning
//! (`tailor check --dump-script`). `INCLUDE`s are printed inline, expressions fully
//! parenthesized, numbers as written.

use std::fmt::Write;

use super::*;

/// The script as text.
pub fn dump(script: &Script) -> String {
    let mut out = String::new();
    for c in &script.commands {
        command(&mut out, c);
    }
    out
}

fn command(out: &mut String, c: &Command) {
    match c {
        Command::Entry(e) => {
            let _ = writeln!(out, "ENTRY({})", wild(e));
        }
        Command::OutputFormat(v) => {
            let v: Vec<String> = v.iter().map(|s| quote_always(s)).collect();
            let _ = writeln!(out, "OUTPUT_FORMAT({})", v.join(", "));
        }
        Command::OutputArch(a) => {
            let _ = writeln!(out, "OUTPUT_ARCH({})", wild(a));
        }
        Command::Output(a) => {
            let _ = writeln!(out, "OUTPUT({})", wild(a));
        }
        Command::SearchDir(d) => {
            let _ = writeln!(out, "SEARCH_DIR({})", quote(d));
        }
        Command::Input { group, items } => {
            let _ = writeln!(
                out,
                "{}({})",
                if *group { "GROUP" } else { "INPUT" },
                input_items(items)
            );
        }
        Command::Include { file, script } => {
            let _ = writeln!(out, "/* INCLUDE {file} */");
            for c in &script.commands {
                command(out, c);
            }
        }
        Command::Assign(a) => {
            assignment(out, a);
            out.push('\n');
        }
        Command::Sections(items) => {
            out.push_str("SECTIONS\n{\n");
            sections_items(out, items);
            out.push_str("}\n");
        }
        Command::Memory(regions) => {
            out.push_str("MEMORY\n{\n");
            for r in regions {
                let attrs = r
                    .attributes
                    .as_ref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {}{attrs} : ORIGIN = {}, LENGTH = {}",
                    r.name,
                    expr(&r.origin),
                    expr(&r.length)
                );
            }
            out.push_str("}\n");
        }
        Command::Phdrs(v) => {
            out.push_str("PHDRS\n{\n");
            for p in v {
                let _ = write!(out, "  {} {}", p.name, p.kind);
                for r in &p.rest {
                    let _ = write!(out, " {r}");
                }
                if let Some(a) = &p.at {
                    let _ = write!(out, " AT({})", expr(a));
                }
                if let Some(f) = &p.flags {
                    let _ = write!(out, " FLAGS({})", expr(f));
                }
                out.push_str(";\n");
            }
            out.push_str("}\n");
        }
        Command::Assert { expr: e, message } => {
            let _ = writeln!(out, "ASSERT({}, {})", expr(e), quote_always(message));
        }
        Command::Insert { after, section } => {
            let _ = writeln!(
                out,
                "INSERT {} {}",
                if *after { "AFTER" } else { "BEFORE" },
                name(section)
            );
        }
        Command::Other { keyword, args } => match (keyword.as_str(), args) {
            ("VERSION", Some(body)) => {
                let _ = writeln!(out, "VERSION {}", body.join(" "));
            }
            (_, Some(args)) => {
                let _ = writeln!(out, "{keyword}({})", args.join(" "));
            }
            (_, None) => {
                let _ = writeln!(out, "{keyword}");
            }
        },
    }
}

fn input_items(items: &[InputItem]) -> String {
    let v: Vec<String> = items
        .iter()
        .map(|i| match i {
            InputItem::File(f) => wild(f),
            InputItem::Library(l) => format!("-l{l}"),
            InputItem::AsNeeded(v) => format!("AS_NEEDED({})", input_items(v)),
        })
        .collect();
    v.join(" ")
}

fn sections_items(out: &mut String, items: &[SectionsItem]) {
    for i in items {
        match i {
            SectionsItem::Output(o) => output_section(out, o),
            SectionsItem::Assign(a) => {
                out.push_str("  ");
                assignment(out, a);
                out.push('\n');
            }
            SectionsItem::Entry(e) => {
                let _ = writeln!(out, "  ENTRY({})", wild(e));
            }
            SectionsItem::Include { file, items } => {
                let _ = writeln!(out, "  /* INCLUDE {file} */");
                sections_items(out, items);
            }
            SectionsItem::Assert { expr: e, message } => {
                let _ = writeln!(out, "  ASSERT({}, {})", expr(e), quote_always(message));
            }
            SectionsItem::Overlay(v) => {
                for o in v {
                    output_section(out, o);
                }
            }
        }
    }
}

fn output_section(out: &mut String, o: &OutputSection) {
    let _ = write!(out, "  {}", name(&o.name));
    if let Some(a) = &o.address {
        let _ = write!(out, " {}", expr(a));
    }
    if let Some(k) = &o.kind {
        let _ = write!(out, " ({k})");
    }
    out.push_str(" :");
    if let Some(a) = &o.lma {
        let _ = write!(out, " AT({})", expr(a));
    }
    if let Some(a) = &o.align {
        let _ = write!(out, " ALIGN({})", expr(a));
    }
    if o.align_with_input {
        out.push_str(" ALIGN_WITH_INPUT");
    }
    if let Some(a) = &o.subalign {
        let _ = write!(out, " SUBALIGN({})", expr(a));
    }
    if let Some(c) = &o.constraint {
        let _ = write!(out, " {c}");
    }
    out.push_str("\n  {\n");
    output_items(out, &o.items);
    out.push_str("  }");
    if let Some(r) = &o.region {
        let _ = write!(out, " > {r}");
    }
    if let Some(r) = &o.lma_region {
        let _ = write!(out, " AT> {r}");
    }
    for p in &o.phdrs {
        let _ = write!(out, " :{p}");
    }
    if let Some(f) = &o.fill {
        let _ = write!(out, " = {}", expr(f));
    }
    out.push('\n');
}

fn output_items(out: &mut String, items: &[OutputItem]) {
    for i in items {
        out.push_str("    ");
        match i {
            OutputItem::Input(spec) => out.push_str(&input_spec(spec)),
            OutputItem::Assign(a) => assignment(out, a),
            OutputItem::Data { size, expr: e } => {
                let _ = write!(out, "{size}({})", expr(e));
            }
            OutputItem::Fill(e) => {
                let _ = write!(out, "FILL({})", expr(e));
            }
            OutputItem::Keyword(k) => out.push_str(k),
            OutputItem::Include { file, items } => {
                let _ = writeln!(out, "/* INCLUDE {file} */");
                output_items(out, items);
                continue;
            }
            OutputItem::Assert { expr: e, message } => {
                let _ = write!(out, "ASSERT({}, {})", expr(e), quote_always(message));
            }
        }
        out.push('\n');
    }
}

/// One input section description as ld reads it.
pub fn input_spec(spec: &InputSectionSpec) -> String {
    let mut s = String::new();
    if !spec.flags.is_empty() {
        let f: Vec<String> = spec
            .flags
            .iter()
            .map(|(f, want)| if *want { f.clone() } else { format!("!{f}") })
            .collect();
        let _ = write!(s, "INPUT_SECTION_FLAGS({}) ", f.join(" & "));
    }
    if !spec.file_excludes.is_empty() {
        let v: Vec<String> = spec.file_excludes.iter().map(|x| wild(x)).collect();
        let _ = write!(s, "EXCLUDE_FILE({}) ", v.join(" "));
    }
    s.push_str(&pattern(&spec.file));
    if let Some(sections) = &spec.sections {
        let v: Vec<String> = sections
            .iter()
            .map(|p| {
                let mut t = String::new();
                if !p.exclude_files.is_empty() {
                    let v: Vec<String> = p.exclude_files.iter().map(|x| wild(x)).collect();
                    let _ = write!(t, "EXCLUDE_FILE({}) ", v.join(" "));
                }
                t.push_str(&pattern(&p.pattern));
                t
            })
            .collect();
        let _ = write!(s, "({})", v.join(" "));
    }
    if spec.keep {
        s = format!("KEEP({s})");
    }
    s
}

fn pattern(p: &Pattern) -> String {
    let mut s = wild(&p.glob);
    for sort in p.sort.iter().rev() {
        s = format!("{sort}({s})");
    }
    s
}

fn assignment(out: &mut String, a: &Assignment) {
    let body = format!("{} {} {}", name(&a.target), a.op, expr(&a.expr));
    match &a.wrapper {
        Some(w) => {
            let _ = write!(out, "{w}({body});");
        }
        None => {
            let _ = write!(out, "{body};");
        }
    }
}

/// An expression, binary operations parenthesized.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Number(n) => format!("{n:#x}"),
        Expr::Literal(t, _) => t.clone(),
        Expr::Symbol(s) => name(s),
        Expr::Str(s) => quote_always(s),
        Expr::Dot => ".".into(),
        Expr::Unary(op, a) => format!("{op}{}", expr(a)),
        Expr::Binary(op, a, b) => format!("({} {op} {})", expr(a), expr(b)),
        Expr::Ternary(c, a, b) => format!("({} ? {} : {})", expr(c), expr(a), expr(b)),
        Expr::Call(f, args) => {
            let v: Vec<String> = args.iter().map(expr).collect();
            format!("{f}({})", v.join(", "))
        }
    }
}

/// A name in a command or expression context, quoted when it would not lex as one name.
fn name(s: &str) -> String {
    if super::lex::is_plain_name(s, super::lex::Mode::Script) || s == "." {
        s.to_string()
    } else {
        quote_always(s)
    }
}

/// A file or section pattern, quoted when it would not lex as one pattern.
fn wild(s: &str) -> String {
    if super::lex::is_plain_name(s, super::lex::Mode::Wild) {
        s.to_string()
    } else {
        quote_always(s)
    }
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-' | b'$'))
    {
        s.to_string()
    } else {
        quote_always(s)
    }
}

fn quote_always(s: &str) -> String {
    format!("\"{s}\"")
}
