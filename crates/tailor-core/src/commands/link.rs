//! `tailor link INPUTS [options] -- LINK COMMAND...`: re-links a provider with the user's own
//! link command so that it exports only what the consumers need, lets `--gc-sections` drop the
//! rest, verifies the result against every consumer, and reports the sizes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::planning::Planning;
use super::provider::{LoadedProvider, ProviderArg, ProviderData};
use super::{collect_inputs, emit, read_consumers, to_json, Consumers, Status};
use crate::analysis::elf::ReadOptions;
use crate::analysis::exports::Exports;
use crate::analysis::predict::{self, Prediction, SectionMap};
use crate::build::{self, LinkRun};
use crate::decide::dynamic_list;
use crate::decide::plan::{self, Reason};
use crate::decide::version_script::GroupBy;
use crate::error::{Error, Result};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::{self, InputSpec};
use crate::output;
use crate::verify::image::{self, ImageStats};
use crate::verify::{self, VerifyInputs, VerifyReport};

/// Options of `tailor link`.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    pub inputs: InputSpec,
    pub keep: Vec<PathBuf>,
    pub linker: Option<Linker>,
    pub size: bool,
    pub by_name: bool,
    pub output: Option<PathBuf>,
    pub report: Option<PathBuf>,
    /// The report's format: HTML for a `.html`/`.htm` path (or when asked), else JSON.
    pub report_format: Option<ReportKind>,
    pub depfile: Option<PathBuf>,
    /// The provider's link command, program first.
    pub command: Vec<String>,
    /// `--profile NAME` with its profile file: objects of disabled features leave the link.
    pub profile: Option<LinkProfile>,
    /// `--embed NAME=DIR`: archives carried by the tailored image.
    pub embed: Vec<(String, PathBuf)>,
    /// Embed tailor's own plan (`tailor-plan`), on by default.
    pub embed_plan: bool,
}

/// The format of `--report FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Json,
    Html,
}

impl ReportKind {
    /// `asked`, else by the file's extension (`.html`, `.htm`: HTML), else JSON.
    pub fn of(path: &Path, asked: Option<ReportKind>) -> ReportKind {
        asked.unwrap_or_else(|| {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm") {
                ReportKind::Html
            } else {
                ReportKind::Json
            }
        })
    }
}

/// A profile applied to a link.
#[derive(Debug, Clone)]
pub struct LinkProfile {
    pub config: PathBuf,
    pub arch: Option<String>,
    pub name: String,
    pub overrides: Vec<(String, bool)>,
}

/// The link report (text table on stdout, JSON with `--report`).
#[derive(Debug, Serialize)]
pub struct LinkReport {
    pub output: String,
    pub generic: String,
    /// The linker of the tailored link.
    pub linker: &'static str,
    /// The linker of the command's own link.
    pub generic_linker: &'static str,
    /// The tailored link command, as it ran (staged paths shown at their final places).
    pub tailored_command: Vec<String>,
    /// The generic image, linked with the tailored link's linker.
    pub generic_stats: ImageStats,
    pub tailored_stats: ImageStats,
    /// With `--size`: the stripped copy, and the generic image stripped alike.
    pub stripped: Option<Stripped>,
    /// Exported symbols as `nm -D --defined-only` counts them (version names included).
    pub exports_generic: usize,
    pub exports_tailored: usize,
    /// The tailored image was not smaller, so the output is the generic image.
    pub kept_generic: bool,
    /// Exports kept because a string names them.
    pub by_name: Vec<String>,
    pub sections_removed: usize,
    /// Objects the profile removed from the link: (feature, object).
    pub profile_removed: Vec<(String, String)>,
    /// The generic links, when they had to be run.
    pub generic_link_ms: Option<f64>,
    pub link_ms: f64,
    /// tailor's own time: the wall time during which none of the tools it runs (the links, and
    /// `strip` for `--size`) is running. The tailored link may start while the generic one
    /// still runs.
    pub tailor_ms: f64,
    pub verification: VerifyReport,
    /// With `--report`: the tailored link's sections under their objects, how each kept one
    /// is reached, and the exports with their reasons, consumers and retained bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map: Option<SectionMap>,
}

/// `OUT` + `suffix` (`libc.so` → `libc.so.tailored`).
fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Size and modification time of each link input (response files too), read once, in
/// parallel: the freshness check and the fingerprint both use them (1,300 objects for musl).
#[derive(Clone)]
struct InputStats(Vec<(PathBuf, Option<(u64, SystemTime)>)>);

impl InputStats {
    /// Also refuses an input that is there but is not a regular file (a FIFO would hang the
    /// linker and tailor's reads); a missing one is the linker's to report.
    fn read(cmd: &LinkCommand) -> Result<Self> {
        use rayon::prelude::*;
        let paths: Vec<&PathBuf> = cmd.inputs.iter().chain(&cmd.response_files).collect();
        let stats = paths
            .par_iter()
            .map(|p| {
                let m = match std::fs::metadata(p) {
                    Ok(m) => match inputs::file_kind(&m) {
                        None => m.modified().ok().map(|t| (m.len(), t)),
                        Some(kind) => {
                            return Err(Error::NotRegular {
                                path: (*p).clone(),
                                kind,
                            })
                        }
                    },
                    Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                        return Err(inputs::stat_error("opening", p, e))
                    }
                    Err(_) => None,
                };
                Ok(((*p).clone(), m))
            })
            .collect::<Result<_>>()?;
        Ok(InputStats(stats))
    }
}

/// Identity of a file as the generic-image record keeps it: size, mtime (ns), inode.
fn identity(p: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok().filter(|m| m.is_file())?;
    Some(format!(
        "{} {}.{} {}",
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ino()
    ))
}

/// Whether `path` is an ELF image that carries tailor's own plan (a tailored image): never the
/// generic one.
fn carries_plan(path: &Path) -> bool {
    use object::{Object, ObjectSection};
    let Ok(map) = inputs::Mapped::open(path) else {
        return false;
    };
    object::File::parse(map.bytes())
        .ok()
        .is_some_and(|f| f.sections().any(|s| s.name_bytes() == Ok(b".tailor.plan")))
}

