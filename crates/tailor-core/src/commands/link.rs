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
use crate::analysis::closure::Unbound;
use crate::analysis::elf::ReadOptions;
use crate::analysis::exports::Exports;
use crate::analysis::link_model::Link;
use crate::analysis::needs::Needs;
use crate::analysis::predict::{self, ByNameRoot, LinkRead, Prediction, SectionMap};
use crate::build::{self, LinkRun};
use crate::decide::dynamic_list;
use crate::decide::plan::{self, Reason};
use crate::decide::version_script::GroupBy;
use crate::error::{Error, Result};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::{self, InputSpec};
use crate::output;
use crate::trace::Timings;
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
    /// The stamp of `link`, planned from `generic` (the request is added once every output is
    /// in place).
    fn of(link: &TailoredLink<'_>, generic: &Generic) -> Stamp {
        Stamp {
            tailored: link.fingerprint.clone(),
            generic: generic.record.clone(),
            request: None,
        }
    }

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

/// The generic link of an attempt, in its own thread.
type GenericJob = Job<Result<Generic>>;

/// The generic image of an attempt: still linking, or there.
enum GenericState {
    Linking(GenericJob),
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
///
/// The generic image links in its own thread while the link tailor runs is read and resolved;
/// where the model predicts the generic image's exports, the tailored link is planned and
/// started before the generic one has finished, and the guess is checked against the image
/// once it is there (a wrong guess plans again from the image). What the attempt says before
/// its plan is known to hold waits in `early` (a wrong guess drops it).
fn attempt(
    opts: &LinkOptions,
    out: &mut dyn Write,
    log: &mut dyn Write,
    started: Instant,
    work: &Path,
    known_generic: Option<(Generic, Vec<u8>)>,
) -> Result<Attempt> {
    let mut t = Timings::start();
    // Inputs: the request, checked; nothing to do when nothing changed since the last run.
    let (request, named) = Request::read(opts)?;
    if request.done_before() {
        return Ok(Attempt::Done(up_to_date(&request.tailored, started, log)));
    }
    t.phase("inputs checked");
    let profiled = Profiled::of(&request.cmd, opts.profile.as_ref())?;
    let generic = start_generic(&request, work, known_generic);

    // Analysis: the link read and resolved, the exports planned from, the consumers read.
    let read = super::gc::read_link(&profiled.cmd, opts.linker, &mut t);
    let (link_read, generic) = or_generic_failure(read, generic, log)?;
    let (resolved, generic) = or_generic_failure(link_read.resolve(), generic, log)?;
    let guess = predicted_generic(opts, &request, &link_read, &resolved, &generic);
    t.phase("link read, generic exports predicted");
    let mut early = Vec::new();
    let mut planned_image = None;
    let (planned_from, generic) =
        plan_source(guess, generic, &mut planned_image, &mut early, &mut t)?;
    let set = with_link_consumers(named, &link_read, &mut early);
    let exports = opts.by_name.then_some(&planned_from.exports);
    let read = read_consumers(&set, ReadOptions::IMPORTS, exports)?;
    let consumers = Consumers::new(&read);
    t.phase("consumers read");

    // Decisions: the plan, the provider's own by-name lookups found in the link's live sections.
    let extras = PlanExtras::of(opts, &request)?;
    let planning = extras.planning(&consumers, &planned_from, &request.provider_name, opts);
    let prediction = planning.mark_link(&link_read, resolved, &mut t);
    let roots = super::planning::sorted_by_name_roots(&prediction);
    let decided = Decided::of(&planning, &roots, &mut t);
    warn_keep_not_exported(&decided.plan, &request.provider_name, &mut early);

    // Build: the plan staged, the tailored link started unless it is the last run's.
    let staged = Staged::write(opts, &request, &decided, &consumers.names, &mut t)?;
    let link = TailoredLink::new(opts, &request, &profiled, &staged, &decided, &consumers);
    let tailored_job = (!link.unchanged(&request)).then(|| link.start());

    // Verification, first of the guess: the generic image's exports (a wrong guess plans
    // again); what the attempt held back is said once the plan holds.
    let mut late_image = None;
    let checked = generic.check(&planned_from, &mut late_image, &mut early, log, &mut t)?;
    let (generic, checked) = match checked {
        Checked::Holds(generic, image) => (generic, image),
        Checked::Wrong(generic, messages) => {
            return Ok(replan(tailored_job, generic, messages, log))
        }
    };
    let provider = checked.as_deref().unwrap_or(&planned_from);
    let _ = log.write_all(&early);
    super::warn_unlinked_consumers(&consumers, provider, log)?;
    let unbound = consumers.unbound(&decided.needs, provider);
    let stamp = Stamp::of(&link, &generic);
    let Some(tailored_job) = tailored_job else {
        request.record(stamp)?;
        return Ok(Attempt::Done(up_to_date(&request.tailored, started, log)));
    };
    // The tailored link finished (the report's map of the prediction drawn meanwhile), never
    // larger than the generic image; verified before it is put in place.
    let want_map = opts.report.is_some();
    let map = || want_map.then(|| section_map(&prediction, &decided, &consumers.names));
    let (run, map) = while_linking(tailored_job, map, log);
    let run = run?;
    t.phase("tailored link, section map");
    let reference = comparison_generic(&request.cmd, &generic, opts.linker, work, log)?;
    let built = Built::no_larger(run, &link, &generic, &reference, provider, log)?;
    let checks = decided.checks(&consumers, provider, &unbound);
    let (verification, tailored_exports) = verify_staged(&staged.image, &checks, log)?;
    if !verification.passed() {
        let status = refuse(verification, &profiled, &request.tailored, log)?;
        return Ok(Attempt::Done(status));
    }
    t.phase("verified");
    // Installed, with `--size`'s stripped copies and the depfile.
    let installed = install(&link, &built, &reference, tailored_exports, log)?;
    let stripped = opts
        .size
        .then(|| strip_both(&request.tailored, &reference, work))
        .transpose()?;
    if let Some(path) = &opts.depfile {
        write_depfile(path, opts, &request, &consumers, &set)?;
    }

    // Report: the file asked for, the stamp (once every output is in place), the table.
    let outcome = Outcome {
        built,
        installed,
        stripped,
        verification,
        map,
    };
    let report = report(&request, link, &decided, &profiled, outcome, started);
    if let Some(path) = &opts.report {
        write_report(path, opts.report_format, &report)?;
    }
    request.record(stamp)?;
    emit(out, render_table(&report).as_bytes())?;
    t.phase("reported");
    Ok(Attempt::Done(Status::Ok))
}

/// A request of `tailor link`, read and checked before anything is linked.
struct Request {
    cmd: LinkCommand,
    /// Where the tailored image goes: `-o`, else the command's output + `.tailored`.
    tailored: PathBuf,
    /// The command's output (the provider) as messages name it.
    provider_name: String,
    /// The `--keep` names.
    keep: Vec<Vec<u8>>,
    /// The link inputs' sizes and mtimes.
    stats: InputStats,
    /// `OUT.tailor-stamp`.
    stamp_path: PathBuf,
    /// The stamp of the last run.
    previous: Option<Stamp>,
    /// [`request_fingerprint`].
    fingerprint: String,
    /// The files it writes.
    outputs: Outputs,
}

impl Request {
    /// Reads and checks the request, with the consumers it names (the set the link's own
    /// embedded consumers join once it is read).
    fn read(opts: &LinkOptions) -> Result<(Request, inputs::InputSet)> {
        let cmd = LinkCommand::from_user(&opts.command)?;
        let tailored = opts
            .output
            .clone()
            .unwrap_or_else(|| with_suffix(&cmd.output, ".tailored"));
        check_output_path(&tailored, &cmd)?;
        // The consumers are named and checked before anything is linked.
        let set = collect_inputs(&opts.inputs)?;
        crate::analysis::check_named(&set)?;
        let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
        let keep = plan::parse_keep(&keep_texts)?;
        let stats = InputStats::read(&cmd)?;
        let stamp_path = with_suffix(&tailored, ".tailor-stamp");
        let previous = Stamp::read(&stamp_path);
        let fingerprint = request_fingerprint(opts, &cmd, &stats, &set);
        let outputs = Outputs::of(opts, &tailored);
        let request = Request {
            provider_name: cmd.output.display().to_string(),
            keep: keep.into_iter().map(<[u8]>::to_vec).collect(),
            cmd,
            tailored,
            stats,
            stamp_path,
            previous,
            fingerprint,
            outputs,
        };
        Ok((request, set))
    }

