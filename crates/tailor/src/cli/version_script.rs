//! `tailor version-script`'s arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tailor_core::commands::version_script::{self, VersionScriptOptions};
use tailor_core::commands::Status;
use tailor_core::decide::version_script::GroupBy;

use super::common::{InputArgs, LinkerArg, ProviderArgs};

#[derive(Args)]
pub(crate) struct VersionScriptArgs {
    #[command(flatten)]
    inputs: InputArgs,
    #[command(flatten)]
    provider: ProviderArgs,
    /// Hand-picked symbols to export as well (one a line, `#` comments); a directory
    /// stands for the files in it. Repeat for more.
    #[arg(long, value_name = "FILE|DIR")]
    keep: Vec<PathBuf>,
    /// Do not add exports found by name (dlsym strings, dynamic linker lookups).
    #[arg(long)]
    no_by_name: bool,
    /// Group entries by consumer (OSv's layout) or not at all.
    #[arg(long, value_enum, default_value_t = GroupByArg::Consumer)]
    group_by: GroupByArg,
    /// Write here (atomically; untouched when unchanged) instead of stdout.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Also write a make-style depfile listing every file read.
    #[arg(long)]
    depfile: Option<PathBuf>,
    /// The linker whose rules the optional link command follows.
    #[arg(long, value_enum)]
    linker: Option<LinkerArg>,
    /// Optional: the provider's link command (after `--`). Its by-name lookups are then
    /// found in the link's live sections, exactly as `tailor link` finds them, and its own
    /// version script's `local:` patterns are kept hidden; without it, every string of the
    /// provider image's read-only data counts.
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum GroupByArg {
    Consumer,
    None,
}

impl From<VersionScriptArgs> for VersionScriptOptions {
    fn from(a: VersionScriptArgs) -> Self {
        VersionScriptOptions {
            inputs: a.inputs.into(),
            provider: a.provider.into(),
            keep: a.keep,
            by_name: !a.no_by_name,
            group_by: match a.group_by {
                GroupByArg::Consumer => GroupBy::Consumer,
                GroupByArg::None => GroupBy::None,
            },
            output: a.output,
            depfile: a.depfile,
            link_command: (!a.command.is_empty()).then_some(a.command),
            linker: a.linker.map(Into::into),
            link_by_name: true,
        }
    }
}

impl VersionScriptArgs {
    /// Runs `tailor version-script`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        version_script::run(&self.into(), out, log)
    }
}