/// The generic image: the command's existing output when it is known to be what the command
/// gives, else the output of the original command run into `work`.
///
/// "Known" is recorded, never guessed from file times alone: the record (`previous`, the
/// second line of the tailored output's stamp) names the command, each input's size and
/// mtime, and the output's identity. Without a matching record the command is run and its
/// output compared byte for byte with the existing one (linkers are deterministic); an output
/// that carries tailor's plan is a tailored image and never generic.
fn generic_image(
    cmd: &LinkCommand,
    stats: &InputStats,
    previous: Option<&str>,
    work: &Path,
    log: &mut dyn Write,
) -> Result<Generic> {
    let command = fingerprint(&cmd.argv(), "", stats, &[]);
    let existing = identity(&cmd.output).map(|id| format!("generic {command} {id}"));
    if let Some(record) = &existing {
        if previous == Some(record.as_str()) {
            return Ok(Generic {
                path: cmd.output.clone(),
                run: None,
                record: existing,
            });
        }
    }
    let name = cmd.output.file_name().unwrap_or_else(|| "generic".as_ref());
    let path = work.join(name);
    let run = build::run_link(&cmd.with_output(&path), "the original link command", log)?;
    if existing.is_some() {
        if carries_plan(&cmd.output) {
            let _ = writeln!(
                log,
                "tailor: {} carries tailor's plan (a tailored image, not the generic one): \
                 using the link command's own output, linked in a temporary directory",
                cmd.output.display()
            );
        } else if files_equal(&cmd.output, &path) {
            return Ok(Generic {
                path: cmd.output.clone(),
                run: Some(run),
                record: existing,
            });
        } else {
            let _ = writeln!(
                log,
                "tailor: {} is not what its link command gives now (the command or an input \
                 changed since it was linked): using the command's output, linked in a temporary \
                 directory",
                cmd.output.display()
            );
        }
    }
    Ok(Generic {
        path,
        run: Some(run),
        record: None,
    })
}

/// The generic image tailor plans from.
struct Generic {
    path: PathBuf,
    /// The original link, when it was run.
    run: Option<LinkRun>,
    /// The record that lets the next run take the command's own output without linking it.
    record: Option<String>,
}

fn files_equal(a: &Path, b: &Path) -> bool {
    match (inputs::Mapped::open(a), inputs::Mapped::open(b)) {
        (Ok(a), Ok(b)) => a.bytes() == b.bytes(),
        _ => false,
    }
}

/// `-o` naming the command's own output or one of its inputs would destroy what the next run
/// (or the build) needs.
fn check_output_path(tailored: &Path, cmd: &LinkCommand) -> Result<()> {
    // Compared by their directories' real paths (the tailored file need not exist yet).
    let real = |p: &Path| -> PathBuf {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        match (dir.canonicalize(), p.file_name()) {
            (Ok(d), Some(n)) => d.join(n),
            _ => p.to_path_buf(),
        }
    };
    if let Some(dir) = tailored.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "-o {}: there is no directory {}",
                tailored.display(),
                dir.display()
            )));
        }
    }
    let target = real(tailored);
    // Only a file of the same name can be the same file (real paths cost a walk each: 1,300
    // inputs for musl).
    let same = |p: &Path| p.file_name() == tailored.file_name() && real(p) == target;
    if same(&cmd.output) {
        return Err(Error::Usage(format!(
            "-o {}: that is the link command's own output (the generic image); name another file",
            tailored.display()
        )));
    }
    if let Some(input) = cmd
        .inputs
        .iter()
        .chain(&cmd.response_files)
        .find(|p| same(p))
    {
        return Err(Error::Usage(format!(
            "-o {}: that is an input of the link command ({}); name another file",
            tailored.display(),
            input.display()
        )));
    }
    Ok(())
}

/// For a shared library linked with `--dynamic-list`: the list narrowed to the plan, written
/// beside the output as `OUT.dynlist` (`None` when nothing planned is in it: the tailored
/// command then binds with `-Bsymbolic`).
fn narrowed_dynamic_list(
    cmd: &LinkCommand,
    plan: &plan::Plan<'_>,
    out: &Path,
) -> Result<Option<PathBuf>> {
    let lists = cmd.dynamic_lists();
    if !cmd.shared || lists.is_empty() {
        return Ok(None);
    }
    let mut patterns = Vec::new();
    for l in &lists {
        patterns.extend(inputs::version_rules::parse_dynamic_list(
            l,
            &inputs::read_text(l)?,
        )?);
    }
    let planned: Vec<&[u8]> = plan.entries.iter().map(|e| e.name).collect();
    let Some(list) = dynamic_list::narrow(&patterns, &planned) else {
        return Ok(None);
    };
    let path = with_suffix(out, ".dynlist");
    output::write_if_changed(&path, list.as_bytes())?;
    Ok(Some(path))
}