    /// Whether the last run had the same request and every output it wrote is still in place
    /// (the request and every file it names unchanged): nothing to read or link.
    fn done_before(&self) -> bool {
        self.previous.as_ref().is_some_and(|p| {
            let asked = p
                .request
                .as_deref()
                .and_then(|r| r.split_once(' '))
                .map(|r| r.0);
            asked == Some(self.fingerprint.as_str()) && self.outputs.recorded(p)
        })
    }

    /// Writes `stamp` with this request and the identity of the image in place.
    fn record(&self, mut stamp: Stamp) -> Result<()> {
        stamp.request = Some(format!(
            "{} {}",
            self.fingerprint,
            self.outputs.identities()
        ));
        output::write_if_changed(&self.stamp_path, stamp.render().as_bytes())?;
        Ok(())
    }
}

/// The link command a profile leaves: without the objects of its disabled features.
struct Profiled<'o> {
    cmd: LinkCommand,
    /// (feature, object) for each object removed.
    removed: Vec<(String, String)>,
    profile: Option<&'o LinkProfile>,
}

impl<'o> Profiled<'o> {
    /// `cmd` under `profile` (the command itself without one).
    fn of(cmd: &LinkCommand, profile: Option<&'o LinkProfile>) -> Result<Self> {
        let Some(p) = profile else {
            return Ok(Profiled {
                cmd: cmd.clone(),
                removed: Vec::new(),
                profile,
            });
        };
        let removed = profile_removals(cmd, p)?;
        let paths: Vec<PathBuf> = removed.iter().map(|r| PathBuf::from(&r.1)).collect();
        Ok(Profiled {
            cmd: cmd.without_inputs(&paths),
            removed,
            profile,
        })
    }
}

