//! Stage 1, inputs: what the linker itself receives. A driver command (gcc, cc, clang) is
//! asked for its linker command line with `-###`, so the crt objects, `-L` directories and
//! libraries it adds are seen exactly; the linker's own options are then read as GNU ld
//! reads them: inputs in order with their `--whole-archive`, `--as-needed`, `-Bstatic` and
//! group state, `-l` searched in every `-L` directory, and the options that decide what
//! section garbage collection keeps.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::driver_cache::DriverCache;
use super::driver_options;
use super::link_command::{split_response, LinkCommand, Linker, ToolKind};
use super::linker_options::{self, Form, Kind, Meaning, ZMeaning};
use crate::error::{Error, Result};

/// One input as the linker meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkerInput {
    /// A path, or `-lname` still to be searched.
    pub item: InputName,
    pub whole_archive: bool,
    pub as_needed: bool,
    /// `-Bstatic` was in force: `-l` finds only archives.
    pub static_only: bool,
    /// The `--start-group` this input is in (numbered from 1), or 0.
    pub group: u32,
}

/// How an input was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputName {
    Path(PathBuf),
    /// `-lname`, or `-l:file` (`exact`).
    Library {
        name: String,
        exact: bool,
    },
}

/// The linker's options that matter to the section graph.
#[derive(Debug, Clone, Default)]
pub struct LinkerArgs {
    /// Which linker runs (its GC rules differ).
    pub linker: Option<Linker>,
    /// The linker program (`ld`, a cross `powerpc-linux-gnu-ld`, `ld.lld`, `mold`).
    pub program: String,
    pub inputs: Vec<LinkerInput>,
    pub library_paths: Vec<PathBuf>,
    pub output: Option<PathBuf>,
    pub entry: Option<String>,
    /// `-u`, `--undefined`, `--require-defined`.
    pub undefined: Vec<String>,
    pub init: Option<String>,
    pub fini: Option<String>,
    pub shared: bool,
    pub pie: bool,
    pub relocatable: bool,
    pub export_dynamic: bool,
    pub gc_keep_exported: bool,
    pub gc_sections: bool,
    /// `-z start-stop-gc`.
    pub start_stop_gc: Option<bool>,
    pub version_scripts: Vec<PathBuf>,
    pub dynamic_lists: Vec<PathBuf>,
    /// `-T` scripts (they replace ld's default script).
    pub scripts: Vec<PathBuf>,
    /// `--exclude-libs`: `ALL` or archive names.
    pub exclude_libs: Vec<String>,
    /// `-m EMULATION`.
    pub emulation: Option<String>,
    /// `--defsym` names (defined by the linker, in no section).
    pub defsyms: Vec<String>,
    /// Options met that change what the link keeps or finds and that the model does not
    /// read (`--wrap`, `--start-lib`, ...), as written.
    pub unmodelled: Vec<String>,
    /// The whole command line, for messages.
    pub argv: Vec<String>,
}

/// The linker command `cmd` runs: for a driver, from `driver -###`.
pub fn linker_command(cmd: &LinkCommand) -> Result<(Vec<String>, Option<Linker>)> {
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let dir = super::input_cache::cache_dir();
    let cache = dir
        .as_deref()
        .map(|d| (d, super::input_cache::settle_cutoff()));
    linker_command_under(cmd, &env, cache).map(|(w, l, _)| (w, l))
}

/// Where a driver's `-###` answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The command names a linker: nothing was asked.
    Linker,
    /// The driver was run.
    Asked,
    /// The driver cache held it ([`super::driver_cache`]).
    Kept,
}