/// Builds the archives to embed (`--embed NAME=DIR`, and `tailor-plan` unless turned off)
/// as objects in `OUT.embed/` (each rebuilt only when its inputs change), like the command's
/// first object.
fn embed_objects(
    opts: &LinkOptions,
    cmd: &LinkCommand,
    out: &Path,
    script: &str,
    plan: &plan::Plan<'_>,
    consumer_names: &[String],
) -> Result<Vec<PathBuf>> {
    // (name, inputs, file-only): the plan rides in a non-allocated section, exporting nothing.
    let mut archives: Vec<(String, Vec<PathBuf>, bool)> = opts
        .embed
        .iter()
        .map(|(n, d)| (n.clone(), vec![d.clone()], false))
        .collect();
    let dir = with_suffix(out, ".embed");
    if opts.embed_plan {
        let plan_dir = dir.join("tailor-plan");
        std::fs::create_dir_all(&plan_dir).map_err(|e| Error::io("creating", &plan_dir, e))?;
        let kept: Vec<serde_json::Value> = plan
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": String::from_utf8_lossy(e.name),
                    "version": e.version.map(|v| String::from_utf8_lossy(v).into_owned()),
                    "reason": match e.reason {
                        Reason::Consumer(c) => format!("imported by {}", consumer_names.get(c.index()).map_or("?", |s| s.as_str())),
                        Reason::ByName(_) => "looked up by name".to_string(),
                        Reason::Keep => "kept by --keep".to_string(),
                    },
                })
            })
            .collect();
        let json = serde_json::json!({
            "tailor": env!("CARGO_PKG_VERSION"),
            "provider": cmd.output.display().to_string(),
            "consumers": consumer_names,
            "exports": kept,
        });
        output::write_if_changed(&plan_dir.join("plan.json"), &super::to_json(&json))?;
        output::write_if_changed(&plan_dir.join("version-script.map"), script.as_bytes())?;
        archives.push(("tailor-plan".to_string(), vec![plan_dir], true));
    }
    if archives.is_empty() {
        return Ok(Vec::new());
    }
    let like = first_object(cmd);
    let mut objects = Vec::new();
    for (name, inputs, file_only) in archives {
        let object = dir.join(format!("{}.o", crate::build::embed::symbol_prefix(&name)));
        super::embed::run(
            &super::embed::EmbedOptions {
                name: name.clone(),
                strip_comments: false,
                // xz for what the user embeds (as Linux does); the plan is a few kilobytes, for
                // which zstd costs 0.1 ms against xz's 3 ms of encoder setup on every link.
                compression: if file_only {
                    crate::build::embed::Compression::Zstd
                } else {
                    crate::build::embed::Compression::Xz
                },
                inputs,
                output: object.clone(),
                like: like.cloned(),
                target: None,
                section: None,
                depfile: None,
                file_only,
            },
            &mut std::io::sink(),
        )?;
        objects.push(object);
    }
    Ok(objects)
}

/// The first relocatable object among the command's inputs, which the embedded objects are
/// made like (machine, class, byte order, flags): e_type in the file's own byte order, from
/// the first bytes of each input only.
fn first_object(cmd: &LinkCommand) -> Option<&PathBuf> {
    cmd.inputs.iter().find(|p| {
        use std::io::Read;
        let mut head = [0u8; 20];
        std::fs::metadata(p).is_ok_and(|m| m.is_file())
            && std::fs::File::open(p)
                .and_then(|mut f| f.read_exact(&mut head))
                .is_ok()
            && crate::analysis::objfile::is_relocatable(&head)
    })
}

/// The link inputs a profile removes: (feature, object) for each input matching a disabled
/// feature's object globs and no enabled feature's.
fn profile_removals(cmd: &LinkCommand, p: &LinkProfile) -> Result<Vec<(String, String)>> {
    let set = crate::decide::profile::ProfileSet::load(&p.config, p.arch.as_deref())?;
    let resolved = set.resolve(&p.name, &p.overrides)?;
    let (off, on) = set.disabled_objects(&resolved);
    let mut removed = Vec::new();
    for input in &cmd.inputs {
        let s = input.to_string_lossy();
        let matches = |g: &str| crate::glob::fnmatch(g.as_bytes(), s.as_bytes());
        if on.iter().any(|g| matches(g)) {
            continue;
        }
        if let Some((feature, _)) = off.iter().find(|(_, g)| matches(g)) {
            removed.push((feature.clone(), s.into_owned()));
        }
    }
    Ok(removed)
}

/// For a needed symbol that only a removed object defines: which feature to enable.
fn explain_with_profile(
    v: &mut VerifyReport,
    removed: &[(String, String)],
    p: Option<&LinkProfile>,
) -> Result<()> {
    let Some(p) = p else { return Ok(()) };
    for (feature, object) in removed {
        let map = inputs::Mapped::open(Path::new(object))?;
        let facts = crate::analysis::elf::read_facts(Path::new(object), map.bytes())?;
        for problem in &mut v.problems {
            if facts
                .definitions
                .iter()
                .any(|d| d.name == problem.name.as_bytes())
            {
                problem.detail.push_str(&format!(
                    "; defined by {object} of feature `{feature}`, which profile `{}` turns off: enable `{feature}`",
                    p.name
                ));
            }
        }
    }
    Ok(())
}

/// The fingerprint that decides whether a tailored link is up to date: tailor's version, the
/// command as it will run, the version script, and each input's path, size and mtime.
fn fingerprint(argv: &[String], script: &str, stats: &InputStats, consumers: &[PathBuf]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for a in argv {
        h.update(a.as_bytes());
        h.update(b"\0");
    }
    h.update(script.as_bytes());
    let consumer_stats = consumers.iter().map(|p| {
        let m = std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?)));
        (p.clone(), m)
    });
    for (p, m) in stats.0.iter().cloned().chain(consumer_stats) {
        h.update(p.as_os_str().as_encoded_bytes());
        if let Some((len, t)) = m {
            h.update(&len.to_le_bytes());
            let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            h.update(&since.as_nanos().to_le_bytes());
        }
    }
    h.finalize().to_hex().to_string()
}

/// What a stamp file holds: the fingerprint of the tailored link (line 1), the record of the
/// generic image it was planned from (`generic ...`), and the request that made it with the
/// identity of the image it wrote (`request ...`).
struct Stamp {
    tailored: String,
    generic: Option<String>,
    request: Option<String>,
}