/// The generic link started in its own thread, or the image an earlier attempt linked.
fn start_generic(request: &Request, work: &Path, known: Option<(Generic, Vec<u8>)>) -> GenericJob {
    if let Some((generic, messages)) = known {
        return Job::done(Ok(generic), messages);
    }
    let (cmd, stats) = (request.cmd.clone(), request.stats.clone());
    let previous = request.previous.as_ref().and_then(|s| s.generic.clone());
    let work = work.to_path_buf();
    Job::spawn(move |log| generic_image(&cmd, &stats, previous.as_deref(), &work, log))
}

/// `result`, the generic link left running; on a failure the generic link is waited for and
/// its messages printed, and its own failure, when it failed too, is the one reported.
fn or_generic_failure<T>(
    result: Result<T>,
    generic: GenericJob,
    log: &mut dyn Write,
) -> Result<(T, GenericJob)> {
    match result {
        Ok(value) => Ok((value, generic)),
        Err(e) => {
            let (linked, messages) = generic.wait();
            let _ = log.write_all(&messages);
            linked?;
            Err(e)
        }
    }
}

/// The generic image's exports as the link's model predicts them, while the generic link
/// still runs (never under a profile: its link is not the generic one).
fn predicted_generic<'r>(
    opts: &LinkOptions,
    request: &Request,
    read: &'r LinkRead,
    link: &Link<'r>,
    generic: &GenericJob,
) -> Option<ProviderData<'r>> {
    if !generic.is_running() || opts.profile.is_some() {
        return None;
    }
    let exports = predict::generic_exports(read, link).ok().flatten()?;
    Some(ProviderData {
        exports,
        facts: None,
        name: request.provider_name.clone(),
    })
}

/// Waits for the generic link; its messages join `early`.
fn wait_generic(job: GenericJob, early: &mut Vec<u8>) -> Result<Generic> {
    let (generic, messages) = job.wait();
    early.extend_from_slice(&messages);
    generic
}

