//! `tailor verify --provider ELF INPUTS [--generic ELF]`: does a (tailored) provider satisfy
//! every consumer? With the generic image, also: nothing exported beyond the plan.

use std::io::Write;
use std::path::PathBuf;

use super::provider::{LoadedProvider, ProviderArg};
use super::{collect_inputs, emit, read_consumers, to_json, Consumers, Format, Status};
use crate::analysis::elf::ReadOptions;
use crate::analysis::needs::{self, ProviderView};
use crate::decide::plan::{self, PlanOptions};
use crate::error::{Error, Result};
use crate::inputs::{self, InputSpec};
use crate::verify::{self, VerifyInputs};

/// Options of `tailor verify`.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub inputs: InputSpec,
    pub provider: PathBuf,
    pub generic: Option<PathBuf>,
    pub keep: Vec<PathBuf>,
    pub by_name: bool,
    pub format: Format,
}

/// Runs `tailor verify`: exit 0 when it passes, 1 with the problems listed.
pub fn run(opts: &VerifyOptions, out: &mut dyn Write, log: &mut dyn Write) -> Result<Status> {
    let tailored_loaded = LoadedProvider::load(&ProviderArg::Elf(opts.provider.clone()))?;
    let tailored = tailored_loaded
        .view()?
        .ok_or_else(|| Error::Usage("no provider".into()))?;
    let generic_loaded = match &opts.generic {
        Some(g) => Some(LoadedProvider::load(&ProviderArg::Elf(g.clone()))?),
        None => None,
    };
    let generic = match &generic_loaded {
        Some(l) => l.view()?,
        None => None,
    };
    // Needs (and by-name strings) are found against the generic image when there is one.
    let reference = generic.as_ref().unwrap_or(&tailored);
    let set = collect_inputs(&opts.inputs)?;
    let read = read_consumers(
        &set,
        ReadOptions::ALL,
        opts.by_name.then_some(&reference.exports),
    )?;
    let consumers = Consumers::new(&read);
    let view = ProviderView {
        exports: &reference.exports,
        facts: reference.facts.as_ref(),
        object_hits: None,
    };
    let needs = needs::compute(&consumers.facts, Some(view), opts.by_name);
    let keep_texts = inputs::read_symbol_lists("--keep", &opts.keep)?;
    let keep = plan::parse_keep(&keep_texts)?;
    // The symbols of archives embedded in the image (`tailor link --embed`) are planned too.
    let image = crate::inputs::Mapped::open(&opts.provider)?;
    let archive_symbols: Vec<String> = crate::build::embed::find_all(image.bytes())
        .into_iter()
        .flatten()
        .flat_map(|f| crate::build::embed::symbol_names(&f.name))
        .collect();
    let plan = generic.as_ref().map(|g| {
        let mut p = plan::plan(
            &needs,
            &g.exports,
            &keep,
            PlanOptions {
                by_name: opts.by_name,
            },
        );
        let present: Vec<&[u8]> = archive_symbols
            .iter()
            .map(|s| s.as_bytes())
            .filter(|s| tailored.exports.contains(s))
            .collect();
        p.add_kept(present.into_iter());
        p
    });
    let unbound = consumers.unbound(&needs, reference);
    let report = verify::verify(
        &VerifyInputs {
            needs: &needs,
            consumer_names: &consumers.names,
            generic: generic.as_ref().map(|g| &g.exports),
            plan: plan.as_ref(),
            unbound: &unbound,
        },
        &tailored.exports,
    );
    match opts.format {
        Format::Json => emit(out, &to_json(&report))?,
        Format::Text => {
            let mut text = report.render_problems();
            text.push_str(&report.render_warnings());
            text.push_str(&format!(
                "verification {}: {} needed symbols checked, {} exported by {}, {} problems\n",
                if report.passed() { "passed" } else { "FAILED" },
                report.checked,
                report.exported,
                tailored.name,
                report.problems.len()
            ));
            emit(out, text.as_bytes())?;
        }
    }
    let _ = log;
    Ok(if report.passed() {
        Status::Ok
    } else {
        Status::ChecksFailed
    })
}
