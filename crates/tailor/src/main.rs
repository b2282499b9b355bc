//! The `tailor` binary: parses arguments with clap and hands them to `tailor_core::commands`.
//! Each subcommand's arguments, and their conversion to the core's options, are in `cli/`.

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use tailor_core::commands::Status;

use cli::{CHECK_HELP, EXIT_CODES, SYSCALLS_HELP};

/// Keeps glibc's malloc from handing memory back to the kernel and asking for it again.
/// tailor allocates a few tens of MiB, most of it from rayon's threads, whose arenas glibc
/// grows a page range at a time (an mprotect each: 1,116 in one `tailor gc` of musl) and trims
/// whenever a free leaves 128 KiB at the top; vectors over 128 KiB get a fresh mmap each time
/// they grow. Every page handed back is faulted in and zeroed again when it is reused.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets malloc's parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

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
    Needs(cli::needs::NeedsArgs),
    /// Print the exports (defined dynamic symbols, with versions) of ELF files.
    #[command(after_help = EXIT_CODES)]
    Exports(cli::exports::ExportsArgs),
    /// Write the GNU ld version script exporting only what the consumers need.
    #[command(name = "version-script", after_help = EXIT_CODES)]
    VersionScript(cli::version_script::VersionScriptArgs),
    /// Re-link a provider with its own link command so that it exports only what the
    /// consumers need, verify it, and print the size table.
    #[command(after_help = EXIT_CODES)]
    Link(cli::link::LinkArgs),
    /// Predict what section garbage collection keeps and removes in a link, before linking:
    /// the kept and removed sections with sizes, totals by object and archive member.
    #[command(after_help = EXIT_CODES)]
    Gc(cli::gc::GcArgs),
    /// Explain why a symbol, section (`FILE:SECTION` or a name) or object stays in the link:
    /// the shortest chain from a root, each hop with the relocation's offset and symbol.
    #[command(after_help = EXIT_CODES)]
    Why(cli::gc::WhyArgs),
    /// Rank what the link keeps: sections by own or retained size (what would go with them),
    /// or exports by the bytes each keeps alive alone.
    #[command(after_help = EXIT_CODES)]
    Top(cli::gc::TopArgs),
    /// Check that objects and their linker script are ready for section garbage collection:
    /// function/data sections, orphans, special section names, rule order, tables and
    /// init arrays without KEEP, retained/grouped/link-order sections. Exit 1 on findings.
    #[command(after_help = CHECK_HELP)]
    Check(cli::check::CheckArgs),
    /// Check that a (tailored) provider exports everything the consumers need, with the same
    /// type, size and version; with --generic, also that it exports nothing beyond the plan.
    #[command(after_help = EXIT_CODES)]
    Verify(cli::verify::VerifyArgs),
    /// Feature and driver profiles: list, show, write generated files, convert OSv's.
    #[command(subcommand, after_help = EXIT_CODES)]
    Profile(cli::profile::ProfileCommand),
    /// Pack files into a reproducible compressed archive inside a relocatable ELF object.
    #[command(after_help = EXIT_CODES)]
    Embed(cli::embed::EmbedArgs),
    /// Find, check and write or unpack archives embedded in an image.
    #[command(after_help = EXIT_CODES)]
    Extract(cli::embed::ExtractArgs),
    /// The system calls static programs can make (disassembly), as OSv's syscall list.
    #[command(after_help = SYSCALLS_HELP)]
    Syscalls(cli::syscalls::SyscallsArgs),
    /// Compare two ELF images: sections, objects, symbols (bloat-o-meter's rule), exports;
    /// each table with a remainder and a total that add up.
    #[command(after_help = EXIT_CODES)]
    Diff(cli::diff::DiffArgs),
    /// Print a shell completion script (bash, zsh, fish).
    Completions(cli::docs::CompletionsArgs),
    /// Print the man page (roff), or a subcommand's: `tailor man link`.
    Man(cli::docs::ManArgs),
}

fn run(command: Command) -> tailor_core::Result<Status> {
    let out = &mut std::io::stdout().lock();
    let log = &mut std::io::stderr();
    match command {
        Command::Needs(a) => a.run(out),
        Command::Exports(a) => a.run(out),
        Command::VersionScript(a) => a.run(out, log),
        Command::Link(a) => a.run(out, log),
        Command::Gc(a) => a.run(&tailor_core::commands::gc::Query::Gc, out, log),
        Command::Why(a) => a.run(out, log),
        Command::Top(a) => a.run(out, log),
        Command::Check(a) => a.run(out, log),
        Command::Verify(a) => a.run(out, log),
        Command::Profile(p) => p.run(out, log),
        Command::Embed(a) => a.run(log),
        Command::Extract(a) => a.run(out),
        Command::Syscalls(a) => a.run(out, log),
        Command::Diff(a) => a.run(out, log),
        Command::Completions(a) => a.run(Cli::command(), out),
        Command::Man(a) => a.run(Cli::command(), out),
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => match cli::checks::missing_separator(&args, &e) {
            Some(line) => {
                eprintln!("{line}");
                return ExitCode::from(2);
            }
            None => e.exit(),
        },
    };
    tailor_core::trace::set_verbose(cli.verbose);
    tailor_core::demangle::set_in_reports(cli.demangle);
    match run(cli.command) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tailor: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks (unique names and shorts, global options against every
    /// subcommand's), which release builds skip.
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