/// Maps `generic`'s image into `slot` and reads its exports.
fn image_exports<'s>(
    slot: &'s mut Option<LoadedProvider>,
    generic: &Generic,
) -> Result<ProviderData<'s>> {
    let loaded = slot.insert(LoadedProvider::load(&ProviderArg::Elf(
        generic.path.clone(),
    ))?);
    loaded
        .view()?
        .ok_or_else(|| Error::Usage("no provider".into()))
}

/// The exports the plan starts from: the guess, the generic image left linking; else the
/// image's own, once it is linked (mapped into `image`).
fn plan_source<'s>(
    guess: Option<ProviderData<'s>>,
    generic: GenericJob,
    image: &'s mut Option<LoadedProvider>,
    early: &mut Vec<u8>,
    t: &mut Timings,
) -> Result<(ProviderData<'s>, GenericState)> {
    if let Some(guess) = guess {
        return Ok((guess, GenericState::Linking(generic)));
    }
    let generic = wait_generic(generic, early)?;
    let exports = image_exports(image, &generic)?;
    t.phase("generic image");
    Ok((exports, GenericState::Linked(generic)))
}

/// The consumers named, with the ELF images embedded in the link's objects (OSv's vDSO),
/// one note each in `early`.
fn with_link_consumers(
    mut set: inputs::InputSet,
    read: &LinkRead,
    early: &mut Vec<u8>,
) -> inputs::InputSet {
    super::add_link_consumers(&mut set, read, early);
    set
}

/// What the plan takes besides the consumers and the provider.
struct PlanExtras<'q> {
    keep: Vec<&'q [u8]>,
    /// Symbols of the archives the image carries (`--embed`): exported, so GC keeps them.
    embed_symbols: Vec<String>,
    /// The `local:` patterns of the command's own version scripts.
    own_local_patterns: Vec<String>,
}

impl<'q> PlanExtras<'q> {
    fn of(opts: &LinkOptions, request: &'q Request) -> Result<Self> {
        Ok(PlanExtras {
            keep: request.keep.iter().map(Vec::as_slice).collect(),
            embed_symbols: opts
                .embed
                .iter()
                .flat_map(|(name, _)| crate::build::embed::symbol_names(name))
                .collect(),
            own_local_patterns: super::planning::own_local_patterns(&request.cmd)?,
        })
    }

    /// The planning of what `consumers` need from `provider`.
    fn planning<'p>(
        &'p self,
        consumers: &'p Consumers<'p>,
        provider: &'p ProviderData<'p>,
        provider_name: &'p str,
        opts: &LinkOptions,
    ) -> Planning<'p, 'p> {
        Planning {
            own_local_patterns: &self.own_local_patterns,
            consumers,
            provider,
            keep: &self.keep,
            embed_symbols: &self.embed_symbols,
            provider_name,
            by_name: opts.by_name,
        }
    }
}

/// What the plan decided: the consumers' needs, the exports kept, the version script.
struct Decided<'a> {
    needs: Needs<'a>,
    plan: plan::Plan<'a>,
    script: String,
}

impl<'a> Decided<'a> {
    /// The plan with the provider's own by-name lookups: `roots`, the exports that strings in
    /// the live read-only data of the link name (musl's dynamic linker finding `__dls3`), to
    /// `tailor gc`'s fixed point.
    fn of(planning: &Planning<'_, 'a>, roots: &'a [ByNameRoot], t: &mut Timings) -> Self {
        let hits = planning.hits(roots);
        t.phase("by-name fixed point over the link's live sections");
        let (needs, plan, script) = planning.plan(Some(&hits), GroupBy::Consumer);
        t.phase("planned");
        Decided {
            needs,
            plan,
            script,
        }
    }

    /// What verification checks the tailored image against: these needs and this plan, the
    /// generic image's exports, the needs nothing binds.
    fn checks<'r>(
        &'r self,
        consumers: &'r Consumers<'_>,
        generic: &'r ProviderData<'a>,
        unbound: &'r [(u32, Unbound)],
    ) -> VerifyInputs<'r, 'a> {
        VerifyInputs {
            needs: &self.needs,
            consumer_names: &consumers.names,
            generic: Some(&generic.exports),
            plan: Some(&self.plan),
            unbound,
        }
    }
}

