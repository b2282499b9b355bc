//! The `tailor` binary: parses arguments with clap and hands them to `tailor_core::commands`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tailor_core::commands::{self, provider::ProviderArg, Format, Status};
use tailor_core::decide::version_script::GroupBy;
use tailor_core::inputs::InputSpec;

const EXIT_CODES: &str = "\
Exit codes: 0 success; 1 a check or verification found problems; \
2 usage, I/O, malformed input or toolchain error.";

/// Tailor a kernel or shared library to the applications it runs.
#[derive(Parser)]
#[command(name = "tailor", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the symbols the consumers need (undefined dynamic symbols, COPY relocations,
    /// by-name lookups), and whether the provider exports them.
    #[command(after_help = EXIT_CODES)]
    Needs {
        #[command(flatten)]
        inputs: InputArgs,
        #[command(flatten)]
        provider: ProviderArgs,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// Do not scan read-only data for exports looked up by name.
        #[arg(long)]
        no_by_name: bool,
    },
    /// Print the exports (defined dynamic symbols, with versions) of ELF files.
    #[command(after_help = EXIT_CODES)]
    Exports {
        #[arg(required = true)]
        elf: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Write the GNU ld version script exporting only what the consumers need.
    #[command(name = "version-script", after_help = EXIT_CODES)]
    VersionScript {
        #[command(flatten)]
        inputs: InputArgs,
        #[command(flatten)]
        provider: ProviderArgs,
        /// Hand-picked symbols to export as well (one a line, `#` comments).
        #[arg(long)]
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
    },
}

/// INPUTS: ELF files, directories, manifests and lists.
#[derive(Args)]
struct InputArgs {
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

#[derive(Args)]
struct ProviderArgs {
    /// The provider ELF (kernel, libc, shared library) whose exports are tailored.
    #[arg(long, conflicts_with = "exports")]
    provider: Option<PathBuf>,
    /// OSv-style export lists (one symbol a line) instead of a provider ELF.
    #[arg(long, num_args = 1..)]
    exports: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GroupByArg {
    Consumer,
    None,
}

fn parse_define(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected VAR=VALUE, found `{s}`"))
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

impl From<ProviderArgs> for ProviderArg {
    fn from(a: ProviderArgs) -> Self {
        match (a.provider, a.exports) {
            (Some(p), _) => ProviderArg::Elf(p),
            (None, lists) if !lists.is_empty() => ProviderArg::Lists(lists),
            _ => ProviderArg::None,
        }
    }
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
        }
    }
}

fn run(cli: Cli) -> tailor_core::Result<Status> {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    match cli.command {
        Command::Needs {
            inputs,
            provider,
            format,
            no_by_name,
        } => commands::needs::run(
            &commands::needs::NeedsOptions {
                inputs: inputs.into(),
                provider: provider.into(),
                format: format.into(),
                by_name: !no_by_name,
            },
            &mut stdout,
        ),
        Command::Exports { elf, format } => {
            commands::exports::run(&elf, format.into(), &mut stdout)
        }
        Command::VersionScript {
            inputs,
            provider,
            keep,
            no_by_name,
            group_by,
            output,
            depfile,
        } => commands::version_script::run(
            &commands::version_script::VersionScriptOptions {
                inputs: inputs.into(),
                provider: provider.into(),
                keep,
                by_name: !no_by_name,
                group_by: match group_by {
                    GroupByArg::Consumer => GroupBy::Consumer,
                    GroupByArg::None => GroupBy::None,
                },
                output,
                depfile,
            },
            &mut stdout,
            &mut stderr,
        ),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tailor: {e}");
            ExitCode::from(2)
        }
    }
}
