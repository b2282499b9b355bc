//! `tailor version-script`: the version script that exports only what the consumers need.

use std::io::Write;
use std::path::PathBuf;

use super::planning::Planning;
use super::provider::{LoadedProvider, ProviderArg, ProviderData};
use super::{collect_inputs, emit, read_consumers, Consumers, Status, Timings};
use crate::analysis::elf::ReadOptions;
use crate::analysis::needs::HitSource;
use crate::analysis::predict::LinkRead;
use crate::decide::plan;
use crate::decide::version_script::GroupBy;
use crate::error::{Error, Result};
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::version_rules::VersionRules;
use crate::inputs::{self, InputSet, InputSpec};
use crate::output::{self, WriteOutcome};

/// Options of `tailor version-script`.
#[derive(Debug, Clone)]
pub struct VersionScriptOptions {
    pub inputs: InputSpec,
    pub provider: ProviderArg,
    pub keep: Vec<PathBuf>,
    pub by_name: bool,
    pub group_by: GroupBy,
    pub output: Option<PathBuf>,
    pub depfile: Option<PathBuf>,
    /// The provider's link command (after `--`): its by-name lookups are then found in the
    /// link's live sections, as `tailor link` does.
    pub link_command: Option<Vec<String>>,
    /// `--linker` for that link.
    pub linker: Option<Linker>,
    /// With the link command: run its by-name fixed point here. Off for `tailor gc`, whose
    /// own fixed point then finds (and reports) the same names.
    pub link_by_name: bool,
}

/// What the plan is made from, read as `opts` names it: consumers (and those embedded in
/// `link`'s objects), provider and keep lists; `f` plans with them.
///
/// `read`: the link, already read — its mapped objects are searched for embedded consumers
/// instead of reading the command's inputs again.
fn with_planning<R>(
    opts: &VersionScriptOptions,
    link: Option<&LinkCommand>,
    read: Option<&LinkRead>,
    log: &mut dyn Write,
    t: &mut Timings,
    f: impl FnOnce(&Planning<'_, '_>, &[PathBuf], &mut dyn Write, &mut Timings) -> Result<R>,
) -> Result<R> {
    let set = consumer_set(opts, link, read, log)?;
    t.phase("inputs collected");
    let loaded = LoadedProvider::load(&opts.provider)?;
    let provider = loaded.view()?;
    t.phase("provider read");
    with_provider(opts, set, &loaded, provider, link, log, t, f)
}

/// The consumers named, and those the link (or its embedded plan) holds.
fn consumer_set(
    opts: &VersionScriptOptions,
    link: Option<&LinkCommand>,
    read: Option<&LinkRead>,
    log: &mut dyn Write,
) -> Result<InputSet> {
    let mut set = collect_inputs(&opts.inputs)?;
    match (read, link) {
        (Some(read), _) => super::add_link_consumers(&mut set, read, log),
        (None, Some(cmd)) => super::add_embedded_consumers(&mut set, cmd, log),
        (None, None) => {}
    }
    Ok(set)
}

/// [`with_planning`] once the consumers are named and the provider is read (`tailor gc
/// --provider` reads it while it reads the link).
#[allow(clippy::too_many_arguments)]
fn with_provider<R>(
    opts: &VersionScriptOptions,
    set: InputSet,
    loaded: &LoadedProvider,
    provider: Option<ProviderData<'_>>,
    link: Option<&LinkCommand>,
    log: &mut dyn Write,
    t: &mut Timings,
    f: impl FnOnce(&Planning<'_, '_>, &[PathBuf], &mut dyn Write, &mut Timings) -> Result<R>,
) -> Result<R> {
    let Some(provider) = provider else {
        return Err(Error::Usage("no provider".into()));
    };
    let scan = opts.by_name.then_some(&provider.exports);
    let read = read_consumers(&set, ReadOptions::IMPORTS, scan)?;
    let consumers = Consumers::new(&read);
    t.phase("consumers read");
    let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
    let keep = plan::parse_keep(&keep_texts)?;
    super::warn_unlinked_consumers(&consumers, &provider, log)?;
    let own_local_patterns = match link {
        Some(cmd) => super::planning::own_local_patterns(cmd)?,
        None => Vec::new(),
    };
    let planning = Planning {
        consumers: &consumers,
        provider: &provider,
        keep: &keep,
        embed_symbols: &[],
        provider_name: &provider.name,
        by_name: opts.by_name,
        own_local_patterns: &own_local_patterns,
    };
    // The files the plan was read from (a depfile's prerequisites).
    let mut read_files = consumers.read_files(&set);
    read_files.extend(loaded.read_files());
    f(&planning, &read_files, log, t)
}

/// The rules of the plan `opts` describes, before the provider's by-name lookups, as
/// `linker` reads them (`tailor gc --provider`: its own fixed point finds those).
/// `loaded` and `provider` are `opts.provider`, read ([`LoadedProvider::load`], `view`);
/// `link` is the provider's link command, parsed, and `read` its link.
pub fn plan_rules(
    opts: &VersionScriptOptions,
    loaded: &LoadedProvider,
    provider: Option<ProviderData<'_>>,
    link: &LinkCommand,
    read: &LinkRead,
    log: &mut dyn Write,
) -> Result<VersionRules> {
    let mut t = Timings::start();
    let set = consumer_set(opts, Some(link), Some(read), log)?;
    with_provider(
        opts,
        set,
        loaded,
        provider,
        Some(link),
        log,
        &mut t,
        |planning, _, _, _| Ok(planning.base_rules(read.linker)),
    )
}