/// Warns (in `early`) of the `--keep` names the provider does not export.
fn warn_keep_not_exported(plan: &plan::Plan<'_>, provider_name: &str, early: &mut Vec<u8>) {
    for name in &plan.keep_not_exported {
        let _ = writeln!(
            early,
            "tailor: warning: --keep {}: not exported by {}",
            String::from_utf8_lossy(name),
            provider_name
        );
    }
}

/// The files the tailored link reads beyond the command's own, staged until the image is
/// verified.
struct Staged {
    stage: Staging,
    /// The staged image (the linker writes it).
    image: PathBuf,
    /// The version script.
    script: PathBuf,
    /// The objects of the archives embedded.
    embedded: Vec<PathBuf>,
    /// The command's dynamic list narrowed to the plan.
    dynamic_list: Option<PathBuf>,
}

impl Staged {
    /// Stages the embedded objects, the version script and the narrowed dynamic list.
    fn write(
        opts: &LinkOptions,
        request: &Request,
        decided: &Decided<'_>,
        consumer_names: &[String],
        t: &mut Timings,
    ) -> Result<Self> {
        let stage = Staging::new(&request.tailored)?;
        let image = stage.image();
        let (cmd, plan) = (&request.cmd, &decided.plan);
        let embedded = embed_objects(opts, cmd, &image, &decided.script, plan, consumer_names)?;
        t.phase("embedded objects");
        let script = stage.beside(".map");
        output::write_if_changed(&script, decided.script.as_bytes())?;
        let dynamic_list = narrowed_dynamic_list(cmd, plan, &image)?;
        t.phase("planned, version script written");
        Ok(Staged {
            stage,
            image,
            script,
            embedded,
            dynamic_list,
        })
    }
}

/// The tailored link: on the staged files, and as it will stand once they are in place (the
/// stamp's and the report's command).
struct TailoredLink<'s> {
    /// The command (under the profile).
    cmd: &'s LinkCommand,
    staged: &'s Staged,
    /// The final output.
    output: &'s Path,
    /// `--linker`.
    asked: Option<Linker>,
    /// The linker it runs.
    linker: Linker,
    /// Options added to the command.
    extra: Vec<String>,
    final_argv: Vec<String>,
    /// [`fingerprint`] of the final command, the stamp's first line.
    fingerprint: String,
}

impl<'s> TailoredLink<'s> {
    fn new(
        opts: &LinkOptions,
        request: &'s Request,
        profiled: &'s Profiled<'_>,
        staged: &'s Staged,
        decided: &Decided<'_>,
        consumers: &Consumers<'_>,
    ) -> Self {
        let linker = build::effective_linker(&request.cmd, opts.linker);
        let mut extra = vec!["--print-gc-sections".to_string()];
        if opts.size {
            extra.extend(build::size_options(linker));
        }
        let stage = &staged.stage;
        let final_paths: Vec<PathBuf> = staged
            .embedded
            .iter()
            .map(|p| stage.final_path(p))
            .collect();
        let cmd = &profiled.cmd;
        let final_argv = cmd.with_extra_inputs(&final_paths).tailored(
            &request.tailored,
            &stage.final_path(&staged.script),
            staged
                .dynamic_list
                .as_deref()
                .map(|d| stage.final_path(d))
                .as_deref(),
            opts.linker,
            &extra,
        );
        let fingerprint = fingerprint(
            &final_argv,
            &decided.script,
            &request.stats,
            &consumers.paths(),
        );
        TailoredLink {
            cmd,
            staged,
            output: &request.tailored,
            asked: opts.linker,
            linker,
            extra,
            final_argv,
            fingerprint,
        }
    }

    /// The command on the staged files, with `objects` embedded.
    fn argv(&self, objects: &[PathBuf]) -> Vec<String> {
        self.cmd.with_extra_inputs(objects).tailored(
            &self.staged.image,
            &self.staged.script,
            self.staged.dynamic_list.as_deref(),
            self.asked,
            &self.extra,
        )
    }