/// [`linker_command`], the driver run under `env` (its whole environment) with its answers
/// kept in `cache`'s directory (`None`: not kept), each worked out from files whose times
/// predate `cache`'s cutoff (seconds, nanoseconds: [`super::input_cache::settle_cutoff`]).
pub fn linker_command_under(
    cmd: &LinkCommand,
    env: &[(OsString, OsString)],
    cache: Option<(&Path, (i64, i64))>,
) -> Result<(Vec<String>, Option<Linker>, Answer)> {
    let argv = cmd.argv();
    let fuse = argv
        .iter()
        .rev()
        .find_map(|a| a.strip_prefix("-fuse-ld="))
        .map(Linker::from_name);
    if cmd.kind == ToolKind::Linker {
        let linker = Some(Linker::from_name(&argv[0]));
        return Ok((argv, linker, Answer::Linker));
    }
    // The driver is slow to echo a thousand inputs (14 ms for musl's 1,346 objects, 1.6 ms
    // for none): each run of object and archive inputs goes in as one placeholder and comes
    // back out of the linker line.
    let (short, runs) = collapse_inputs(&argv[1..]);
    let (stderr, answer) = ask_driver(&argv[0], &short, &argv[1..], env, cache)?;
    let line = stderr
        .lines()
        .filter(|l| l.starts_with(' '))
        .rfind(|l| {
            let prog = split_response(l).into_iter().next().unwrap_or_default();
            let base = prog.rsplit('/').next().unwrap_or("");
            base == "collect2" || base.contains("ld") || base.contains("mold")
        })
        .ok_or_else(|| Error::Tool {
            what: "finding the linker command in the driver's -### output",
            command: format!("{} -### ...", argv[0]),
            status: "no linker line".into(),
            stderr: stderr.clone(),
        })?;
    let mut words = split_response(line);
    let mut read = Vec::new();
    words = super::link_command::expand_response_files(&words, &mut read)?;
    let words = expand_placeholders(words, &runs);
    let linker = fuse.or_else(|| {
        let base = words[0].rsplit('/').next().unwrap_or("");
        (base != "collect2").then(|| Linker::from_name(base))
    });
    Ok((words, linker, answer))
}

/// What `program -### args` prints on stderr (it must succeed), from the driver cache when it
/// holds the answer; else the driver is run, and when the answer can be kept it is, with what
/// the same driver says of its directories and specs (asked at the same time). `shown`: the
/// arguments as the user gave them (`args` hold placeholders), for a failure's message.
fn ask_driver(
    program: &str,
    args: &[String],
    shown: &[String],
    env: &[(OsString, OsString)],
    cache: Option<(&Path, (i64, i64))>,
) -> Result<(String, Answer)> {
    let cutoff = cache.map(|(_, c)| c);
    let cache = cache.and_then(|(dir, _)| {
        let cwd = std::env::current_dir().ok()?;
        DriverCache::new(dir, program, args, &cwd, env, cutoff?)
    });
    if let Some(cache) = &cache {
        if let Some(kept) = cache.lookup() {
            crate::trace::note(|| {
                format!("{program} -###: from the cache {}", cache.path().display())
            });
            return Ok((kept, Answer::Kept));
        }
    }
    let run = |first: &str| {
        let mut command = Command::new(program);
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg(first)
            .args(args);
        command
    };
    let mut asked = run("-###");
    crate::trace::command(&asked);
    let spawn_error = |e| {
        Error::spawn(
            "asking the compiler driver for its linker command",
            program,
            format!("{program} -### ..."),
            e,
        )
    };
    // The cache's two questions run beside the main one (on a miss only).
    let side: Option<Vec<std::process::Child>> = cache.as_ref().map(|_| {
        ["-print-search-dirs", "-dumpspecs"]
            .iter()
            .filter_map(|q| {
                run(q)
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .ok()
            })
            .collect()
    });
    let out = asked.output().map_err(spawn_error)?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Only GCC's answers are kept: for any other driver the questions are stopped.
    let keepable = out.status.success() && stderr.contains("COLLECT_GCC_OPTIONS=");
    let side: Option<Vec<String>> = side.map(|children| {
        children
            .into_iter()
            .filter_map(|mut c| {
                if !keepable {
                    let _ = c.kill();
                }
                c.wait_with_output().ok()
            })
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .collect()
    });
    if !out.status.success() {
        return Err(Error::Tool {
            what: "asking the compiler driver for its linker command",
            command: format!("{program} -### {}", super::link_command::shell_join(shown)),
            status: out.status.to_string(),
            stderr,
        });
    }
    if let (Some(cache), Some([search_dirs, specs])) = (&cache, side.as_deref()) {
        let kept = cache.store(&stderr, search_dirs, specs);
        crate::trace::note(|| {
            format!(
                "{program} -###: {} {}",
                if kept { "kept in" } else { "not kept in" },
                cache.path().display()
            )
        });
    }
    Ok((stderr, Answer::Asked))
}

const PLACEHOLDER: &str = "tailor-inputs-";