fn link_command(opts: &VersionScriptOptions) -> Result<Option<LinkCommand>> {
    opts.link_command
        .as_ref()
        .map(|c| LinkCommand::parse(c))
        .transpose()
}

/// Runs `tailor version-script`; a one-line summary goes to `log` (stderr).
pub fn run(
    opts: &VersionScriptOptions,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Status> {
    if matches!(opts.provider, ProviderArg::None) {
        return Err(Error::Usage(
            "tailor version-script needs --provider ELF or --exports FILE".into(),
        ));
    }
    if opts.depfile.is_some() && opts.output.is_none() {
        return Err(Error::Usage(
            "--depfile needs -o FILE (the depfile's target)".into(),
        ));
    }
    let mut t = Timings::start();
    let link = link_command(opts)?;
    // With the provider's link command, its by-name lookups come from the live sections of
    // the link, exactly as `tailor link` finds them; without it, from every string of the
    // image's read-only data (a superset: error messages that end in a function's name).
    let link_read = match &link {
        Some(cmd) if opts.link_by_name && opts.by_name => {
            Some(super::gc::read_link(cmd, opts.linker, &mut t)?)
        }
        _ => None,
    };
    let summary = with_planning(
        opts,
        link.as_ref(),
        link_read.as_ref(),
        log,
        &mut t,
        |planning, read_files, log, t| {
            let roots = match &link_read {
                Some(read) => {
                    super::planning::sorted_by_name_roots(&planning.predict_link(read, t)?)
                }
                None => Vec::new(),
            };
            let hits = planning.hits(&roots);
            let (needs, plan, script) =
                planning.plan(link.as_ref().map(|_| hits.as_slice()), opts.group_by);
            let written = Written {
                needs: &needs,
                plan: &plan,
                script: &script,
                with_link: link.is_some(),
            };
            write_script(opts, planning, read_files, &written, out, log, t)
        },
    )?;
    let _ = writeln!(log, "{summary}");
    Ok(Status::Ok)
}

/// The plan and its script, to be written.
struct Written<'w, 'a> {
    needs: &'w crate::analysis::needs::Needs<'a>,
    plan: &'w plan::Plan<'a>,
    script: &'w str,
    /// The provider's link command was given.
    with_link: bool,
}

/// Writes the script (and its depfile), warns about the keep lists, and gives the summary.
fn write_script(
    opts: &VersionScriptOptions,
    planning: &Planning<'_, '_>,
    read_files: &[PathBuf],
    w: &Written<'_, '_>,
    out: &mut dyn Write,
    log: &mut dyn Write,
    t: &mut Timings,
) -> Result<String> {
    let (provider, consumers) = (planning.provider, planning.consumers);
    let (needs, plan, script) = (w.needs, w.plan, w.script);
    t.phase("planned and rendered");
    for name in &plan.keep_not_exported {
        let _ = writeln!(
            log,
            "tailor: warning: --keep {}: not exported by {}",
            String::from_utf8_lossy(name),
            provider.name
        );
    }
    let mut by_name: Vec<(&[u8], bool)> = plan
        .entries
        .iter()
        .filter_map(|e| match e.reason {
            plan::Reason::ByName(i) => Some((
                e.name,
                needs.by_name.get(i as usize).map(|b| b.source) == Some(HitSource::Provider),
            )),
            _ => None,
        })
        .collect();
    by_name.dedup_by(|a, b| a.0 == b.0);
    let from_image = by_name.iter().filter(|b| b.1).count();
    let mut summary = format!(
        "tailor: {} of {} exported names kept ({} by name) for {} consumers",
        plan.name_count(),
        provider.exports.name_count(),
        by_name.len(),
        consumers.facts.len()
    );
    if !w.with_link && from_image > 0 {
        summary.push_str(&format!(
            "; {from_image} of them only because strings in {}'s read-only data equal them \
             (give its link command after `--` for the exact set)",
            provider.name
        ));
    }
    if !w.with_link && plan.keeps_base_exports {
        let _ = writeln!(
            log,
            "tailor: warning: {} keeps unversioned exports beside versioned ones, so the script \
             hides the other exports by name; names its own script hides (its `local:` \
             patterns) are not known without its link command after `--`",
            provider.name
        );
    }
    match &opts.output {
        Some(path) => {
            let outcome = output::write_if_changed(path, script.as_bytes())?;
            if outcome == WriteOutcome::Unchanged {
                summary.push_str(&format!("; {} unchanged", path.display()));
            }
            if let Some(dep) = &opts.depfile {
                let mut deps = read_files.to_vec();
                deps.extend(opts.keep.iter().cloned());
                output::write_if_changed(dep, output::depfile(path, &deps).as_bytes())?;
            }
        }
        None => emit(out, script.as_bytes())?,
    }
    t.phase("written");
    Ok(summary)
}
