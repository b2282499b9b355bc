//! `tailor version-script`: the version script that exports only what the consumers need.

use std::io::Write;
use std::path::PathBuf;

use super::provider::{LoadedProvider, ProviderArg};
use super::{collect_inputs, emit, read_consumers, Consumers, Status, Timings};
use crate::analysis::elf::ReadOptions;
use crate::analysis::needs::{self, ProviderView};
use crate::decide::plan::{self, PlanOptions};
use crate::decide::version_script::{self, GroupBy, RenderContext};
use crate::error::{Error, Result};
use crate::inputs::{self, InputSpec};
use crate::output::{self, WriteOutcome};

/// Options of `tailor version-script`.
#[derive(Debug, Clone)]
pub struct VersionScriptOptions {
    pub inputs: InputSpec,
    pub provider: ProviderArg,
    pub keep: Vec<PathBuf>,
    pub by_name: bool,
    /// With `by_name`, also scan the provider image's read-only data for names looked up
    /// (off for `tailor gc`'s plan: as for `tailor link`, its fixed point over the link's
    /// live sections finds the provider's own lookups instead).
    pub scan_provider: bool,
    pub group_by: GroupBy,
    pub output: Option<PathBuf>,
    pub depfile: Option<PathBuf>,
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
    let set = collect_inputs(&opts.inputs)?;
    t.phase("inputs collected");
    let loaded = LoadedProvider::load(&opts.provider)?;
    let Some(provider) = loaded.view()? else {
        return Err(Error::Usage("no provider".into()));
    };
    t.phase("provider read");
    let scan = opts.by_name.then_some(&provider.exports);
    let read = read_consumers(&set, ReadOptions::IMPORTS, scan)?;
    let consumers = Consumers::new(&read);
    t.phase("consumers read");
    let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
    let keep = plan::parse_keep(&keep_texts)?;
    let view = ProviderView {
        exports: &provider.exports,
        facts: provider.facts.as_ref(),
        object_hits: (!opts.scan_provider).then_some(&[]),
    };
    let needs = needs::compute(&consumers.facts, Some(view), opts.by_name);
    t.phase("needs merged");
    let plan = plan::plan(
        &needs,
        &provider.exports,
        &keep,
        PlanOptions {
            by_name: opts.by_name,
        },
    );
    let script = version_script::render(
        &plan,
        &RenderContext {
            needs: &needs,
            consumer_names: &consumers.names,
            provider_name: &provider.name,
            group_by: opts.group_by,
        },
    );
    t.phase("planned and rendered");
    for name in &plan.keep_not_exported {
        let _ = writeln!(
            log,
            "tailor: warning: --keep {}: not exported by {}",
            String::from_utf8_lossy(name),
            provider.name
        );
    }
    let by_name = plan
        .entries
        .iter()
        .filter(|e| matches!(e.reason, plan::Reason::ByName(_)))
        .count();
    let mut summary = format!(
        "tailor: {} of {} exports kept ({} by name) for {} consumers",
        plan.name_count(),
        provider.exports.name_count(),
        by_name,
        consumers.facts.len()
    );
    match &opts.output {
        Some(path) => {
            let outcome = output::write_if_changed(path, script.as_bytes())?;
            if outcome == WriteOutcome::Unchanged {
                summary.push_str(&format!("; {} unchanged", path.display()));
            }
            if let Some(dep) = &opts.depfile {
                let mut deps = consumers.read_files(&set);
                deps.extend(loaded.read_files());
                deps.extend(opts.keep.iter().cloned());
                output::write_if_changed(dep, output::depfile(path, &deps).as_bytes())?;
            }
        }
        None => emit(out, script.as_bytes())?,
    }
    t.phase("written");
    let _ = writeln!(log, "{summary}");
    Ok(Status::Ok)
}