/// Replaces each run of linker-input arguments (objects, archives, shared libraries) with
/// one placeholder; returns the shortened arguments and the runs.
fn collapse_inputs(args: &[String]) -> (Vec<String>, Vec<Vec<&str>>) {
    let mut out = Vec::new();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    let mut in_run = false;
    for item in driver_options::items(args) {
        match item.kind {
            driver_options::Kind::Input(a) if is_linker_input_name(a) => {
                if !in_run {
                    runs.push(Vec::new());
                    out.push(format!("{PLACEHOLDER}{}.o", runs.len() - 1));
                    in_run = true;
                }
                if let Some(r) = runs.last_mut() {
                    r.push(a);
                }
            }
            _ => {
                out.extend_from_slice(&args[item.start..item.start + item.len]);
                in_run = false;
            }
        }
    }
    (out, runs)
}

/// Objects, archives and shared libraries (sources and unknown files go to the driver).
fn is_linker_input_name(a: &str) -> bool {
    let base = a.rsplit('/').next().unwrap_or(a);
    base.ends_with(".o")
        || base.ends_with(".lo")
        || base.ends_with(".obj")
        || base.ends_with(".a")
        || base.ends_with(".so")
        || base.contains(".so.")
}

fn expand_placeholders(words: Vec<String>, runs: &[Vec<&str>]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len() + runs.iter().map(Vec::len).sum::<usize>());
    for w in words {
        let run = w
            .strip_prefix(PLACEHOLDER)
            .and_then(|r| r.strip_suffix(".o"))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| runs.get(n));
        match run {
            Some(r) => out.extend(r.iter().map(|w| w.to_string())),
            None => out.push(w),
        }
    }
    out
}

/// The flags that apply to the inputs after them (what `--push-state` saves).
#[derive(Debug, Clone, Copy, Default)]
struct InputState {
    whole: bool,
    as_needed: bool,
    static_only: bool,
}

/// The state of a parse: the input flags, the saved ones and the groups.
#[derive(Debug, Default)]
struct State {
    now: InputState,
    saved: Vec<InputState>,
    group: u32,
    groups: u32,
}

impl State {
    fn input(&self, item: InputName) -> LinkerInput {
        LinkerInput {
            item,
            whole_archive: self.now.whole,
            as_needed: self.now.as_needed,
            static_only: self.now.static_only,
            group: self.group,
        }
    }
}

impl LinkerArgs {
    /// Reads a linker command line (program first), through the table of linker options.
    pub fn parse(words: &[String], linker: Option<Linker>) -> Result<Self> {
        let mut a = LinkerArgs {
            linker,
            program: words.first().cloned().unwrap_or_default(),
            argv: words.to_vec(),
            ..Default::default()
        };
        let tokens = words.get(1..).unwrap_or_default();
        let mut state = State::default();
        for item in linker_options::items(tokens) {
            match item.kind {
                Kind::Input(t) => a
                    .inputs
                    .push(state.input(InputName::Path(PathBuf::from(t)))),
                Kind::Unknown(_) => {}
                Kind::Option {
                    form: Form::Missing,
                    ..
                } => {
                    return Err(Error::Usage(format!(
                        "linker option `{}` needs a value",
                        item.text(tokens)
                    )))
                }
                Kind::Option { option, value, .. } => {
                    a.apply(option.meaning, value.unwrap_or(""), &mut state);
                    if option.meaning == Meaning::Unmodelled {
                        a.unmodelled.push(item.text(tokens));
                    }
                }
            }
        }
        if a.relocatable {
            return Err(Error::Usage(
                "a relocatable link (-r) has no section garbage collection to predict".into(),
            ));
        }
        Ok(a)
    }

