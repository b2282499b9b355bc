//! The plan `link` and `version-script` share: needs, plan and version script from the
//! consumers and the provider, with the provider's own by-name lookups taken from the live
//! sections of its link (`tailor gc`'s fixed point) when the link command is known, so both
//! commands keep the same names for the same inputs.

use super::provider::ProviderData;
use super::Consumers;
use crate::analysis::byname::ByNameHit;
use crate::analysis::needs::{self, Needs, ProviderView};
use crate::analysis::predict::{self, ByNameRoot, LinkRead, PredictedExports, Prediction};
use crate::decide::plan::{self, Plan, PlanOptions};
use crate::decide::version_script::{self, GroupBy, RenderContext};
use crate::error::Result;
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::version_rules::VersionRules;
use crate::trace::Timings;

/// What the plan is made from; planned twice when the link is known: without the provider's
/// by-name lookups (the exports `tailor gc`'s fixed point starts from), then with them.
pub struct Planning<'p, 'a> {
    pub consumers: &'p Consumers<'a>,
    pub provider: &'p ProviderData<'a>,
    pub keep: &'p [&'a [u8]],
    /// Symbols of archives the image carries (`--embed`): exported so GC keeps them.
    pub embed_symbols: &'a [String],
    pub provider_name: &'p str,
    pub by_name: bool,
    /// The `local:` patterns of the command's own version scripts.
    pub own_local_patterns: &'p [String],
}

impl<'p, 'a> Planning<'p, 'a> {
    /// Needs and plan. `hits`: the provider's by-name lookups found in its link; `None`
    /// scans the provider image's read-only data instead (every string of it).
    pub fn needs_and_plan(&self, hits: Option<&'p [ByNameHit<'a>]>) -> (Needs<'a>, Plan<'a>) {
        let view = ProviderView {
            exports: &self.provider.exports,
            facts: self.provider.facts.as_ref(),
            object_hits: hits,
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
        (needs, plan)
    }

    /// How the version script of a plan is rendered.
    fn context<'r>(&'r self, needs: &'r Needs<'a>, group_by: GroupBy) -> RenderContext<'r, 'a> {
        RenderContext {
            needs,
            consumer_names: &self.consumers.names,
            provider_name: self.provider_name,
            group_by,
            own_local_patterns: self.own_local_patterns,
        }
    }

    /// Needs, plan and version script (see [`Self::needs_and_plan`]).
    pub fn plan(
        &self,
        hits: Option<&'p [ByNameHit<'a>]>,
        group_by: GroupBy,
    ) -> (Needs<'a>, Plan<'a>, String) {
        let (needs, plan) = self.needs_and_plan(hits);
        let script = version_script::render(&plan, &self.context(&needs, group_by));
        (needs, plan, script)
    }

    /// The rules of the plan without the provider's by-name lookups, as `linker` reads its
    /// script: the exports the by-name fixed point starts from.
    pub fn base_rules(&self, linker: Linker) -> VersionRules {
        let (needs, plan) = self.needs_and_plan(Some(&[]));
        version_script::rules(&plan, &self.context(&needs, GroupBy::Consumer), linker)
    }

    /// The provider's link predicted with the plan's exports, and, with by-name lookups on,
    /// its fixed point: the exports strings in the link's live read-only data name (musl's
    /// dynamic linker finding `__dls3`). The tailored link narrows the command's dynamic list
    /// to the plan, so the list exports nothing beyond it here (on mold it would otherwise
    /// hide by-name roots behind exports).
    pub fn predict_link<'r>(&self, read: &'r LinkRead, t: &mut Timings) -> Result<Prediction<'r>> {
        // The script's rules compile while the link resolves.
        let (link, placer) = rayon::join(|| read.resolve(), || read.placer());
        let link = link?;
        t.phase("resolved");
        Ok(predict::mark_placed(
            read,
            link,
            placer,
            self.predicted_exports(read),
            t,
        ))
    }

    /// [`Self::predict_link`] on a link already resolved.
    pub fn mark_link<'r>(
        &self,
        read: &'r LinkRead,
        link: crate::analysis::link_model::Link<'r>,
        t: &mut Timings,
    ) -> Prediction<'r> {
        predict::mark(read, link, self.predicted_exports(read), t)
    }

    /// The exports the provider's link is predicted with: the plan's.
    fn predicted_exports(&self, read: &LinkRead) -> PredictedExports {
        PredictedExports {
            version: self.base_rules(read.linker),
            dynamic_list: VersionRules::default(),
            by_name: self.by_name,
        }
    }

    /// The fixed point's by-name roots as hits on the provider's exports.
    pub fn hits(&self, roots: &'a [ByNameRoot]) -> Vec<ByNameHit<'a>> {
        roots
            .iter()
            .filter_map(|r| {
                Some(ByNameHit {
                    name: self.provider.exports.canonical(&r.name)?,
                    section: r.place.as_bytes(),
                    offset: r.offset,
                    suffix: false,
                })
            })
            .collect()
    }
}

/// The by-name roots of a prediction, in a stable order.
pub fn sorted_by_name_roots(prediction: &Prediction<'_>) -> Vec<ByNameRoot> {
    let mut roots = predict::by_name_roots(prediction);
    roots.sort_by(|a, b| (&a.name, &a.place).cmp(&(&b.name, &b.place)));
    roots
}

/// The `local:` patterns of the command's own version scripts (hidden again by a tailored
/// script that cannot end in `local: *;`).
pub fn own_local_patterns(cmd: &LinkCommand) -> Result<Vec<String>> {
    let mut rules = VersionRules::default();
    for path in cmd.version_scripts() {
        rules.add_script(&path, &crate::inputs::read_text(&path)?)?;
    }
    Ok(rules.local_patterns())
}