    /// Whether the last run linked this same command and its outputs are still there (a report
    /// asked for at a new place is written, so the link runs again).
    fn unchanged(&self, request: &Request) -> bool {
        request.outputs.exist()
            && request
                .previous
                .as_ref()
                .is_some_and(|p| p.tailored == self.fingerprint)
    }

    /// Starts the link in its own thread, with every embedded object.
    fn start(&self) -> Job<Result<LinkRun>> {
        let argv = self.argv(&self.staged.embedded);
        Job::spawn(move |log| build::run_link(&argv, "the tailored link", log))
    }
}

/// The generic image, linked, and whether the guess the plan started from holds.
enum Checked<'s> {
    /// Planned from the image, or from a guess it confirms: then its exports, read from it
    /// (boxed: they are a hundred times the size of the other variant).
    Holds(Generic, Option<Box<ProviderData<'s>>>),
    /// The guess was wrong: plan again from this image (with the generic link's messages).
    Wrong(Generic, Vec<u8>),
}

impl GenericState {
    /// The generic image planned from; or, still linking, waited for (`early` printed should
    /// it fail; its messages joining `early` if the guess holds) and `planned_from` checked
    /// against its exports, mapped into `image`.
    fn check<'s>(
        self,
        planned_from: &ProviderData<'_>,
        image: &'s mut Option<LoadedProvider>,
        early: &mut Vec<u8>,
        log: &mut dyn Write,
        t: &mut Timings,
    ) -> Result<Checked<'s>> {
        let job = match self {
            GenericState::Linked(generic) => return Ok(Checked::Holds(generic, None)),
            GenericState::Linking(job) => job,
        };
        let (generic, messages) = job.wait();
        let generic = match generic {
            Ok(g) => g,
            Err(e) => {
                let _ = log.write_all(early);
                let _ = log.write_all(&messages);
                return Err(e);
            }
        };
        let exports = image_exports(image, &generic)?;
        if !planned_from.exports.same_as(&exports.exports) {
            return Ok(Checked::Wrong(generic, messages));
        }
        early.extend_from_slice(&messages);
        t.phase("generic image, exports as predicted");
        Ok(Checked::Holds(generic, Some(Box::new(exports))))
    }
}

/// A wrong guess: the tailored link started from it waited for, then planned again from
/// `generic`. Only the generic link's `messages` go with it: what else the attempt held back
/// (notes on the link's consumers, `--keep` warnings) the next attempt says again, once.
fn replan(
    tailored_job: Option<Job<Result<LinkRun>>>,
    generic: Generic,
    messages: Vec<u8>,
    log: &mut dyn Write,
) -> Attempt {
    drop(tailored_job);
    let _ = writeln!(
        log,
        "tailor: note: the generic image's exports differ from the link's model: planning \
         again from the image"
    );
    Attempt::Retry(generic, messages)
}

