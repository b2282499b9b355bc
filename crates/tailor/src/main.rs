//! The `tailor` binary: parses arguments with clap and hands them to `tailor_core::commands`.

mod cli;
mod cli_syscalls;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use tailor_core::commands::{self, provider::ProviderArg, Format, Status};
use tailor_core::decide::version_script::GroupBy;
use tailor_core::inputs::link_command::Linker;
use tailor_core::inputs::InputSpec;

const EXIT_CODES: &str = "\
Exit codes: 0 success; 1 a check or verification found problems; \
2 usage, I/O, malformed input or toolchain error.";

const CHECK_HELP: &str = "\
Codes: no-function-sections, no-data-sections, orphan, special-name, order, unkept-init, \
unkept-table, start-stop, retain-ignored, split-group, link-order.

Exit codes: 0 clean; 1 findings (not --allow'ed); 2 usage, I/O, malformed input or \
toolchain error.";

/// Tailor a kernel or shared library to the applications it runs.
#[derive(Parser)]
#[command(name = "tailor", version, about, after_help = EXIT_CODES)]
struct Cli {
    /// Print every command tailor runs (compiler drivers, linkers, strip) on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Show C++ names demangled in text reports (as nm's -C); JSON reports carry both.
    #[arg(short = 'C', long, global = true)]
    demangle: bool,
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
    },
    /// Re-link a provider with its own link command so that it exports only what the
    /// consumers need, verify it, and print the size table.
    #[command(after_help = EXIT_CODES)]
    Link {
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
        report_format: Option<cli::LinkReportArg>,
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
        #[arg(long = "set", requires = "profile", value_parser = commands::profile::parse_override)]
        set: Vec<(String, bool)>,
        /// The provider's link command (after `--`).
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Predict what section garbage collection keeps and removes in a link, before linking:
    /// the kept and removed sections with sizes, totals by object and archive member.
    #[command(after_help = EXIT_CODES)]
    Gc {
        #[command(flatten)]
        gc: GcArgs,
    },
    /// Explain why a symbol, section (`FILE:SECTION` or a name) or object stays in the link:
    /// the shortest chain from a root, each hop with the relocation's offset and symbol.
    #[command(after_help = EXIT_CODES)]
    Why {
        /// The symbol, section or object.
        item: String,
        /// Show the N shortest distinct chains.
        #[arg(long, default_value_t = 1, value_name = "N")]
        all: usize,
        #[command(flatten)]
        gc: GcArgs,
    },
    /// Rank what the link keeps: sections by own or retained size (what would go with them),
    /// or exports by the bytes each keeps alive alone.
    #[command(after_help = EXIT_CODES)]
    Top {
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
    },
    /// Check that objects and their linker script are ready for section garbage collection:
    /// function/data sections, orphans, special section names, rule order, tables and
    /// init arrays without KEEP, retained/grouped/link-order sections. Exit 1 on findings.
    #[command(after_help = CHECK_HELP)]
    Check {
        /// Objects and archives to check (or give the link command after `--`).
        objects: Vec<PathBuf>,
        /// The linker script (default: the link command's -T, else GNU ld's built-in script).
        #[arg(long)]
        script: Option<PathBuf>,
        /// Accept findings with this code.
        #[arg(long, value_name = "CODE")]
        allow: Vec<String>,
        /// Print the parsed script back (a script GNU ld reads the same way) and stop.
        #[arg(long)]
        dump_script: bool,
        /// Also report on objects the command does not name (crt files, `-l` libraries).
        #[arg(long)]
        system: bool,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        /// A link command whose inputs and script are checked.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Check that a (tailored) provider exports everything the consumers need, with the same
    /// type, size and version; with --generic, also that it exports nothing beyond the plan.
    #[command(after_help = EXIT_CODES)]
    Verify {
        #[command(flatten)]
        inputs: InputArgs,
        /// The provider to check.
        #[arg(long, required = true)]
        provider: PathBuf,
        /// The generic provider it was tailored from.
        #[arg(long)]
        generic: Option<PathBuf>,
        /// Keep lists the tailored provider was built with (repeat for more).
        #[arg(long, value_name = "FILE|DIR")]
        keep: Vec<PathBuf>,
        #[arg(long)]
        no_by_name: bool,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Feature and driver profiles: list, show, write generated files, convert OSv's.
    #[command(subcommand, after_help = EXIT_CODES)]
    Profile(ProfileCommand),
    /// Pack files into a reproducible compressed archive inside a relocatable ELF object.
    #[command(after_help = EXIT_CODES)]
    Embed {
        /// The archive's name (symbols NAME_data, NAME_data_end, NAME_size).
        #[arg(long, required = true)]
        name: String,
        /// Strip the comments of C and C++ headers (SPDX lines kept).
        #[arg(long)]
        strip_comments: bool,
        #[arg(long, value_enum, default_value_t = CompressArg::Xz)]
        compress: CompressArg,
        /// Directories (their contents) and files to pack.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(short = 'o', long = "output", required = true)]
        output: PathBuf,
        /// Take architecture and ELF flags from this object of the build.
        #[arg(long, conflicts_with = "target")]
        like: Option<PathBuf>,
        /// x86_64, i386, aarch64, arm, riscv64, ppc, ppc64, ppc64le, s390x (default: this machine).
        #[arg(long)]
        target: Option<String>,
        /// The section (default .rodata).
        #[arg(long)]
        section: Option<String>,
        #[arg(long)]
        depfile: Option<PathBuf>,
    },
    /// Find, check and write or unpack archives embedded in an image.
    #[command(after_help = EXIT_CODES)]
    Extract {
        image: PathBuf,
        #[arg(long)]
        name: Option<String>,
        /// Write the (decompressed) tar here.
        #[arg(short = 'o', long = "output", conflicts_with = "to")]
        output: Option<PathBuf>,
        /// Unpack into this (new or empty) directory.
        #[arg(long)]
        to: Option<PathBuf>,
        /// List the archives, or with --name the files of one.
        #[arg(long)]
        list: bool,
    },
    /// The system calls static programs can make (disassembly), as OSv's syscall list.
    #[command(after_help = cli_syscalls::SYSCALLS_HELP)]
    Syscalls(cli_syscalls::SyscallsArgs),
    /// Compare two ELF images: sections, objects, symbols (bloat-o-meter's rule), exports;
    /// each table with a remainder and a total that add up.
    #[command(after_help = EXIT_CODES)]
    Diff(cli::diff::DiffArgs),
    /// Print a shell completion script (bash, zsh, fish).
    Completions(cli::docs::CompletionsArgs),
    /// Print the man page (roff), or a subcommand's: `tailor man link`.
    Man(cli::docs::ManArgs),
}

/// Where profiles come from.
#[derive(Args, Clone)]
struct ProfileSourceArgs {
    /// A TOML profile file.
    #[arg(long, conflicts_with = "from_make")]
    config: Option<PathBuf>,
    /// The root of an OSv-style tree (conf/profiles/<arch>/*.mk), read with make's semantics.
    #[arg(long, value_name = "ROOT")]
    from_make: Option<PathBuf>,
    /// The architecture (x64, aarch64, ...).
    #[arg(long)]
    arch: Option<String>,
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// List the profiles.
    List {
        #[command(flatten)]
        source: ProfileSourceArgs,
    },
    /// Show a profile's effective features and why each is on.
    Show {
        profile: String,
        #[command(flatten)]
        source: ProfileSourceArgs,
        /// Override a feature: NAME=1 or NAME=0.
        #[arg(long = "set", value_parser = commands::profile::parse_override)]
        set: Vec<(String, bool)>,
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Write the generated C header, make fragment, JSON and object list (each only when it
    /// changes).
    Write {
        profile: String,
        #[command(flatten)]
        source: ProfileSourceArgs,
        #[arg(long = "set", value_parser = commands::profile::parse_override)]
        set: Vec<(String, bool)>,
        /// C header of `#define <MACRO> 0|1`.
        #[arg(long)]
        header: Option<PathBuf>,
        /// Make fragment of `var=0|1`.
        #[arg(long = "make")]
        make_fragment: Option<PathBuf>,
        #[arg(long)]
        json: Option<PathBuf>,
        /// The objects of the enabled features (TOML profiles), one a line.
        #[arg(long)]
        objects: Option<PathBuf>,
    },
    /// Convert OSv's make profiles to the TOML format.
    Convert {
        /// The root of the OSv-style tree.
        #[arg(long, value_name = "ROOT", required = true)]
        from_make: PathBuf,
        /// Architectures to convert.
        #[arg(long, required = true)]
        arch: Vec<String>,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
}

impl ProfileSourceArgs {
    fn source(&self) -> tailor_core::Result<commands::profile::ProfileSource> {
        match (&self.config, &self.from_make) {
            (Some(c), _) => Ok(commands::profile::ProfileSource::Config(c.clone())),
            (None, Some(r)) => Ok(commands::profile::ProfileSource::Make(r.clone())),
            _ => Err(tailor_core::Error::Usage(
                "give --config FILE or --from-make ROOT".into(),
            )),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum CompressArg {
    Xz,
    Zstd,
    None,
}

impl From<CompressArg> for tailor_core::build::embed::Compression {
    fn from(c: CompressArg) -> Self {
        use tailor_core::build::embed::Compression;
        match c {
            CompressArg::Xz => Compression::Xz,
            CompressArg::Zstd => Compression::Zstd,
            CompressArg::None => Compression::None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LinkerArg {
    Bfd,
    Lld,
    Mold,
}

/// The link to predict, and what it exports.
#[derive(Args)]
struct GcArgs {
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
    #[arg(long, value_enum, default_value_t = cli::ReportFormatArg::Text)]
    format: cli::ReportFormatArg,
    /// The link command (after `--`).
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

impl From<GcArgs> for commands::gc::GcCommand {
    fn from(a: GcArgs) -> Self {
        let exports = match (a.provider, a.version_script) {
            (Some(p), _) => commands::gc::ExportSource::Plan(Box::new(
                commands::version_script::VersionScriptOptions {
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
                    linker: a.linker.map(Linker::from),
                    link_by_name: false,
                },
            )),
            (None, Some(v)) => commands::gc::ExportSource::Script(v),
            (None, None) => commands::gc::ExportSource::Command,
        };
        commands::gc::GcCommand {
            command: a.command,
            linker: a.linker.map(Into::into),
            exports,
            by_name: !a.no_by_name,
            format: a.format.into(),
        }
    }
}

/// INPUTS: ELF files, directories, manifests and lists.
#[derive(Args)]
#[group(id = "inputs", multiple = true)]
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
    /// An OSv-style export list (one symbol a line) instead of a provider ELF; a directory
    /// stands for the files in it. Repeat for more: --exports A --exports B.
    #[arg(long, value_name = "FILE|DIR")]
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

fn parse_embed(s: &str) -> Result<(String, PathBuf), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
        .ok_or_else(|| format!("expected NAME=DIR, found `{s}`"))
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

impl From<LinkerArg> for Linker {
    fn from(l: LinkerArg) -> Self {
        match l {
            LinkerArg::Bfd => Linker::Bfd,
            LinkerArg::Lld => Linker::Lld,
            LinkerArg::Mold => Linker::Mold,
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
        Command::Check {
            objects,
            script,
            allow,
            dump_script,
            system,
            format,
            command,
        } => commands::check::run(
            &commands::check::CheckOptions {
                script,
                objects,
                command,
                allow,
                format: format.into(),
                dump_script,
                system,
            },
            &mut stdout,
            &mut stderr,
        ),
        Command::Gc { gc } => commands::gc::run(
            &gc.into(),
            &commands::gc::Query::Gc,
            &mut stdout,
            &mut stderr,
        ),
        Command::Why { item, all, gc } => commands::gc::run(
            &gc.into(),
            &commands::gc::Query::Why { item, all },
            &mut stdout,
            &mut stderr,
        ),
        Command::Top {
            retained,
            exports,
            limit,
            gc,
        } => commands::gc::run(
            &gc.into(),
            &commands::gc::Query::Top {
                retained,
                exports,
                limit,
            },
            &mut stdout,
            &mut stderr,
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
            linker,
            command,
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
                link_command: (!command.is_empty()).then_some(command),
                linker: linker.map(Linker::from),
                link_by_name: true,
            },
            &mut stdout,
            &mut stderr,
        ),
        Command::Link {
            inputs,
            keep,
            linker,
            size,
            no_by_name,
            output,
            report,
            report_format,
            depfile,
            embed,
            no_embed_plan,
            profile,
            profiles,
            arch,
            set,
            command,
        } => commands::link::run(
            &commands::link::LinkOptions {
                inputs: inputs.into(),
                keep,
                linker: linker.map(Linker::from),
                size,
                by_name: !no_by_name,
                output,
                report,
                report_format: report_format.map(Into::into),
                depfile,
                command,
                embed,
                embed_plan: !no_embed_plan,
                profile: profile
                    .zip(profiles)
                    .map(|(name, config)| commands::link::LinkProfile {
                        config,
                        arch,
                        name,
                        overrides: set,
                    }),
            },
            &mut stdout,
            &mut stderr,
        ),
        Command::Profile(p) => run_profile(p, &mut stdout, &mut stderr),
        Command::Syscalls(a) => a.run(&mut stdout, &mut stderr),
        Command::Diff(d) => d.run(&mut stdout, &mut stderr),
        Command::Completions(c) => c.run(Cli::command(), &mut stdout),
        Command::Man(m) => m.run(Cli::command(), &mut stdout),
        Command::Embed {
            name,
            strip_comments,
            compress,
            inputs,
            output,
            like,
            target,
            section,
            depfile,
        } => commands::embed::run(
            &commands::embed::EmbedOptions {
                name,
                strip_comments,
                compression: compress.into(),
                inputs,
                output,
                like,
                target,
                section,
                depfile,
                file_only: false,
            },
            &mut stderr,
        ),
        Command::Extract {
            image,
            name,
            output,
            to,
            list,
        } => commands::embed::extract(
            &commands::embed::ExtractOptions {
                image,
                name,
                output,
                to,
                list,
            },
            &mut stdout,
        ),
        Command::Verify {
            inputs,
            provider,
            generic,
            keep,
            no_by_name,
            format,
        } => commands::verify::run(
            &commands::verify::VerifyOptions {
                inputs: inputs.into(),
                provider,
                generic,
                keep,
                by_name: !no_by_name,
                format: format.into(),
            },
            &mut stdout,
            &mut stderr,
        ),
    }
}

fn run_profile(
    cmd: ProfileCommand,
    out: &mut dyn std::io::Write,
    log: &mut dyn std::io::Write,
) -> tailor_core::Result<Status> {
    use commands::profile;
    match cmd {
        ProfileCommand::List { source } => {
            profile::list(&source.source()?, source.arch.as_deref(), out)
        }
        ProfileCommand::Show {
            profile: name,
            source,
            set,
            format,
        } => {
            let (r, _) = profile::resolve(&source.source()?, source.arch.as_deref(), &name, &set)?;
            profile::show(&r, format.into(), out, log)
        }
        ProfileCommand::Write {
            profile: name,
            source,
            set,
            header,
            make_fragment,
            json,
            objects,
        } => {
            let (r, cfg) =
                profile::resolve(&source.source()?, source.arch.as_deref(), &name, &set)?;
            let outputs = profile::Outputs {
                header,
                make: make_fragment,
                json,
                objects,
            };
            profile::write(&r, cfg.as_ref(), &outputs, log)
        }
        ProfileCommand::Convert {
            from_make,
            arch,
            output,
        } => {
            let text = tailor_core::decide::profile::convert_make(&from_make, &arch)?;
            match output {
                Some(p) => {
                    tailor_core::output::write_if_changed(&p, text.as_bytes())?;
                }
                None => commands::emit(out, text.as_bytes())?,
            }
            Ok(Status::Ok)
        }
    }
}

/// The usage of the commands that take a link command after `--`, for the hint given when
/// the `--` is missing (clap would suggest `-- -s` for the first option of the command).
fn link_command_usage(subcommand: &str) -> Option<&'static str> {
    Some(match subcommand {
        "link" => "tailor link CONSUMERS... -- gcc -shared ...",
        "gc" => "tailor gc [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "why" => "tailor why ITEM [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "top" => "tailor top [CONSUMERS... --provider ELF] -- gcc -shared ...",
        "check" => "tailor check [OBJECTS...] -- gcc -shared ...",
        _ => return None,
    })
}

/// One line for a command-line error that comes from a link command given without `--`.
fn missing_separator(args: &[std::ffi::OsString], e: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    if args.iter().skip(1).any(|a| a == "--") {
        return None;
    }
    let subcommand = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-'))?;
    let usage = link_command_usage(subcommand)?;
    let without_command =
        e.kind() == ErrorKind::MissingRequiredArgument && e.to_string().contains("<COMMAND>");
    if e.kind() != ErrorKind::UnknownArgument && !without_command {
        return None;
    }
    Some(format!(
        "tailor {subcommand}: the link command goes after '--' ({usage})"
    ))
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => match missing_separator(&args, &e) {
            Some(line) => {
                eprintln!("{line}");
                return ExitCode::from(2);
            }
            None => e.exit(),
        },
    };
    tailor_core::trace::set_verbose(cli.verbose);
    tailor_core::demangle::set_in_reports(cli.demangle);
    match run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tailor: {e}");
            ExitCode::from(2)
        }
    }
}
