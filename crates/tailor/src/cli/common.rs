//! Argument groups and value types shared by several subcommands, each with its one
//! conversion to tailor-core's type.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tailor_core::commands::provider::ProviderArg;
use tailor_core::commands::{Format, ReportFormat};
use tailor_core::inputs::link_command::Linker;
use tailor_core::inputs::InputSpec;

/// The exit codes most subcommands document after their help.
pub(crate) const EXIT_CODES: &str = "\
Exit codes: 0 success; 1 a check or verification found problems; \
2 usage, I/O, malformed input or toolchain error.";

/// INPUTS: ELF files, directories, manifests and lists.
#[derive(Args)]
#[group(id = "inputs", multiple = true)]
pub(crate) struct InputArgs {
    /// ELF files or directories (walked recursively; non-ELF files skipped and counted).
    paths: Vec<PathBuf>,
    /// OSv usr.manifest file (host side expands %(VAR)s and ${VAR} from -D).
    #[arg(long)]
    manifest: Vec<PathBuf>,
    /// Define a manifest variable.
    #[arg(short = 'D', value_name = "VAR=VALUE", value_parser = parse_define)]
    define: Vec<(String, String)>,
    /// File listing one input path a line.
    #[arg(long)]
    list: Vec<PathBuf>,
}

impl From<InputArgs> for InputSpec {
    fn from(a: InputArgs) -> Self {
        InputSpec {
            paths: a.paths,
            manifests: a.manifest,
            lists: a.list,
            defines: a.define,
        }
    }
}

fn parse_define(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected VAR=VALUE, found `{s}`"))
}

/// The provider: an ELF, or export lists standing for one.
#[derive(Args)]
pub(crate) struct ProviderArgs {
    /// The provider ELF (kernel, libc, shared library) whose exports are tailored.
    #[arg(long, conflicts_with = "exports")]
    provider: Option<PathBuf>,
    /// An OSv-style export list (one symbol a line) instead of a provider ELF; a directory
    /// stands for the files in it. Repeat for more: --exports A --exports B.
    #[arg(long, value_name = "FILE|DIR")]
    exports: Vec<PathBuf>,
}

impl From<ProviderArgs> for ProviderArg {
    fn from(a: ProviderArgs) -> Self {
        match (a.provider, a.exports) {
            (Some(p), _) => ProviderArg::Elf(p),
            (None, lists) if !lists.is_empty() => ProviderArg::Lists(lists),
            _ => ProviderArg::None,
        }
    }
}

/// `--format` text or JSON.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Text,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
        }
    }
}

/// `--format` of the commands that can also write an HTML page.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormatArg {
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

/// `--linker`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LinkerArg {
    Bfd,
    Lld,
    Mold,
}

impl From<LinkerArg> for Linker {
    fn from(l: LinkerArg) -> Self {
        match l {
            LinkerArg::Bfd => Linker::Bfd,
            LinkerArg::Lld => Linker::Lld,
            LinkerArg::Mold => Linker::Mold,
        }
    }
}