/// The tailored link waited for (its messages printed), `meanwhile` run as it links.
fn while_linking<M: Send>(
    job: Job<Result<LinkRun>>,
    meanwhile: impl FnOnce() -> M + Send,
    log: &mut dyn Write,
) -> (Result<LinkRun>, M) {
    std::thread::scope(|s| {
        let meanwhile = s.spawn(meanwhile);
        let (link, link_log) = job.wait();
        let _ = log.write_all(&link_log);
        (
            link,
            meanwhile
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })
}

/// The tailored image as linked, and what it is compared with.
struct Built {
    /// The link that made the image.
    run: LinkRun,
    /// The tailored links run.
    tools: Vec<LinkRun>,
    /// The generic links run (planning from, comparing with).
    generic_links: Vec<LinkRun>,
    /// The generic image compared with.
    generic_stats: ImageStats,
    /// The symbols the generic image planned from exports.
    generic_exports: usize,
    /// Not smaller than the generic image: a copy of that is installed.
    kept_generic: bool,
}

impl Built {
    /// The tailored image never larger than the generic one: linked again without the embedded
    /// plan when that is what makes it larger, else kept generic.
    fn no_larger(
        run: LinkRun,
        link: &TailoredLink<'_>,
        generic: &Generic,
        reference: &Generic,
        provider: &ProviderData<'_>,
        log: &mut dyn Write,
    ) -> Result<Built> {
        let generic_stats = image::stats(&reference.path)?;
        let mut built = Built {
            tools: vec![run.clone()],
            run,
            generic_links: generic.run.iter().chain(&reference.run).cloned().collect(),
            generic_stats,
            generic_exports: provider.exports.symbol_count(),
            kept_generic: false,
        };
        let image = &link.staged.image;
        if image::stats(image)?.file_size <= built.generic_stats.file_size {
            return Ok(built);
        }
        let embedded = &link.staged.embedded;
        let without_plan: Vec<PathBuf> = embedded
            .iter()
            .filter(|p| !p.ends_with("tailor_plan.o"))
            .cloned()
            .collect();
        if without_plan.len() < embedded.len() {
            built.run = build::run_link(
                &link.argv(&without_plan),
                "the tailored link (without the embedded plan)",
                log,
            )?;
            built.tools.push(built.run.clone());
            let _ = writeln!(
                log,
                "tailor: the embedded plan would make {} larger than the generic image: left out",
                link.output.display()
            );
        }
        built.kept_generic = image::stats(image)?.file_size > built.generic_stats.file_size;
        Ok(built)
    }
}

/// Verification of the staged image before it is put in place (its warnings printed): the
/// report and the number of symbols the image exports.
fn verify_staged(
    image: &Path,
    checks: &VerifyInputs<'_, '_>,
    log: &mut dyn Write,
) -> Result<(VerifyReport, usize)> {
    let map = inputs::Mapped::open(image)?;
    let facts = crate::analysis::elf::read_facts(image, map.bytes())?;
    let exports = Exports::from_provider(image, &facts);
    let verification = verify::verify(checks, &exports);
    let _ = write!(log, "{}", verification.render_warnings());
    Ok((verification, exports.symbol_count()))
}

/// A failed verification's problems printed, with the features to enable where the profile
/// removed what a consumer needs: nothing is installed.
fn refuse(
    mut verification: VerifyReport,
    profiled: &Profiled<'_>,
    tailored: &Path,
    log: &mut dyn Write,
) -> Result<Status> {
    explain_with_profile(&mut verification, &profiled.removed, profiled.profile)?;
    let _ = write!(log, "{}", verification.render_problems());
    let _ = writeln!(
        log,
        "tailor: verification failed: {} problems; {} not written",
        verification.problems.len(),
        tailored.display()
    );
    Ok(Status::ChecksFailed)
}

/// The image installed: its stats and how many symbols it exports.
struct Installed {
    stats: ImageStats,
    exports: usize,
}

/// Puts the verified image in place with the files staged beside it (a copy of the generic
/// image when the tailored one is not smaller: then the generic image's exports).
fn install(
    link: &TailoredLink<'_>,
    built: &Built,
    reference: &Generic,
    tailored_exports: usize,
    log: &mut dyn Write,
) -> Result<Installed> {
    let image = &link.staged.image;
    if built.kept_generic {
        let _ = writeln!(
            log,
            "tailor: the tailored image ({} B) is not smaller than the generic one ({} B): the \
             consumers need (nearly) everything; {} is a copy of the generic image",
            image::stats(image)?.file_size,
            built.generic_stats.file_size,
            link.output.display()
        );
        std::fs::copy(&reference.path, image)
            .map_err(|e| Error::io("copying the generic image to", image, e))?;
    }
    let stats = image::stats(image)?;
    link.staged.stage.commit()?;
    Ok(Installed {
        stats,
        exports: if built.kept_generic {
            built.generic_exports
        } else {
            tailored_exports
        },
    })
}

/// `--size`: the installed image and the generic one stripped, at once; with the two runs.
fn strip_both(
    tailored: &Path,
    reference: &Generic,
    work: &Path,
) -> Result<(Stripped, [LinkRun; 2])> {
    let path = with_suffix(tailored, ".stripped");
    let generic_stripped = work.join("generic.stripped");
    let (tailored_strip, generic_strip) = std::thread::scope(|s| {
        let generic = s.spawn(|| build::strip_copy(&reference.path, &generic_stripped));
        let tailored = build::strip_copy(tailored, &path);
        (
            tailored,
            generic
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    });
    let runs = [tailored_strip?, generic_strip?];
    let stripped = Stripped {
        path: path.display().to_string(),
        stats: image::stats(&path)?,
        generic: image::stats(&generic_stripped)?,
    };
    Ok((stripped, runs))
}

/// `--depfile`: the image depends on the command's inputs and response files, the consumers
/// and the files naming them, and the keep lists.
fn write_depfile(
    path: &Path,
    opts: &LinkOptions,
    request: &Request,
    consumers: &Consumers<'_>,
    set: &inputs::InputSet,
) -> Result<()> {
    let cmd = &request.cmd;
    let mut deps: Vec<PathBuf> = cmd
        .inputs
        .iter()
        .chain(&cmd.response_files)
        .cloned()
        .collect();
    deps.extend(consumers.read_files(set));
    deps.extend(opts.keep.iter().cloned());
    output::write_if_changed(path, output::depfile(&request.tailored, &deps).as_bytes())?;
    Ok(())
}

/// What the build and the verification found, for the report.
struct Outcome {
    built: Built,
    installed: Installed,
    /// `--size`'s stripped copies, with the two strip runs.
    stripped: Option<(Stripped, [LinkRun; 2])>,
    verification: VerifyReport,
    map: Option<SectionMap>,
}

/// The report of a tailored link.
fn report(
    request: &Request,
    link: TailoredLink<'_>,
    decided: &Decided<'_>,
    profiled: &Profiled<'_>,
    outcome: Outcome,
    started: Instant,
) -> LinkReport {
    let Outcome {
        built,
        installed,
        stripped,
        verification,
        map,
    } = outcome;
    let (stripped, strip_runs) = stripped.unzip();
    let generic_links = built
        .generic_links
        .iter()
        .map(|r| r.elapsed)
        .sum::<Duration>();
    let tools = built.tools.iter().chain(strip_runs.iter().flatten());
    let busy = build::busy_time(tools.chain(&built.generic_links));
    LinkReport {
        output: request.tailored.display().to_string(),
        generic: request.provider_name.clone(),
        linker: link.linker.fuse_name(),
        generic_linker: build::effective_linker(&request.cmd, None).fuse_name(),
        tailored_command: link.final_argv,
        generic_stats: built.generic_stats,
        tailored_stats: installed.stats,
        stripped,
        exports_generic: built.generic_exports,
        exports_tailored: installed.exports,
        kept_generic: built.kept_generic,
        by_name: decided
            .plan
            .entries
            .iter()
            .filter(|e| matches!(e.reason, Reason::ByName(_)))
            .map(|e| String::from_utf8_lossy(e.name).into_owned())
            .collect(),
        sections_removed: built.run.removed_sections,
        profile_removed: profiled.removed.clone(),
        generic_link_ms: (generic_links > Duration::ZERO)
            .then_some(generic_links.as_secs_f64() * 1e3),
        link_ms: built.run.elapsed.as_secs_f64() * 1e3,
        tailor_ms: started.elapsed().saturating_sub(busy).as_secs_f64() * 1e3,
        verification,
        map,
    }
}

/// `--report FILE`: the report as JSON, or as an HTML page.
fn write_report(path: &Path, asked: Option<ReportKind>, report: &LinkReport) -> Result<()> {
    let json = to_json(report);
    let bytes = match ReportKind::of(path, asked) {
        ReportKind::Json => json,
        ReportKind::Html => {
            output::html::page("tailor link", "link", &String::from_utf8_lossy(&json)).into_bytes()
        }
    };
    output::write_if_changed(path, &bytes)?;
    Ok(())
}

/// The report's section map of the tailored link: tailor's model of the link with the plan's
/// version script, each export with the plan's reason and every consumer that needs it.
fn section_map(
    prediction: &Prediction<'_>,
    decided: &Decided<'_>,
    consumer_names: &[String],
) -> SectionMap {
    let (plan, needs) = (&decided.plan, &decided.needs);
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
