//! The plan `link` and `version-script` share: needs, plan and version script from the
//! consumers and the provider, with the provider's own by-name lookups taken from the live
//! sections of its link (`tailor gc`'s fixed point) when the link command is known, so both
//! commands keep the same names for the same inputs.

use super::provider::ProviderData;
use super::Consumers;
use crate::analysis::byname::ByNameHit;
use crate::analysis::needs::{self, Needs, ProviderView};
use crate::decide::plan::{self, Plan, PlanOptions};
use crate::decide::version_script::{self, GroupBy, RenderContext};
use crate::error::Result;
use crate::inputs::link_command::{LinkCommand, Linker};
use crate::inputs::version_rules::VersionRules;

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
    /// Needs, plan and version script. `hits`: the provider's by-name lookups found in its
    /// link; `None` scans the provider image's read-only data instead (every string of it).
    pub fn plan(
        &self,
        hits: Option<&'p [ByNameHit<'a>]>,
        group_by: GroupBy,
    ) -> (Needs<'a>, Plan<'a>, String) {
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
        let script = version_script::render(
            &plan,
            &RenderContext {
                needs: &needs,
                consumer_names: &self.consumers.names,
                provider_name: self.provider_name,
                group_by,
                own_local_patterns: self.own_local_patterns,
            },
        );
        (needs, plan, script)
    }

    /// The exports strings in the live read-only data of the provider's link name (musl's
    /// dynamic linker finding `__dls3`), to a fixed point, starting from the plan without
    /// them; none when by-name lookups are off.
    pub fn link_by_name_roots(
        &self,
        command: &[String],
        linker: Option<Linker>,
    ) -> Result<Vec<super::gc::ByNameRoot>> {
        if !self.by_name {
            return Ok(Vec::new());
        }
        let (_, _, base_script) = self.plan(Some(&[]), GroupBy::None);
        super::gc::by_name_roots(command, linker, &base_script)
    }

    /// The roots as by-name hits on the provider's exports.
    pub fn hits(&self, roots: &'a [super::gc::ByNameRoot]) -> Vec<ByNameHit<'a>> {
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

/// The `local:` patterns of the command's own version scripts (hidden again by a tailored
/// script that cannot end in `local: *;`).
pub fn own_local_patterns(cmd: &LinkCommand) -> Result<Vec<String>> {
    let mut rules = VersionRules::default();
    for path in cmd.version_scripts() {
        rules.add_script(&path, &crate::inputs::read_text(&path)?)?;
    }
    Ok(rules.local_patterns())
}