    /// What one option of the table does to the link model (`v`: its value, or empty).
    fn apply(&mut self, meaning: Meaning, v: &str, state: &mut State) {
        match meaning {
            Meaning::PassThrough | Meaning::Unmodelled => {}
            Meaning::Library => self.inputs.push(state.input(library(v))),
            Meaning::LibraryPath => self.library_paths.push(PathBuf::from(v)),
            Meaning::WholeArchive(on) => state.now.whole = on,
            Meaning::AsNeeded(on) => state.now.as_needed = on,
            Meaning::StaticOnly(on) => state.now.static_only = on,
            Meaning::StartGroup => {
                state.groups += 1;
                state.group = state.groups;
            }
            Meaning::EndGroup => state.group = 0,
            Meaning::PushState => state.saved.push(state.now),
            Meaning::PopState => {
                if let Some(saved) = state.saved.pop() {
                    state.now = saved;
                }
            }
            Meaning::Output => self.output = Some(PathBuf::from(v)),
            Meaning::Shared => self.shared = true,
            Meaning::Pie(on) => self.pie = on,
            Meaning::Relocatable => self.relocatable = true,
            Meaning::Emulation => self.emulation = Some(v.to_string()),
            Meaning::Script => self.scripts.push(PathBuf::from(v)),
            Meaning::Entry => self.entry = Some(v.to_string()),
            Meaning::Undefined => self.undefined.push(v.to_string()),
            Meaning::Init => self.init = Some(v.to_string()),
            Meaning::Fini => self.fini = Some(v.to_string()),
            Meaning::ExportDynamic(on) => self.export_dynamic = on,
            Meaning::GcSections(on) => self.gc_sections = on,
            Meaning::GcKeepExported => self.gc_keep_exported = true,
            Meaning::Z => match linker_options::z_meaning(v) {
                ZMeaning::StartStopGc(on) => self.start_stop_gc = Some(on),
                ZMeaning::PassThrough => {}
            },
            Meaning::Defsym => self
                .defsyms
                .push(v.split('=').next().unwrap_or("").trim().to_string()),
            Meaning::ExcludeLibs => self
                .exclude_libs
                .extend(v.split([',', ':']).map(str::to_string)),
            Meaning::VersionScript => self.version_scripts.push(PathBuf::from(v)),
            Meaning::DynamicList => self.dynamic_lists.push(PathBuf::from(v)),
            Meaning::ExtraExports => {}
        }
    }

    /// The file a `-l` input names: every `-L` directory in order, then `extra` (the
    /// linker's built-in search directories), resolved against `cwd`; `lib<name>.so` before
    /// `lib<name>.a` unless `-Bstatic` was in force. Returns the file and its name as ld prints
    /// it (the directory as given, plus the file name).
    pub fn find_library(
        &self,
        input: &LinkerInput,
        extra: &[PathBuf],
        cwd: &Path,
    ) -> Option<(PathBuf, PathBuf)> {
        let InputName::Library { name, exact } = &input.item else {
            return None;
        };
        let files: Vec<String> = if *exact {
            vec![name.clone()]
        } else if input.static_only {
            vec![format!("lib{name}.a")]
        } else {
            vec![format!("lib{name}.so"), format!("lib{name}.a")]
        };
        for dir in self.library_paths.iter().chain(extra) {
            for f in &files {
                let p = in_dir(cwd, &dir.join(f));
                if p.is_file() {
                    return Some((p, dir.join(f)));
                }
            }
        }
        None
    }
}

fn library(v: &str) -> InputName {
    match v.strip_prefix(':') {
        Some(f) => InputName::Library {
            name: f.to_string(),
            exact: true,
        },
        None => InputName::Library {
            name: v.to_string(),
            exact: false,
        },
    }
}

/// GNU ld's built-in script (`ld --verbose`, with an emulation and the shared/pie choice):
/// the text between its `=====` lines, and the emulation ld names first (its default).
pub struct DefaultScript {
    pub text: String,
    pub default_emulation: String,
    /// `text` parsed, when [`DefaultScript::parsed`] parsed it.
    pub parsed: Option<super::ldscript::Script>,
    /// The mode it was asked for: `-shared`, else `-pie` (their scripts differ: a
    /// position-dependent executable's defines `__rela_iplt_start` and `__rela_iplt_end`).
    pub shared: bool,
    pub pie: bool,
}

/// The name tailor gives GNU ld's built-in script in messages and reports.
const BUILTIN_SCRIPT: &str = "GNU ld's built-in script";

impl DefaultScript {
    /// The script with its text parsed (when it parses): the thread that waits for ld
    /// parses it while the link's inputs are read.
    pub fn parsed(mut self) -> Self {
        self.parsed =
            super::ldscript::parse_text(self.text.as_bytes(), Path::new(BUILTIN_SCRIPT), &[]).ok();
        self
    }
}

