//! Argument structs of the newer subcommands (each in its own file, so `main.rs` stays a thin
//! list of subcommands and their dispatch).

pub mod diff;
pub mod docs;

use clap::ValueEnum;
use tailor_core::commands::ReportFormat;

/// `--format` of the commands that can also write an HTML page.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormatArg {
    Text,
    Json,
    /// One self-contained HTML page (the JSON report embedded and drawn).
    Html,
}

impl From<ReportFormatArg> for ReportFormat {
    fn from(f: ReportFormatArg) -> Self {
        match f {
            ReportFormatArg::Text => ReportFormat::Text,
            ReportFormatArg::Json => ReportFormat::Json,
            ReportFormatArg::Html => ReportFormat::Html,
        }
    }
}

/// `tailor link --report-format`.
#[derive(Clone, Copy, ValueEnum)]
pub enum LinkReportArg {
    Json,
    Html,
}

impl From<LinkReportArg> for tailor_core::commands::link::ReportKind {
    fn from(f: LinkReportArg) -> Self {
        match f {
            LinkReportArg::Json => Self::Json,
            LinkReportArg::Html => Self::Html,
        }
    }
}