impl Stamp {
    fn read(path: &Path) -> Option<Stamp> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines();
        let tailored = lines.next()?.to_string();
        let (mut generic, mut request) = (None, None);
        for line in lines {
            match line.strip_prefix("request ") {
                Some(r) => request = Some(r.to_string()),
                None if line.starts_with("generic ") => generic = Some(line.to_string()),
                None => {}
            }
        }
        Some(Stamp {
            tailored,
            generic,
            request,
        })
    }

    fn render(&self) -> String {
        let mut s = format!("{}\n", self.tailored);
        for line in [
            &self.generic,
            &self.request.as_ref().map(|r| format!("request {r}")),
        ]
        .into_iter()
        .flatten()
        {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

/// What a request of `tailor link` is, as a fingerprint: tailor's version, every option, the
/// directory it runs in, the environment the driver reads, the command's programs as `PATH`
/// finds them, and the identity (size, mtime, inode) of every file it names — the command's
/// inputs and response files, the consumers and the files listing them, keep lists, the
/// profile, the trees `--embed` carries. The same fingerprint, with the image tailor wrote
/// still in place, means the same result: nothing is read or linked.
fn request_fingerprint(
    opts: &LinkOptions,
    cmd: &LinkCommand,
    stats: &InputStats,
    set: &inputs::InputSet,
) -> String {
    let mut h = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(format!("{opts:?}").as_bytes());
    let cwd = std::env::current_dir().unwrap_or_default();
    field(cwd.as_os_str().as_encoded_bytes());
    for var in [
        "PATH",
        "LIBRARY_PATH",
        "GCC_EXEC_PREFIX",
        "COMPILER_PATH",
        "LD_RUN_PATH",
    ] {
        field(std::env::var_os(var).unwrap_or_default().as_encoded_bytes());
    }
    for (p, m) in &stats.0 {
        field(p.as_os_str().as_encoded_bytes());
        if let Some((len, t)) = m {
            let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            field(&len.to_le_bytes());
            field(&since.as_nanos().to_le_bytes());
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(program) = find_program(&cmd.argv()[0]) {
        files.push(program);
    }
    files.extend(set.candidates.iter().map(|c| c.path.clone()));
    files.extend(set.read_files.iter().cloned());
    files.extend(opts.keep.iter().cloned());
    files.extend(opts.profile.iter().map(|p| p.config.clone()));
    for (_, dir) in &opts.embed {
        // An unreadable tree only makes the fingerprint differ: embedding reports it.
        let mut visited = Default::default();
        let _ = crate::inputs::walk::walk_files(dir, &mut visited, &mut |p| files.push(p));
    }
    for f in &files {
        field(f.as_os_str().as_encoded_bytes());
        field(identity(f).unwrap_or_default().as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// `program` as the shell finds it (a path as given, else the first match in `PATH`).
fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The files `tailor link` writes for a request.
struct Outputs {
    image: PathBuf,
    others: Vec<PathBuf>,
}

impl Outputs {
    fn of(opts: &LinkOptions, image: &Path) -> Self {
        let mut others: Vec<PathBuf> = opts.report.iter().chain(&opts.depfile).cloned().collect();
        if opts.size {
            others.push(with_suffix(image, ".stripped"));
        }
        Outputs {
            image: image.to_path_buf(),
            others,
        }
    }

    fn exist(&self) -> bool {
        self.image.exists() && self.others.iter().all(|p| p.exists())
    }

    /// The identity of the image as written.
    fn identities(&self) -> String {
        identity(&self.image).unwrap_or_default()
    }

    /// Whether every output is there and the image is the one `stamp` recorded.
    fn recorded(&self, stamp: &Stamp) -> bool {
        self.exist()
            && stamp
                .request
                .as_deref()
                .and_then(|r| r.split_once(' '))
                .is_some_and(|(_, id)| id == self.identities())
    }
}

/// Files a tailored link writes beside its output, staged in a temporary directory until the
/// image is verified: a failed run leaves nothing behind (and an earlier good run's files
/// untouched).
struct Staging {
    dir: tempfile::TempDir,
    /// The final output path.
    output: PathBuf,
}

impl Staging {
    fn new(output: &Path) -> Result<Self> {
        let parent = match output.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = tempfile::Builder::new()
            .prefix(".tailor-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io("creating a temporary directory in", &parent, e))?;
        Ok(Staging {
            dir,
            output: output.to_path_buf(),
        })
    }

    /// The staged counterpart of the output (the linker writes it: its own mode, 0777 less
    /// the umask for an image).
    fn image(&self) -> PathBuf {
        self.dir
            .path()
            .join(self.output.file_name().unwrap_or("tailored".as_ref()))
    }

    /// The staged `OUT` + `suffix`.
    fn beside(&self, suffix: &str) -> PathBuf {
        with_suffix(&self.image(), suffix)
    }

    /// The final path of a staged one.
    fn final_path(&self, staged: &Path) -> PathBuf {
        match staged.strip_prefix(self.dir.path()) {
            Ok(rest) => self
                .output
                .parent()
                .map_or_else(|| rest.to_path_buf(), |p| p.join(rest)),
            Err(_) => staged.to_path_buf(),
        }
    }

    /// Moves the verified image into place and writes every other staged file where it
    /// belongs, unless unchanged.
    fn commit(&self) -> Result<()> {
        let image = self.image();
        std::fs::rename(&image, &self.output)
            .map_err(|e| Error::io("renaming into place", &self.output, e))?;
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("reading", &dir, e))?;
                let path = entry.path();
                if path.is_dir() {
                    let target = self.final_path(&path);
                    std::fs::create_dir_all(&target)
                        .map_err(|e| Error::io("creating", &target, e))?;
                    stack.push(path);
                } else if path != image {
                    let bytes = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
                    output::write_if_changed(&self.final_path(&path), &bytes)?;
                }
            }
        }
        Ok(())
    }
}

/// Says `tailored` is up to date.
fn up_to_date(tailored: &Path, started: Instant, log: &mut dyn Write) -> Status {
    let _ = writeln!(
        log,
        "tailor: {} is up to date (nothing changed since it was linked; {:.1} ms)",
        tailored.display(),
        started.elapsed().as_secs_f64() * 1e3
    );
    Status::Ok
}

/// A tool run in its own thread, its messages kept until it is waited for. Dropped, it is
/// waited for: a linker is never left writing files after tailor has moved on.
struct Job<T: Send + 'static>(JobState<T>);

enum JobState<T> {
    Running(std::thread::JoinHandle<(T, Vec<u8>)>),
    Done(T, Vec<u8>),
    Waited,
}

impl<T: Send + 'static> Job<T> {
    fn spawn(f: impl FnOnce(&mut dyn Write) -> T + Send + 'static) -> Self {
        Job(JobState::Running(std::thread::spawn(move || {
            let mut log = Vec::new();
            let value = f(&mut log);
            (value, log)
        })))
    }

    /// A job whose result is already known.
    fn done(value: T, log: Vec<u8>) -> Self {
        Job(JobState::Done(value, log))
    }

    fn is_running(&self) -> bool {
        matches!(self.0, JobState::Running(_))
    }

    /// Its result and its messages.
    fn wait(mut self) -> (T, Vec<u8>) {
        match std::mem::replace(&mut self.0, JobState::Waited) {
            JobState::Running(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            JobState::Done(value, log) => (value, log),
            JobState::Waited => unreachable!("a job is waited for once: wait takes it"),
        }
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        if let JobState::Running(h) = std::mem::replace(&mut self.0, JobState::Waited) {
            let _ = h.join();
        }
    }
}

/// The generic image of an attempt: still linking, or there.
enum GenericState {
    Linking(Job<Result<Generic>>),
    Linked(Generic),
}

/// One attempt at the tailored link.
enum Attempt {
    Done(Status),
    /// The generic image's exports were not the ones the link's model predicted: plan again
    /// from the image (linked, with its messages).
    Retry(Generic, Vec<u8>),
}

/// Runs `tailor link`.
pub fn run(opts: &LinkOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    let started = Instant::now();
    let work = tempfile::tempdir().map_err(|e| {
        Error::io(
            "creating a temporary directory in",
            &std::env::temp_dir(),
            e,
        )
    })?;
    let mut known = None;
    loop {
        match attempt(opts, out, log, started, work.path(), known.take())? {
            Attempt::Done(status) => return Ok(status),
            // The second attempt plans from the image: it never guesses.
            Attempt::Retry(generic, messages) => known = Some((generic, messages)),
        }
    }
}

/// `tailor link`, planning from the generic image's exports as the link's model predicts them
/// (`known_generic`: the image of an attempt whose prediction was wrong, planned from).
fn attempt(
    opts: &LinkOptions,
    out: &mut dyn Write,
    log: &mut dyn Write,
    started: Instant,
    work: &Path,
    known_generic: Option<(Generic, Vec<u8>)>,
) -> Result<Attempt> {
    let mut t = super::Timings::start();
    let cmd = LinkCommand::from_user(&opts.command)?;
    let tailored_path = opts
        .output
        .clone()
        .unwrap_or_else(|| with_suffix(&cmd.output, ".tailored"));
    check_output_path(&tailored_path, &cmd)?;
    // The consumers are named and checked before anything is linked.
    let mut set = collect_inputs(&opts.inputs)?;
    crate::analysis::check_named(&set)?;
    let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
    let keep = plan::parse_keep(&keep_texts)?;
    let stats = InputStats::read(&cmd)?;
    let stamp_path = with_suffix(&tailored_path, ".tailor-stamp");
    let previous = Stamp::read(&stamp_path);
    // Nothing changed since the last run (the request, every file it names, the outputs):
    // nothing to do, before any reading or linking.
    let request = request_fingerprint(opts, &cmd, &stats, &set);
    let outputs = Outputs::of(opts, &tailored_path);
    if let Some(p) = &previous {
        let asked = p
            .request
            .as_deref()
            .and_then(|r| r.split_once(' '))
            .map(|r| r.0);
        if asked == Some(request.as_str()) && outputs.recorded(p) {
            return Ok(Attempt::Done(up_to_date(&tailored_path, started, log)));
        }
    }
    t.phase("inputs checked");
    // A profile removes the objects of its disabled features from the tailored link.
    let (removed, profiled_cmd) = match &opts.profile {
        Some(p) => {
            let removed = profile_removals(&cmd, p)?;
            let paths: Vec<PathBuf> = removed.iter().map(|r| PathBuf::from(&r.1)).collect();
            (removed, cmd.without_inputs(&paths))
        }
        None => (Vec::new(), cmd.clone()),
    };
    // The generic image links in its own thread while the link tailor runs is read and
    // resolved; where the model predicts the generic image's exports, the tailored link is
    // planned and started before the generic one has finished, and the guess is checked
    // against the image once it is there (a wrong guess plans again from the image).
    let generic_job = match known_generic {
        Some((generic, messages)) => Job::done(Ok(generic), messages),
        None => {
            let (cmd, stats) = (cmd.clone(), stats.clone());
            let previous = previous.as_ref().and_then(|s| s.generic.clone());
            let work = work.to_path_buf();
            Job::spawn(move |log| generic_image(&cmd, &stats, previous.as_deref(), &work, log))
        }
    };
    let link_read = super::gc::read_link(&profiled_cmd, opts.linker, &mut t);
    let resolved = link_read.as_ref().ok().map(|r| r.resolve());
    let (link_read, resolved) = match (&link_read, resolved) {
        (Ok(read), Some(Ok(resolved))) => (read, resolved),
        (_, resolved) => {
            let (generic, generic_log) = generic_job.wait();
            let _ = log.write_all(&generic_log);
            generic?;
            return Err(match resolved {
                Some(Err(e)) => e,
                _ => link_read
                    .err()
                    .unwrap_or_else(|| Error::Usage("no link".into())),
            });
        }
    };
    let provider_name = cmd.output.display().to_string();
    let guess = match (generic_job.is_running(), &opts.profile) {
        (true, None) => predict::generic_exports(link_read, &resolved)
            .ok()
            .flatten()
            .map(|exports| ProviderData {
                exports,
                facts: None,
                name: provider_name.clone(),
            }),
        _ => None,
    };
    t.phase("link read, generic exports predicted");
    // What this attempt writes before its plan is known to hold (a wrong guess drops it).
    let mut early = Vec::new();
    let known_loaded;
    let known_view;
    let state;
    let plan_provider = match &guess {
        Some(g) => {
            state = GenericState::Linking(generic_job);
            g
        }
        None => {
            let (generic, generic_log) = generic_job.wait();
            let _ = early.write_all(&generic_log);
            let generic = generic?;
            known_loaded = LoadedProvider::load(&ProviderArg::Elf(generic.path.clone()))?;
            known_view = known_loaded
                .view()?
                .ok_or_else(|| Error::Usage("no provider".into()))?;
            state = GenericState::Linked(generic);
            t.phase("generic image");
            &known_view
        }
    };
    super::add_link_consumers(&mut set, link_read, &mut early);

    // Analysis and plan, over the generic image's exports.
    let read = read_consumers(
        &set,
        ReadOptions::IMPORTS,
        opts.by_name.then_some(&plan_provider.exports),
    )?;
    let consumers = Consumers::new(&read);
    t.phase("consumers read");
    // The plan for what the consumers need, first without the provider's own by-name
    // lookups; then the exports that strings in the live read-only data of the link name
    // (musl's dynamic linker finding `__dls3`), to a fixed point (`tailor gc`'s).
    // Archives the image carries (--embed): their symbols are exported, so GC keeps them.
    let embed_symbols: Vec<String> = opts
        .embed
        .iter()
        .flat_map(|(name, _)| crate::build::embed::symbol_names(name))
        .collect();
    let own_local_patterns = super::planning::own_local_patterns(&cmd)?;
    let planning = Planning {
        own_local_patterns: &own_local_patterns,
        consumers: &consumers,
        provider: plan_provider,
        keep: &keep,
        embed_symbols: &embed_symbols,
        provider_name: &provider_name,
        by_name: opts.by_name,
    };
    let prediction = planning.mark_link(link_read, resolved, &mut t);
    let roots = super::planning::sorted_by_name_roots(&prediction);
    let hits = planning.hits(&roots);
    t.phase("by-name fixed point over the link's live sections");
    let (needs, plan, script) = planning.plan(Some(&hits), GroupBy::Consumer);
    t.phase("planned");
    let consumer_paths = consumers.paths();
    for name in &plan.keep_not_exported {
        let _ = writeln!(
            early,
            "tailor: warning: --keep {}: not exported by {}",
            String::from_utf8_lossy(name),
            provider_name
        );
    }
    let stage = Staging::new(&tailored_path)?;
    let staged_image = stage.image();
    let embedded = embed_objects(opts, &cmd, &staged_image, &script, &plan, &consumers.names)?;
    t.phase("embedded objects");
    let script_path = stage.beside(".map");
    output::write_if_changed(&script_path, script.as_bytes())?;
    let dynamic_list = narrowed_dynamic_list(&cmd, &plan, &staged_image)?;
    t.phase("planned, version script written");

    // The tailored link, unless nothing changed since the last one.
    let linker = build::effective_linker(&cmd, opts.linker);
    let mut extra = vec!["--print-gc-sections".to_string()];
    if opts.size {
        extra.extend(build::size_options(linker));
    }
    // The command as it will stand once the staged files are in place (the stamp's).
    let final_paths: Vec<PathBuf> = embedded.iter().map(|p| stage.final_path(p)).collect();
    let final_argv = profiled_cmd.with_extra_inputs(&final_paths).tailored(
        &tailored_path,
        &stage.final_path(&script_path),
        dynamic_list
            .as_deref()
            .map(|d| stage.final_path(d))
            .as_deref(),
        opts.linker,
        &extra,
    );
    let tailored_fingerprint = fingerprint(&final_argv, &script, &stats, &consumer_paths);
    // A report asked for at a new place is written, so the link runs again.
    let unchanged = outputs.exist()
        && previous
            .as_ref()
            .is_some_and(|p| p.tailored == tailored_fingerprint);
    let link_with = |objects: &[PathBuf]| {
        profiled_cmd.with_extra_inputs(objects).tailored(
            &staged_image,
            &script_path,
            dynamic_list.as_deref(),
            opts.linker,
            &extra,
        )
    };
    let tailored_job = (!unchanged).then(|| {
        let argv = link_with(&embedded);
        Job::spawn(move |log| build::run_link(&argv, "the tailored link", log))
    });

    // The generic image, if it was still linking: the guess checked against its exports.
    let late_loaded;
    let late_view;
    let (generic, provider) = match state {
        GenericState::Linked(generic) => (generic, plan_provider),
        GenericState::Linking(job) => {
            let (generic, generic_log) = job.wait();
            let _ = early.write_all(&generic_log);
            let generic = match generic {
                Ok(g) => g,
                Err(e) => {
                    let _ = log.write_all(&early);
                    return Err(e);
                }
            };
            late_loaded = LoadedProvider::load(&ProviderArg::Elf(generic.path.clone()))?;
            late_view = late_loaded
                .view()?
                .ok_or_else(|| Error::Usage("no provider".into()))?;
            if !plan_provider.exports.same_as(&late_view.exports) {
                drop(tailored_job);
                let _ = writeln!(
                    log,
                    "tailor: note: the generic image's exports differ from the link's model: \
                     planning again from the image"
                );
                return Ok(Attempt::Retry(generic, early));
            }
            t.phase("generic image, exports as predicted");
            (generic, &late_view)
        }
    };
    let _ = log.write_all(&early);
    super::warn_unlinked_consumers(&consumers, provider, log)?;
    let unbound = consumers.unbound(&needs, provider);
    let mut stamp = Stamp {
        tailored: tailored_fingerprint,
        generic: generic.record.clone(),
        request: None,
    };
    let Some(tailored_job) = tailored_job else {
        stamp.request = Some(format!("{request} {}", outputs.identities()));
        output::write_if_changed(&stamp_path, stamp.render().as_bytes())?;
        return Ok(Attempt::Done(up_to_date(&tailored_path, started, log)));
    };
    // The report's map of the prediction is drawn while the tailored link runs.
    let (link, map) = std::thread::scope(|s| {
        let map = s.spawn(|| {
            opts.report
                .as_ref()
                .map(|_| section_map(&prediction, &plan, &needs, &consumers.names))
        });
        let (link, link_log) = tailored_job.wait();
        let _ = log.write_all(&link_log);
        (
            link,
            map.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    let mut link = link?;
    t.phase("tailored link, section map");
    // What the tailored image is compared with: the generic one, linked with the same linker
    // when `--linker` switched it (after the tailored link: the two would share the cores).
    let reference = comparison_generic(&cmd, &generic, opts.linker, work, log)?;
    let generic_stats = image::stats(&reference.path)?;
    let mut tools = vec![link.clone()];
    // Never larger than the generic image: without the embedded plan, else the generic itself.
    let mut kept_generic = false;
    if image::stats(&staged_image)?.file_size > generic_stats.file_size {
        let without_plan: Vec<PathBuf> = embedded
            .iter()
            .filter(|p| !p.ends_with("tailor_plan.o"))
            .cloned()
            .collect();
        if without_plan.len() < embedded.len() {
            link = build::run_link(
                &link_with(&without_plan),
                "the tailored link (without the embedded plan)",
                log,
            )?;
            tools.push(link.clone());
            let _ = writeln!(
                log,
                "tailor: the embedded plan would make {} larger than the generic image: left out",
                tailored_path.display()
            );
        }
        if image::stats(&staged_image)?.file_size > generic_stats.file_size {
            kept_generic = true;
        }
    }

    // Verification, before the image is put in place.
    let tailored_map = inputs::Mapped::open(&staged_image)?;
    let tailored_facts = crate::analysis::elf::read_facts(&staged_image, tailored_map.bytes())?;
    let tailored_exports = Exports::from_provider(&staged_image, &tailored_facts);
    let verification = verify::verify(
        &VerifyInputs {
            needs: &needs,
            consumer_names: &consumers.names,
            generic: Some(&provider.exports),
            plan: Some(&plan),
            unbound: &unbound,
        },
        &tailored_exports,
    );
    let _ = write!(log, "{}", verification.render_warnings());
    if !verification.passed() {
        let mut verification = verification;
        explain_with_profile(&mut verification, &removed, opts.profile.as_ref())?;
        let _ = write!(log, "{}", verification.render_problems());
        let _ = writeln!(
            log,
            "tailor: verification failed: {} problems; {} not written",
            verification.problems.len(),
            tailored_path.display()
        );
        return Ok(Attempt::Done(Status::ChecksFailed));
    }
    t.phase("verified");
    let tailored_count = tailored_exports.symbol_count();
    drop(tailored_exports);
    drop(tailored_facts);
    drop(tailored_map);
    if kept_generic {
        let _ = writeln!(
            log,
            "tailor: the tailored image ({} B) is not smaller than the generic one ({} B): the \
             consumers need (nearly) everything; {} is a copy of the generic image",
            image::stats(&staged_image)?.file_size,
            generic_stats.file_size,
            tailored_path.display()
        );
        std::fs::copy(&reference.path, &staged_image)
            .map_err(|e| Error::io("copying the generic image to", &staged_image, e))?;
    }
    let tailored_stats = image::stats(&staged_image)?;
    let exports_tailored = if kept_generic {
        provider.exports.symbol_count()
    } else {
        tailored_count
    };
    stage.commit()?;
    let stripped = if opts.size {
        // The two copies are stripped at once.
        let path = with_suffix(&tailored_path, ".stripped");
        let generic_stripped = work.join("generic.stripped");
        let (tailored_strip, generic_strip) = std::thread::scope(|s| {
            let generic = s.spawn(|| build::strip_copy(&reference.path, &generic_stripped));
            let tailored = build::strip_copy(&tailored_path, &path);
            (
                tailored,
                generic
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        tools.extend([tailored_strip?, generic_strip?]);
        Some(Stripped {
            path: path.display().to_string(),
            stats: image::stats(&path)?,
            generic: image::stats(&generic_stripped)?,
        })
    } else {
        None
    };
    if let Some(dep) = &opts.depfile {
        let mut deps: Vec<PathBuf> = cmd
            .inputs
            .iter()
            .chain(&cmd.response_files)
            .cloned()
            .collect();
        deps.extend(consumers.read_files(&set));
        deps.extend(opts.keep.iter().cloned());
        output::write_if_changed(dep, output::depfile(&tailored_path, &deps).as_bytes())?;
    }

    let generic_links = [&generic.run, &reference.run]
        .iter()
        .filter_map(|r| r.as_ref())
        .map(|r| r.elapsed)
        .sum::<Duration>();
    let report = LinkReport {
        output: tailored_path.display().to_string(),
        generic: cmd.output.display().to_string(),
        linker: linker.fuse_name(),
        generic_linker: build::effective_linker(&cmd, None).fuse_name(),
        tailored_command: final_argv,
        generic_stats,
        tailored_stats,
        stripped,
        exports_generic: provider.exports.symbol_count(),
        exports_tailored,
        kept_generic,
        by_name: plan
            .entries
            .iter()
            .filter(|e| matches!(e.reason, Reason::ByName(_)))
            .map(|e| String::from_utf8_lossy(e.name).into_owned())
            .collect(),
        sections_removed: link.removed_sections,
        profile_removed: removed.clone(),
        generic_link_ms: (generic_links > Duration::ZERO)
            .then_some(generic_links.as_secs_f64() * 1e3),
        link_ms: link.elapsed.as_secs_f64() * 1e3,
        tailor_ms: started
            .elapsed()
            .saturating_sub(build::busy_time(
                tools
                    .iter()
                    .chain(generic.run.iter())
                    .chain(reference.run.iter()),
            ))
            .as_secs_f64()
            * 1e3,
        verification,
        map,
    };
    if let Some(path) = &opts.report {
        let json = to_json(&report);
        let bytes = match ReportKind::of(path, opts.report_format) {
            ReportKind::Json => json,
            ReportKind::Html => {
                output::html::page("tailor link", "link", &String::from_utf8_lossy(&json))
                    .into_bytes()
            }
        };
        output::write_if_changed(path, &bytes)?;
    }
    // The stamp last, once every output is in place (the image's identity is in it).
    stamp.request = Some(format!("{request} {}", outputs.identities()));
    output::write_if_changed(&stamp_path, stamp.render().as_bytes())?;
    emit(out, render_table(&report).as_bytes())?;
    t.phase("reported");
    Ok(Attempt::Done(Status::Ok))
}

/// The report's section map of the tailored link: tailor's model of the link with the plan's
/// version script, each export with the plan's reason and every consumer that needs it.
fn section_map(
    prediction: &Prediction<'_>,
    plan: &plan::Plan<'_>,
    needs: &crate::analysis::needs::Needs<'_>,
    consumer_names: &[String],
) -> SectionMap {
    let mut map = predict::section_map(prediction);
    let mut consumers: std::collections::BTreeMap<&[u8], Vec<String>> = Default::default();
    for &(sym, file) in &needs.consumers {
        if let (Some(need), Some(name)) = (
            needs.symbols.get(sym as usize),
            consumer_names.get(file.index()),
        ) {
            let v = consumers.entry(need.name).or_default();
            if !v.contains(name) {
                v.push(name.clone());
            }
        }
    }
    for e in &mut map.exports {
        let Some(entry) = plan.entries.iter().find(|p| p.name == e.name.as_bytes()) else {
            continue;
        };
        e.reason = match entry.reason {
            Reason::Consumer(f) => format!(
                "needed by {}",
                consumer_names.get(f.index()).map_or("?", |s| s.as_str())
            ),
            Reason::ByName(_) => "looked up by name".to_string(),
            Reason::Keep => "--keep".to_string(),
        };
        e.consumers = consumers.remove(e.name.as_bytes()).unwrap_or_default();
        e.consumers.sort();
    }
    map
}

/// The generic image a tailored one is compared with: the planning generic, or the same
/// command linked with `--linker` when that switched the linker (a size table comparing mold
/// with GNU ld says nothing about tailoring).
fn comparison_generic(
    cmd: &LinkCommand,
    generic: &Generic,
    asked: Option<Linker>,
    work: &Path,
    log: &mut dyn Write,
) -> Result<Generic> {
    let same = |g: &Generic| Generic {
        path: g.path.clone(),
        run: None,
        record: None,
    };
    let Some(linker) = asked else {
        return Ok(same(generic));
    };
    if build::effective_linker(cmd, None) == linker {
        return Ok(same(generic));
    }
    let path = work.join(format!("generic-{}", linker.fuse_name()));
    let run = build::run_link(
        &cmd.with_output_and_linker(&path, linker),
        "the original link command with --linker",
        log,
    )?;
    Ok(Generic {
        path,
        run: Some(run),
        record: None,
    })
}

/// `--size`'s stripped copy, with the generic image stripped the same way.
#[derive(Debug, Serialize)]
pub struct Stripped {
    pub path: String,
    pub stats: ImageStats,
    pub generic: ImageStats,
}

/// The size table: groups add up to the allocated total.
pub fn render_table(r: &LinkReport) -> String {
    let pct = |a: u64, b: u64| {
        if b == 0 {
            String::from("-")
        } else {
            format!("{:.1}%", 100.0 * a as f64 / b as f64)
        }
    };
    let mut rows: Vec<(String, u64, u64)> = vec![
        (
            "file size".into(),
            r.generic_stats.file_size,
            r.tailored_stats.file_size,
        ),
        (
            "loadable size".into(),
            r.generic_stats.loadable_size,
            r.tailored_stats.loadable_size,
        ),
    ];
    for ((name, g), (_, t)) in r
        .generic_stats
        .sections
        .iter()
        .zip(&r.tailored_stats.sections)
    {
        rows.push((format!("  {name}"), *g, *t));
    }
    rows.push((
        "  allocated total".into(),
        r.generic_stats.allocated,
        r.tailored_stats.allocated,
    ));
    rows.push((
        "exported symbols".into(),
        r.exports_generic as u64,
        r.exports_tailored as u64,
    ));
    let mut s = format!(
        "{:<20} {:>12} {:>12} {:>8}\n",
        "", "generic", "tailored", "ratio"
    );
    for (name, g, t) in rows {
        s.push_str(&format!("{name:<20} {g:>12} {t:>12} {:>8}\n", pct(t, g)));
    }
    if let Some(st) = &r.stripped {
        s.push_str(&format!(
            "{:<20} {:>12} {:>12} {:>8}   ({})\n",
            "stripped file size",
            st.generic.file_size,
            st.stats.file_size,
            pct(st.stats.file_size, st.generic.file_size),
            st.path
        ));
    }
    s.push_str(&format!(
        "{} sections removed by --gc-sections; kept by name: {}\n",
        r.sections_removed,
        if r.by_name.is_empty() {
            "none".to_string()
        } else {
            r.by_name.join(", ")
        }
    ));
    s.push_str(&format!(
        "linker {}: {:.0} ms{}; tailor: {:.0} ms ({:.1}% of the link)\n",
        r.linker,
        r.link_ms,
        r.generic_link_ms.map_or(String::new(), |g| format!(
            " (+{g:.0} ms for the generic image)"
        )),
        r.tailor_ms,
        100.0 * r.tailor_ms / r.link_ms.max(0.001)
    ));
    s.push_str(&format!(
        "verification: passed ({} needed symbols checked, {} exported)\n",
        r.verification.checked, r.verification.exported
    ));
    s
}