/// Runs `program --verbose` for the built-in script.
pub fn default_script(
    program: &str,
    emulation: Option<&str>,
    shared: bool,
    pie: bool,
) -> Result<DefaultScript> {
    let program = bfd_program(program);
    let mut args = vec!["--verbose"];
    if let Some(m) = emulation {
        args.extend(["-m", m]);
    }
    if shared {
        args.push("-shared");
    } else if pie {
        args.push("-pie");
    }
    // The script is a function of ld's binary, its arguments and LDEMULATION: kept in the
    // input cache while the binary is unchanged.
    let kept = super::input_cache::ToolOutput::for_program(&program, &args, &["LDEMULATION"]);
    if let Some(k) = &kept {
        let from_cache = k
            .read()
            .and_then(|stdout| script_of_verbose(&program, &stdout, "", &[], shared, pie).ok());
        if let Some(script) = from_cache {
            crate::trace::note(|| {
                let shown = k.path().display();
                format!("{program} {}: from the cache {shown}", args.join(" "))
            });
            return Ok(script);
        }
    }
    let mut c = Command::new(&program);
    c.args(&args);
    crate::trace::command(&c);
    let out = c.output().map_err(|e| {
        Error::spawn(
            "reading GNU ld's default linker script",
            &program,
            format!("{program} --verbose"),
            e,
        )
    })?;
    let status = out.status.to_string();
    let script = script_of_verbose(&program, &out.stdout, &status, &out.stderr, shared, pie)?;
    if let (Some(k), true) = (&kept, out.status.success()) {
        k.write(&out.stdout);
    }
    Ok(script)
}

/// The built-in script in `ld --verbose`'s `stdout` (`status` and `stderr` for the error when
/// there is none), recorded as the one for a `shared` or `pie` link.
fn script_of_verbose(
    program: &str,
    stdout: &[u8],
    status: &str,
    stderr: &[u8],
    shared: bool,
    pie: bool,
) -> Result<DefaultScript> {
    let text = String::from_utf8_lossy(stdout);
    let default_emulation = text
        .lines()
        .skip_while(|l| !l.contains("Supported emulations"))
        .nth(1)
        .unwrap_or("")
        .trim()
        .to_string();
    let mut lines = text.lines().skip_while(|l| !l.starts_with("=====")).skip(1);
    let body: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.starts_with("====="))
        .collect();
    if body.is_empty() {
        return Err(Error::Tool {
            what: "reading GNU ld's default linker script",
            command: format!("{program} --verbose"),
            status: status.to_string(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
        });
    }
    Ok(DefaultScript {
        text: body.join("\n"),
        default_emulation,
        parsed: None,
        shared,
        pie: pie && !shared,
    })
}

/// The script that places a link's sections: `explicit` (`--script`), else the command's
/// `-T`, else GNU ld's built-in script for its emulation and mode — `speculative`, fetched
/// ahead for the default emulation, when it is that one. Returns the script and its name.
pub fn linker_script(
    args: &LinkerArgs,
    cwd: &Path,
    explicit: Option<&Path>,
    speculative: Option<DefaultScript>,
) -> Result<(super::ldscript::Script, String)> {
    let named = explicit
        .map(Path::to_path_buf)
        .or_else(|| args.scripts.first().map(|p| in_dir(cwd, p)));
    if let Some(p) = named {
        let script = super::ldscript::parse_file(&p, &args.library_paths)?;
        return Ok((script, p.display().to_string()));
    }
    let name = BUILTIN_SCRIPT.to_string();
    let text = match speculative {
        Some(d)
            if args
                .emulation
                .as_deref()
                .is_none_or(|e| e == d.default_emulation)
                && d.shared == args.shared
                && d.pie == (args.pie && !args.shared) =>
        {
            match d.parsed {
                Some(script) => return Ok((script, name)),
                None => d.text,
            }
        }
        _ => {
            let program = if args.program.is_empty() {
                "ld"
            } else {
                &args.program
            };
            default_script(program, args.emulation.as_deref(), args.shared, args.pie)?.text
        }
    };
    let script = super::ldscript::parse_text(text.as_bytes(), Path::new(&name), &[])?;
    Ok((script, name))
}

/// The GNU ld a command runs (`collect2` runs `ld`; a cross driver's collect2 its prefix-ld).
pub fn bfd_program(program: &str) -> String {
    let base = program.rsplit('/').next().unwrap_or(program);
    if base == "collect2" || base.contains("lld") || base.contains("mold") {
        return "ld".into();
    }
    program.to_string()
}

/// `SEARCH_DIR("=/usr/lib")` entries of a script (`=` is the sysroot: `/` here).
pub fn search_dirs(script: &super::ldscript::Script) -> Vec<PathBuf> {
    script
        .flat_commands()
        .iter()
        .filter_map(|c| match c {
            super::ldscript::Command::SearchDir(d) => {
                Some(PathBuf::from(d.strip_prefix('=').unwrap_or(d)))
            }
            _ => None,
        })
        .collect()
}

/// Resolves `p` against the directory the link runs in.
pub fn in_dir(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}
