//! `tailor link`'s arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tailor_core::commands::link::{self, LinkOptions, LinkProfile, ReportKind};
use tailor_core::commands::{profile, Status};

use super::common::{InputArgs, LinkerArg};

#[derive(Args)]
pub(crate) struct LinkArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Hand-picked symbols to export as well (a list file or a directory of them;
    /// repeat for more).
    #[arg(long, value_name = "FILE|DIR")]
    keep: Vec<PathBuf>,
    /// Link with this linker instead (`-fuse-ld=` for compiler drivers).
    #[arg(long, value_enum)]
    linker: Option<LinkerArg>,
    /// Also write a stripped copy (OUT.stripped, compared with the generic image
    /// stripped alike) and add safe size-oriented link options. What they change
    /// depends on the linker: GNU ld `-z noseparate-code` (no page of padding between
    /// code and data) and `--hash-style=gnu`; lld and mold `--icf=safe` (folds identical
    /// functions only in objects with address-significance tables, as clang writes
    /// them) and `--hash-style=gnu` — with gcc's objects lld and mold already lay out
    /// as small as these options can make them, so only the stripped copy differs.
    #[arg(long, verbatim_doc_comment)]
    size: bool,
    /// Do not keep exports found by name.
    #[arg(long)]
    no_by_name: bool,
    /// The tailored output (default: the command's output + `.tailored`).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Write the report: an HTML page for FILE.html (or --report-format html), else JSON.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    #[arg(long, value_enum, requires = "report")]
    report_format: Option<LinkReportArg>,
    /// Write a make-style depfile for the tailored output.
    #[arg(long)]
    depfile: Option<PathBuf>,
    /// Carry an archive of DIR in the tailored image (`tailor extract` finds it again).
    #[arg(long, value_name = "NAME=DIR", value_parser = parse_embed)]
    embed: Vec<(String, PathBuf)>,
    /// Do not embed tailor's own plan (`tailor-plan`: the kept exports and why, and the
    /// version script).
    #[arg(long)]
    no_embed_plan: bool,
    /// Remove the objects of the features this profile turns off (needs --profiles).
    #[arg(long, requires = "profiles")]
    profile: Option<String>,
    /// The TOML profile file for --profile.
    #[arg(long, requires = "profile")]
    profiles: Option<PathBuf>,
    /// The architecture section of the profile file (with --profile).
    #[arg(long, requires = "profile")]
    arch: Option<String>,
    /// Override a feature of the profile: NAME=1 or NAME=0 (with --profile).
    #[arg(long = "set", requires = "profile", value_parser = profile::parse_override)]
    set: Vec<(String, bool)>,
    /// The provider's link command (after `--`).
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

/// `tailor link --report-format`.
#[derive(Clone, Copy, ValueEnum)]
enum LinkReportArg {
    Json,
    Html,
}

impl From<LinkReportArg> for ReportKind {
    fn from(f: LinkReportArg) -> Self {
        match f {
            LinkReportArg::Json => Self::Json,
            LinkReportArg::Html => Self::Html,
        }
    }
}

fn parse_embed(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
        .ok_or_else(|| format!("expected NAME=DIR, found `{s}`"))
}

impl From<LinkArgs> for LinkOptions {
    fn from(a: LinkArgs) -> Self {
        LinkOptions {
            inputs: a.inputs.into(),
            keep: a.keep,
            linker: a.linker.map(Into::into),
            size: a.size,
            by_name: !a.no_by_name,
            output: a.output,
            report: a.report,
            report_format: a.report_format.map(Into::into),
            depfile: a.depfile,
            command: a.command,
            embed: a.embed,
            embed_plan: !a.no_embed_plan,
            // clap's `requires` makes --profile and --profiles come together.
            profile: a.profile.zip(a.profiles).map(|(name, config)| LinkProfile {
                config,
                arch: a.arch,
                name,
                overrides: a.set,
            }),
        }
    }
}

impl LinkArgs {
    /// Runs `tailor link`.
    pub(crate) fn run(
        self,
        out: &mut dyn std::io::Write,
        log: &mut dyn std::io::Write,
    ) -> tailor_core::Result<Status> {
        link::run(&self.into(), out, log)
    }
}
