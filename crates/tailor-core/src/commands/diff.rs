//! `tailor diff OLD NEW [-- LINK COMMAND]`: what changed between two ELF images — inputs (two
//! images, optionally the link command that built them) → analysis ([`crate::analysis::diff`])
//! → a text table, JSON or an HTML page.

use std::io::Write;
use std::path::PathBuf;

use super::{emit, to_json, ReportFormat, Status};
use crate::analysis::diff::{self, Attribution, FileSymbols, Side};
use crate::analysis::elf;
use crate::analysis::exports::Exports;
use crate::error::Result;
use crate::inputs::link_command::Linker;
use crate::inputs::{self, Mapped};

/// Options of `tailor diff`.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub old: PathBuf,
    pub new: PathBuf,
    pub format: ReportFormat,
    /// Show C++ names demangled.
    pub demangle: bool,
    /// The link command of the images (objects are then attributed as the linker resolves
    /// the symbols); empty: the images' own `STT_FILE` symbols.
    pub command: Vec<String>,
    pub linker: Option<Linker>,
}

/// Runs `tailor diff`.
pub fn run(opts: &DiffOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    let mut open = |p: &PathBuf| -> Result<(PathBuf, Mapped)> {
        let (path, map, note) = inputs::libtool::named_elf(p, Mapped::open(p)?)?;
        if let Some(note) = note {
            let _ = writeln!(log, "tailor: {note}");
        }
        Ok((path, map))
    };
    let (old_path, old_map) = open(&opts.old)?;
    let (new_path, new_map) = open(&opts.new)?;
    let old_facts = elf::read_facts(&old_path, old_map.bytes())?;
    let new_facts = elf::read_facts(&new_path, new_map.bytes())?;
    let old_image = diff::read_image(&old_path, old_map.bytes())?;
    let new_image = diff::read_image(&new_path, new_map.bytes())?;
    let old_exports = Exports::from_provider(&old_path, &old_facts);
    let new_exports = Exports::from_provider(&new_path, &new_facts);
    let definers;
    let attribution: &dyn Attribution = if opts.command.is_empty() {
        &FileSymbols
    } else {
        definers = super::gc::link_definers(&opts.command, opts.linker)?;
        &definers
    };
    let demangle = |name: &str| {
        if opts.demangle {
            crate::demangle::demangle(name.as_bytes())
        } else {
            None
        }
    };
    let report = diff::diff(
        &Side {
            name: opts.old.display().to_string(),
            image: &old_image,
            exports: &old_exports,
        },
        &Side {
            name: opts.new.display().to_string(),
            image: &new_image,
            exports: &new_exports,
        },
        attribution,
        &demangle,
    );
    let text = match opts.format {
        ReportFormat::Json => to_json(&report),
        ReportFormat::Text => crate::output::diff::render_text(&report).into_bytes(),
        ReportFormat::Html => crate::output::html::page(
            "tailor diff",
            "diff",
            &String::from_utf8_lossy(&to_json(&report)),
        )
        .into_bytes(),
    };
    emit(out, &text)?;
    Ok(Status::Ok)
}
