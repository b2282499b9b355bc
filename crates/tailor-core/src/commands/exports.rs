//! `tailor exports ELF...`: the defined dynamic symbols a provider exports, with versions.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::provider::{LoadedProvider, ProviderArg};
use super::{emit, to_json, Format, Status};
use crate::analysis::exports::Export;
use crate::error::{Error, Result};

/// One provider's exports, as printed.
#[derive(Debug, Serialize)]
pub struct ExportsReport<'a> {
    pub path: String,
    pub versions: Vec<String>,
    pub exports: Vec<ShownExport<'a>>,
}

/// An export, with its demangled name under `--demangle`.
#[derive(Debug, Serialize)]
pub struct ShownExport<'a> {
    #[serde(flatten)]
    pub export: Export<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demangled: Option<String>,
}

/// Runs `tailor exports`.
pub fn run(paths: &[PathBuf], format: Format, out: &mut dyn Write) -> Result<Status> {
    if paths.is_empty() {
        return Err(Error::Usage("tailor exports: no ELF file given".into()));
    }
    let loaded: Vec<LoadedProvider> = paths
        .iter()
        .map(|p| LoadedProvider::load(&ProviderArg::Elf(p.clone())))
        .collect::<Result<_>>()?;
    let mut reports = Vec::new();
    for l in &loaded {
        let Some(p) = l.view()? else { continue };
        reports.push(ExportsReport {
            path: p.name,
            versions: p
                .exports
                .versions
                .iter()
                .map(|v| String::from_utf8_lossy(v.name).into_owned())
                .collect(),
            exports: p
                .exports
                .list
                .into_iter()
                .map(|export| ShownExport {
                    demangled: crate::demangle::in_reports()
                        .then(|| crate::demangle::demangle(export.name))
                        .flatten(),
                    export,
                })
                .collect(),
        });
    }
    let text = match format {
        Format::Json => to_json(&reports),
        Format::Text => render_text(&reports).into_bytes(),
    };
    emit(out, &text)?;
    Ok(Status::Ok)
}

fn render_text(reports: &[ExportsReport<'_>]) -> String {
    let mut out = String::new();
    for r in reports {
        if reports.len() > 1 {
            let _ = writeln!(out, "{}:", r.path);
        }
        for e in r.exports.iter().map(|s| &s.export) {
            let name = crate::demangle::shown(e.name);
            let full = match e.version {
                Some(v) if e.default_version => format!("{name}@@{}", String::from_utf8_lossy(v)),
                Some(v) => format!("{name}@{}", String::from_utf8_lossy(v)),
                None => name,
            };
            let bind = if e.weak { "weak" } else { "global" };
            let _ = writeln!(out, "{full} {} {bind} {}", e.kind, e.size);
        }
        let _ = writeln!(
            out,
            "total: {} exports, {} versions",
            r.exports.len(),
            r.versions.len()
        );
    }
    out
}
