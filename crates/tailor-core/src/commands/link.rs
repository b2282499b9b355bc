//! `tailor link INPUTS [options] -- LINK COMMAND...`: re-links a provider with the user's own
//! link command so that it exports only what the consumers need, lets `--gc-sections` drop the
//! rest, verifies the result against every consumer, and reports the sizes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::provider::{LoadedProvider, ProviderArg, ProviderData};
use super::{collect_inputs, emit, read_consumers, to_json, Consumers, Status};
use crate::analysis::byname::ByNameHit;
use crate::analysis::elf::ReadOptions;
use crate::analysis::exports::Exports;
use crate::analysis::needs::{self, Needs, ProviderView};
use crate::build::{self, LinkRun};
use crate::decide::dynamic_list;
use crate::decide::plan::{self, Plan, PlanOptions, Reason};
use crate::decide::version_script::{self, GroupBy, RenderContext};
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
    pub linker: &'static str,
    pub generic_stats: ImageStats,
    pub tailored_stats: ImageStats,
    /// With `--size`: the stripped copy.
    pub stripped: Option<(String, ImageStats)>,
    pub exports_generic: usize,
    pub exports_tailored: usize,
    /// Exports kept because a string names them.
    pub by_name: Vec<String>,
    pub sections_removed: usize,
    /// Objects the profile removed from the link: (feature, object).
    pub profile_removed: Vec<(String, String)>,
    /// The generic link, when it had to be run.
    pub generic_link_ms: Option<f64>,
    pub link_ms: f64,
    /// tailor's own time: everything but the links.
    pub tailor_ms: f64,
    pub verification: VerifyReport,
}

/// `OUT` + `suffix` (`libc.so` → `libc.so.tailored`).
/// What the plan is made from; planned twice: without the provider's by-name lookups (the
/// exports `tailor gc`'s fixed point starts from), then with them.
struct Planning<'p, 'a> {
    consumers: &'p Consumers<'a>,
    provider: &'p ProviderData<'a>,
    keep: &'p [&'a [u8]],
    embed_symbols: &'a [String],
    provider_name: &'p str,
    by_name: bool,
}

