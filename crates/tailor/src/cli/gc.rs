//! The arguments of `tailor gc`, `tailor why` and `tailor top`: one link to predict
//! ([`GcArgs`]) and what to ask of it.

use std::path::PathBuf;

use clap::Args;
use tailor_core::commands::gc::{self, ExportSource, GcCommand, Query};
use tailor_core::commands::provider::ProviderArg;
use tailor_core::commands::version_script::VersionScriptOptions;
use tailor_core::commands::Status;
use tailor_core::decide::version_script::GroupBy;

use super::common::{InputArgs, LinkerArg, ReportFormatArg};

/// The link to predict, and what it exports.
#[derive(Args)]
pub(crate) struct GcArgs {
    /// Consumers: with --provider, export only what they need (tailor's plan).
    #[command(flatten)]
    inputs: InputArgs,
    /// The generic provider the consumers' needs are planned against (consumers given as
    /// paths, --manifest or --list).
    #[arg(long, requires = "inputs")]
    provider: Option<PathBuf>,
    /// Hand-picked exports to keep as well (with --provider; repeat for more).
    #[arg(long, value_name = "FILE|DIR")]
    keep: Vec<PathBuf>,
    /// Use this version script instead of the link command's.
    #[arg(long, conflicts_with = "provider")]
    version_script: Option<PathBuf>,
    /// Apply this linker's rules (default: the one the command runs).
    #[arg(long, value_enum)]
    linker: Option<LinkerArg>,
    /// Do not keep exports whose names appear as strings in live read-only data.
    #[arg(long)]
    no_by_name: bool,
    /// text, json, or (gc only) an HTML page.
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
    format: ReportFormatArg,
    /// The link command (after `--`).
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

impl From<GcArgs> for GcCommand {
    fn from(a: GcArgs) -> Self {
        let exports = match (a.provider, a.version_script) {
            (Some(p), _) => ExportSource::Plan(Box::new(VersionScriptOptions {
                inputs: a.inputs.into(),
                provider: ProviderArg::Elf(p),
                keep: a.keep,
                // The plan `tailor link` makes for the same inputs: consumers' by-name
                // strings, the link's own by-name lookups, its script's local patterns.
                by_name: !a.no_by_name,
                group_by: GroupBy::Consumer,
                output: None,
                depfile: None,
                link_command: Some(a.command.clone()),
                linker: a.linker.map(Into::into),
                link_by_name: false,
            })),
            (None, Some(v)) => ExportSource::Script(v),
            (None, None) => ExportSource::Command,
        };
        GcCommand {
            command: a.command,
            linker: a.linker.map(Into::into),
            exports,
            by_name: !a.no_by_name,
            format: a.format.into(),
        }
    }
}

impl GcArgs {
    /// Runs `tailor gc`, or with `query` `why` or `top`.
    pub(crate) fn run(
        self,
        query: &Query,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        gc::run(&self.into(), query, out, log)
    }
}

#[derive(Args)]
pub(crate) struct WhyArgs {
    /// The symbol, section or object.
    item: String,
    /// Show the N shortest distinct chains.
    #[arg(long, default_value_t = 1, value_name = "N")]
    all: usize,
    #[command(flatten)]
    gc: GcArgs,
}

impl WhyArgs {
    /// Runs `tailor why`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        let query = Query::Why {
            item: self.item,
            all: self.all,
        };
        self.gc.run(&query, out, log)
    }
}

#[derive(Args)]
pub(crate) struct TopArgs {
    /// Sort sections by retained size (the dominator tree from the roots).
    #[arg(long)]
    retained: bool,
    /// Rank the exported symbols by the bytes each alone keeps alive.
    #[arg(long)]
    exports: bool,
    /// Rows to show before the remainder row.
    #[arg(long, default_value_t = 30)]
    limit: usize,
    #[command(flatten)]
    gc: GcArgs,
}

impl TopArgs {
    /// Runs `tailor top`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        let query = Query::Top {
            retained: self.retained,
            exports: self.exports,
            limit: self.limit,
        };
        self.gc.run(&query, out, log)
    }
}