impl<'p, 'a> Planning<'p, 'a> {
    /// Needs, plan and version script, with `hits` as the provider's by-name lookups.
    fn plan(&self, hits: &'p [ByNameHit<'a>], group_by: GroupBy) -> (Needs<'a>, Plan<'a>, String) {
        let view = ProviderView {
            exports: &self.provider.exports,
            facts: self.provider.facts.as_ref(),
            object_hits: Some(hits),
        };
        let needs = needs::compute(&self.consumers.facts, Some(view), self.by_name);
        let mut plan = plan::plan(
            &needs,
            &self.provider.exports,
            self.keep,
            PlanOptions {
                by_name: self.by_name,
            },
        );
        plan.add_kept(self.embed_symbols.iter().map(|s| s.as_bytes()));
        let script = version_script::render(
            &plan,
            &RenderContext {
                needs: &needs,
                consumer_names: &self.consumers.names,
                provider_name: self.provider_name,
                group_by,
            },
        );
        (needs, plan, script)
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Size and modification time of each link input (response files too), read once, in
/// parallel: the freshness check and the fingerprint both use them (1,300 objects for musl).
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

/// The generic image: the command's existing output when it is newer than every input file,
/// else the output of the original command run into `work`. As make decides: against the
/// inputs (response files are in the fingerprint instead).
fn generic_image(
    cmd: &LinkCommand,
    stats: &InputStats,
    work: &Path,
    log: &mut dyn Write,
) -> Result<(PathBuf, Option<LinkRun>)> {
    let fresh = mtime(&cmd.output).is_some_and(|out| {
        stats.0[..cmd.inputs.len()]
            .iter()
            .all(|(_, m)| m.is_some_and(|(_, t)| t <= out))
    });
    if fresh {
        return Ok((cmd.output.clone(), None));
    }
    let name = cmd.output.file_name().unwrap_or_else(|| "generic".as_ref());
    let path = work.join(name);
    let run = build::run_link(&cmd.with_output(&path), "the original link command", log)?;
    Ok((path, Some(run)))
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
        patterns.extend(dynamic_list::parse(l, &inputs::read_text(l)?)?);
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
                        Reason::Consumer(c) => format!("imported by {}", consumer_names.get(c as usize).map_or("?", |s| s.as_str())),
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

/// Runs `tailor link`.
pub fn run(opts: &LinkOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    let started = Instant::now();
    let mut t = super::Timings::start();
    let cmd = LinkCommand::from_user(&opts.command)?;
    let tailored_path = opts
        .output
        .clone()
        .unwrap_or_else(|| with_suffix(&cmd.output, ".tailored"));
    let work = tempfile::tempdir().map_err(|e| {
        Error::io(
            "creating a temporary directory in",
            &std::env::temp_dir(),
            e,
        )
    })?;
    // The consumers are named and checked before anything is linked.
    let set = collect_inputs(&opts.inputs)?;
    let stats = InputStats::read(&cmd)?;
    let (generic_path, generic_run) = generic_image(&cmd, &stats, work.path(), log)?;
    t.phase("inputs checked, generic image");

    // Analysis and plan, over the generic image.
    let loaded = LoadedProvider::load(&ProviderArg::Elf(generic_path.clone()))?;
    let Some(provider) = loaded.view()? else {
        return Err(Error::Usage("no provider".into()));
    };
    let read = read_consumers(
        &set,
        ReadOptions::IMPORTS,
        opts.by_name.then_some(&provider.exports),
    )?;
    let consumers = Consumers::new(&read);
    t.phase("provider and consumers read");
    let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
    let keep = plan::parse_keep(&keep_texts)?;
    // The plan for what the consumers need, first without the provider's own by-name
    // lookups; then the exports that strings in the live read-only data of the link name
    // (musl's dynamic linker finding `__dls3`), to a fixed point (`tailor gc`'s).
    // Archives the image carries (--embed): their symbols are exported, so GC keeps them.
    let embed_symbols: Vec<String> = opts
        .embed
        .iter()
        .flat_map(|(name, _)| crate::build::embed::symbol_names(name))
        .collect();
    let provider_name = cmd.output.display().to_string();
    let planning = Planning {
        consumers: &consumers,
        provider: &provider,
        keep: &keep,
        embed_symbols: &embed_symbols,
        provider_name: &provider_name,
        by_name: opts.by_name,
    };
    let (_, _, base_script) = planning.plan(&[], GroupBy::None);
    let roots = if opts.by_name {
        super::gc::by_name_roots(&cmd.argv(), opts.linker, &base_script)?
    } else {
        Vec::new()
    };
    let hits: Vec<ByNameHit<'_>> = roots
        .iter()
        .filter_map(|r| {
            Some(ByNameHit {
                name: provider.exports.canonical(&r.name)?,
                section: r.place.as_bytes(),
                offset: r.offset,
                suffix: false,
            })
        })
        .collect();
    t.phase("by-name fixed point over the link's live sections");
    let (needs, plan, script) = planning.plan(&hits, GroupBy::Consumer);
    let embedded = embed_objects(opts, &cmd, &tailored_path, &script, &plan, &consumers.names)?;
    let script_path = with_suffix(&tailored_path, ".map");
    output::write_if_changed(&script_path, script.as_bytes())?;
    let dynamic_list = narrowed_dynamic_list(&cmd, &plan, &tailored_path)?;
    t.phase("planned, version script written");

    // The tailored link, unless nothing changed since the last one.
    let linker = build::effective_linker(&cmd, opts.linker);
    let mut extra = vec!["--print-gc-sections".to_string()];
    if opts.size {
        extra.extend(build::size_options(linker));
    }
    // A profile removes the objects of its disabled features from the tailored link.
    let (removed, tailored_cmd) = match &opts.profile {
        Some(p) => {
            let removed = profile_removals(&cmd, p)?;
            let paths: Vec<PathBuf> = removed.iter().map(|r| PathBuf::from(&r.1)).collect();
            (removed, cmd.without_inputs(&paths))
        }
        None => (Vec::new(), cmd.clone()),
    };
    let tailored_cmd = tailored_cmd.with_extra_inputs(&embedded);
    let final_argv = tailored_cmd.tailored(
        &tailored_path,
        &script_path,
        dynamic_list.as_deref(),
        opts.linker,
        &extra,
    );
    let consumer_paths: Vec<PathBuf> = read.files.iter().map(|f| f.path.clone()).collect();
    let stamp_path = with_suffix(&tailored_path, ".tailor-stamp");
    let stamp = fingerprint(&final_argv, &script, &stats, &consumer_paths);
    if tailored_path.exists()
        && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str())
    {
        let _ = writeln!(
            log,
            "tailor: {} is up to date (nothing changed since it was linked; {:.1} ms)",
            tailored_path.display(),
            started.elapsed().as_secs_f64() * 1e3
        );
        return Ok(Status::Ok);
    }
    let dir = match tailored_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".tailor-")
        .tempfile_in(&dir)
        .map_err(|e| Error::io("creating a temporary file in", &dir, e))?
        .into_temp_path();
    let argv = tailored_cmd.tailored(
        &tmp,
        &script_path,
        dynamic_list.as_deref(),
        opts.linker,
        &extra,
    );
    let link = build::run_link(&argv, "the tailored link", log)?;
    t.phase("tailored link");

    // Verification, before the image is put in place.
    let tailored_map = inputs::Mapped::open(&tmp)?;
    let tailored_facts = crate::analysis::elf::read_facts(&tmp, tailored_map.bytes())?;
    let tailored_exports = Exports::from_provider(&tmp, &tailored_facts);
    let verification = verify::verify(
        &VerifyInputs {
            needs: &needs,
            consumer_names: &consumers.names,
            generic: Some(&provider.exports),
            plan: Some(&plan),
        },
        &tailored_exports,
    );
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
        return Ok(Status::ChecksFailed);
    }
    t.phase("verified");
    let tailored_stats = image::stats(&tmp)?;
    tmp.persist(&tailored_path)
        .map_err(|e| Error::io("renaming into place", &tailored_path, e.error))?;
    let stripped = if opts.size {
        let path = with_suffix(&tailored_path, ".stripped");
        build::strip_copy(&tailored_path, &path)?;
        Some((path.display().to_string(), image::stats(&path)?))
    } else {
        None
    };
    output::write_if_changed(&stamp_path, stamp.as_bytes())?;
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

    let links = link.elapsed + generic_run.as_ref().map_or(Duration::ZERO, |r| r.elapsed);
    let report = LinkReport {
        output: tailored_path.display().to_string(),
        generic: cmd.output.display().to_string(),
        linker: linker.fuse_name(),
        generic_stats: image::stats(&generic_path)?,
        tailored_stats,
        stripped,
        exports_generic: provider.exports.list.len(),
        exports_tailored: tailored_exports.list.len(),
        by_name: plan
            .entries
            .iter()
            .filter(|e| matches!(e.reason, Reason::ByName(_)))
            .map(|e| String::from_utf8_lossy(e.name).into_owned())
            .collect(),
        sections_removed: link.removed_sections,
        profile_removed: removed.clone(),
        generic_link_ms: generic_run.map(|r| r.elapsed.as_secs_f64() * 1e3),
        link_ms: link.elapsed.as_secs_f64() * 1e3,
        tailor_ms: started.elapsed().saturating_sub(links).as_secs_f64() * 1e3,
        verification,
    };
    if let Some(path) = &opts.report {
        output::write_if_changed(path, &to_json(&report))?;
    }
    emit(out, render_table(&report).as_bytes())?;
    t.phase("reported");
    Ok(Status::Ok)
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
    if let Some((path, st)) = &r.stripped {
        s.push_str(&format!(
            "{:<20} {:>12} {:>12} {:>8}   ({path})\n",
            "stripped file size",
            "",
            st.file_size,
            pct(st.file_size, r.generic_stats.file_size)
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
