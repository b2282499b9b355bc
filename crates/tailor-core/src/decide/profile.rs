//! Stage 3, decisions: feature and driver profiles, declaratively (TOML), resolved without any
//! dependence on order: the effective feature set is the closure of what is enabled under
//! `requires`, with unknown names, cycles and conflicts reported as errors naming the file and
//! the feature; and conversion from OSv's make-based profiles.
//!
//! ```toml
//! prefix = "CONF_drivers_"            # C macro prefix (a feature's `macro` overrides it)
//! [features.pci]
//! objects = ["drivers/pci*.o"]
//! [features.acpi]
//! requires = ["pci"]
//! conflicts = []
//! [profiles.base]
//! [profiles.kvm]
//! extends = ["base"]
//! enable = ["acpi"]
//! [arch.x64.features.hpet]             # per-architecture features and profiles
//! requires = ["acpi"]
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::inputs::make_profile::{self, MakeState, Origin};

/// A feature (a driver, an optional subsystem).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// The C macro (default: prefix + name).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "macro")]
    pub macro_name: Option<String>,
    /// Object files (globs) that implement it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
}

/// A profile: features it enables, profiles it extends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enable: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    features: BTreeMap<String, Feature>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    features: BTreeMap<String, Feature>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    profiles: BTreeMap<String, Profile>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    arch: BTreeMap<String, Section>,
}

/// The features and profiles in force for one architecture.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    pub source: PathBuf,
    pub prefix: String,
    pub features: BTreeMap<String, Feature>,
    pub profiles: BTreeMap<String, Profile>,
}

/// Why a feature is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Enabled by this profile directly.
    Enabled(String),
    /// Required by this feature.
    RequiredBy(String),
    /// Set on the command line.
    CommandLine,
}

/// A resolved profile: every feature, on or off, and why the ones on are on.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub profile: String,
    /// Effective features, sorted.
    pub enabled: Vec<String>,
    pub disabled: Vec<String>,
    pub why: BTreeMap<String, Why>,
    /// C macro of each feature.
    pub macros: BTreeMap<String, String>,
    /// Warnings (dependency rules that did not fire because of their position).
    pub warnings: Vec<String>,
}

impl ProfileSet {
    /// Loads a TOML profile file for `arch` (common features and profiles, then the arch's).
    pub fn load(path: &Path, arch: Option<&str>) -> Result<Self> {
        let text = crate::inputs::read_text(path)?;
        let file: ProfileFile = toml::from_str(&text).map_err(|e| {
            let start = e.span().map_or(0, |s| s.start.min(text.len()));
            let line = text[..start].matches('\n').count() + 1;
            let column = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
            let message: Vec<&str> = e.message().lines().map(str::trim).collect();
            Error::syntax(
                path,
                line,
                format!("column {column}: {}", message.join("; ")),
            )
        })?;
        let mut set = ProfileSet {
            source: path.to_path_buf(),
            prefix: file.prefix.unwrap_or_else(|| "CONF_".into()),
            features: file.features,
            profiles: file.profiles,
        };
        if let Some(a) = arch {
            if let Some(section) = file.arch.get(a) {
                set.features.extend(section.features.clone());
                set.profiles.extend(section.profiles.clone());
            } else if !file.arch.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: no [arch.{a}] section (has: {})",
                    path.display(),
                    file.arch.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        set.validate()?;
        Ok(set)
    }

    fn err(&self, detail: String) -> Error {
        Error::Usage(format!("{}: {detail}", self.source.display()))
    }

    /// Unknown names and cycles are errors.
    fn validate(&self) -> Result<()> {
        for (name, f) in &self.features {
            for r in f.requires.iter().chain(&f.conflicts) {
                if !self.features.contains_key(r) {
                    return Err(self.err(format!("feature `{name}` names unknown feature `{r}`")));
                }
            }
        }
        for (name, p) in &self.profiles {
            for f in &p.enable {
                if !self.features.contains_key(f) {
                    return Err(self.err(format!("profile `{name}` enables unknown feature `{f}`")));
                }
            }
            for e in &p.extends {
                if !self.profiles.contains_key(e) {
                    return Err(self.err(format!("profile `{name}` extends unknown profile `{e}`")));
                }
            }
        }
        let feature_edges = |n: &str| {
            self.features
                .get(n)
                .map(|f| f.requires.clone())
                .unwrap_or_default()
        };
        if let Some(cycle) = find_cycle(self.features.keys(), &feature_edges) {
            return Err(self.err(format!(
                "features require each other in a cycle: {}",
                cycle.join(" -> ")
            )));
        }
        let profile_edges = |n: &str| {
            self.profiles
                .get(n)
                .map(|p| p.extends.clone())
                .unwrap_or_default()
        };
        if let Some(cycle) = find_cycle(self.profiles.keys(), &profile_edges) {
            return Err(self.err(format!(
                "profiles extend each other in a cycle: {}",
                cycle.join(" -> ")
            )));
        }
        Ok(())
    }

    /// Resolves `profile` with command-line overrides (`name`, on).
    pub fn resolve(&self, profile: &str, overrides: &[(String, bool)]) -> Result<Resolved> {
        if !self.profiles.contains_key(profile) {
            return Err(self.err(format!(
                "no profile `{profile}` (profiles: {})",
                self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        for (f, _) in overrides {
            if !self.features.contains_key(f) {
                return Err(self.err(format!("--set {f}: unknown feature")));
            }
        }
        let off: BTreeSet<&str> = overrides
            .iter()
            .filter(|o| !o.1)
            .map(|o| o.0.as_str())
            .collect();
        let mut why: BTreeMap<String, Why> = BTreeMap::new();
        // Profiles, extended ones first (a feature is credited to the first profile naming it).
        let mut stack = vec![profile.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(p) = stack.pop() {
            if !seen.insert(p.clone()) {
                continue;
            }
            let prof = &self.profiles[&p];
            for f in &prof.enable {
                if !off.contains(f.as_str()) {
                    why.entry(f.clone()).or_insert(Why::Enabled(p.clone()));
                }
            }
            stack.extend(prof.extends.iter().rev().cloned());
        }
        for (f, on) in overrides {
            if *on {
                why.insert(f.clone(), Why::CommandLine);
            }
        }
        // Closure under `requires`.
        let mut work: Vec<String> = why.keys().cloned().collect();
        while let Some(f) = work.pop() {
            for r in &self.features[&f].requires {
                if off.contains(r.as_str()) {
                    return Err(self.err(format!(
                        "--set {r}=0 contradicts `{f}`, which requires `{r}` (turn `{f}` off too: --set {f}=0)"
                    )));
                }
                if !why.contains_key(r) {
                    why.insert(r.clone(), Why::RequiredBy(f.clone()));
                    work.push(r.clone());
                }
            }
        }
        for f in why.keys() {
            for c in &self.features[f].conflicts {
                if why.contains_key(c) {
                    return Err(self.err(format!(
                        "features `{f}` and `{c}` conflict, and both are on"
                    )));
                }
            }
        }
        Ok(self.resolved(profile, why, Vec::new()))
    }

    fn resolved(
        &self,
        profile: &str,
        why: BTreeMap<String, Why>,
        warnings: Vec<String>,
    ) -> Resolved {
        let enabled: Vec<String> = why.keys().cloned().collect();
        let disabled = self
            .features
            .keys()
            .filter(|f| !why.contains_key(*f))
            .cloned()
            .collect();
        let macros = self
            .features
            .iter()
            .map(|(n, f)| {
                (
                    n.clone(),
                    f.macro_name
                        .clone()
                        .unwrap_or_else(|| format!("{}{n}", self.prefix)),
                )
            })
            .collect();
        Resolved {
            profile: profile.to_string(),
            enabled,
            disabled,
            why,
            macros,
            warnings,
        }
    }

    /// Object globs of the features that are off and of no feature that is on.
    pub fn disabled_objects(&self, r: &Resolved) -> (Vec<(String, String)>, Vec<String>) {
        let on: Vec<&String> = r
            .enabled
            .iter()
            .flat_map(|f| &self.features[f].objects)
            .collect();
        let off = r
            .disabled
            .iter()
            .flat_map(|f| {
                self.features[f]
                    .objects
                    .iter()
                    .map(move |o| (f.clone(), o.clone()))
            })
            .collect();
        (off, on.into_iter().cloned().collect())
    }
}

/// A cycle in a graph given by `edges`, as a path, if there is one.
fn find_cycle<'n>(
    nodes: impl Iterator<Item = &'n String>,
    edges: &dyn Fn(&str) -> Vec<String>,
) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    fn visit(
        n: &str,
        edges: &dyn Fn(&str) -> Vec<String>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Active) => {
                let start = path.iter().position(|p| p == n).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(n.to_string(), Mark::Active);
        path.push(n.to_string());
        for e in edges(n) {
            if let Some(c) = visit(&e, edges, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in nodes {
        if let Some(c) = visit(n, edges, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

/// OSv's driver variables: `conf_drivers_<feature>`.
pub const OSV_VAR_PREFIX: &str = "conf_drivers_";

/// Resolves an OSv make profile with make's semantics; `--set` values are command-line
/// variables. A rule `ifeq ($(A),1) B ?= 1` whose B a `--set B=0` turns off while A is on is
/// a contradiction (an error), as in the declarative form.
pub fn resolve_make(
    root: &Path,
    arch: &str,
    profile: &str,
    overrides: &[(String, bool)],
) -> Result<(Resolved, MakeState)> {
    let cl: Vec<(String, String)> = overrides
        .iter()
        .map(|(f, on)| {
            (
                format!("{OSV_VAR_PREFIX}{f}"),
                if *on { "1" } else { "0" }.to_string(),
            )
        })
        .collect();
    let state = make_profile::eval_osv_profile(root, arch, profile, &cl)?;
    for (cond, compared, var, value) in &state.rules {
        let cl_off = matches!(state.vars.get(var), Some(v) if v.origin == Origin::CommandLine && v.value != *value);
        if state.get(cond) == compared && cl_off {
            let (a, b) = (
                cond.trim_start_matches(OSV_VAR_PREFIX),
                var.trim_start_matches(OSV_VAR_PREFIX),
            );
            return Err(Error::Usage(format!(
                "--set {b}=0 contradicts `{a}`, which requires `{b}` (turn `{a}` off too: --set {a}=0)"
            )));
        }
    }
    let mut why = BTreeMap::new();
    let mut features = BTreeMap::new();
    for (name, v) in &state.vars {
        let Some(f) = name.strip_prefix(OSV_VAR_PREFIX) else {
            continue;
        };
        features.insert(f.to_string(), Feature::default());
        if v.value != "1" {
            continue;
        }
        let reason = match &v.origin {
            Origin::CommandLine => Why::CommandLine,
            Origin::File {
                condition: Some(c), ..
            } => Why::RequiredBy(c.trim_start_matches(OSV_VAR_PREFIX).to_string()),
            Origin::File { file, .. } => Why::Enabled(
                file.file_stem()
                    .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            ),
        };
        why.insert(f.to_string(), reason);
    }
    let warnings = state
        .blocked
        .iter()
        .map(|b| format!(
            "{}:{}: `{} ?= {}` does not fire: {} was already set at {} (move the default after this rule)",
            b.file.display(), b.line, b.variable, b.wanted, b.variable, b.set_at
        ))
        .collect();
    let set = ProfileSet {
        source: root.to_path_buf(),
        prefix: "CONF_drivers_".into(),
        features,
        profiles: BTreeMap::new(),
    };
    Ok((set.resolved(profile, why, warnings), state))
}

/// Converts OSv's make profiles of the given architectures to the TOML format: features from
/// the `conf_drivers_*` variables and their `ifeq ... ?= 1` rules, profiles from the files'
/// unconditional `?= 1` lines and their includes.
pub fn convert_make(root: &Path, arches: &[String]) -> Result<String> {
    let mut file = ProfileFile {
        prefix: Some("CONF_drivers_".into()),
        ..Default::default()
    };
    for arch in arches {
        let mut section = Section::default();
        for name in make_profile::osv_profile_names(root, arch)? {
            let (_, state) = resolve_make(root, arch, &name, &[])?;
            for (cond, compared, var, value) in &state.rules {
                let (Some(a), Some(b)) = (
                    cond.strip_prefix(OSV_VAR_PREFIX),
                    var.strip_prefix(OSV_VAR_PREFIX),
                ) else {
                    continue;
                };
                if compared == "1" && value == "1" {
                    let f = section.features.entry(a.to_string()).or_default();
                    if !f.requires.iter().any(|r| r == b) {
                        f.requires.push(b.to_string());
                    }
                }
            }
            for var in state.vars.keys() {
                if let Some(f) = var.strip_prefix(OSV_VAR_PREFIX) {
                    section.features.entry(f.to_string()).or_default();
                }
            }
            // The profile: its own unconditional `?= 1` lines, and the files it includes (a
            // git-symlink profile such as microvm.mk -> virtio-mmio.mk includes its target).
            let profile_file = root
                .join("conf/profiles")
                .join(arch)
                .join(format!("{name}.mk"));
            let mut profile = Profile::default();
            for (f, var, value) in &state.assignments {
                if *f == profile_file && value == "1" {
                    if let Some(feature) = var.strip_prefix(OSV_VAR_PREFIX) {
                        profile.enable.push(feature.to_string());
                    }
                }
            }
            profile.enable.sort();
            profile.enable.dedup();
            profile.extends = state
                .includes
                .iter()
                .filter(|(from, to)| {
                    *from == profile_file && to.file_name() != Some("base.mk".as_ref())
                })
                .filter_map(|(_, to)| to.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect();
            section.profiles.insert(name, profile);
        }
        for f in section.features.values_mut() {
            f.requires.sort();
        }
        file.arch.insert(arch.clone(), section);
    }
    toml::to_string(&file).map_err(|e| Error::Usage(format!("writing TOML: {e}")))
}

/// The generated C header.
pub fn render_header(r: &Resolved) -> String {
    let mut out = format!(
        "/* Generated by tailor from profile `{}`. */\n#pragma once\n",
        r.profile
    );
    for (f, m) in &r.macros {
        out.push_str(&format!(
            "#define {m} {}\n",
            u8::from(r.why.contains_key(f))
        ));
    }
    out
}

/// The generated make fragment (`conf_drivers_<f>=0|1` for OSv-style macros' lower-case form).
pub fn render_make(r: &Resolved) -> String {
    let mut out = format!("# Generated by tailor from profile `{}`.\n", r.profile);
    for (f, m) in &r.macros {
        out.push_str(&format!(
            "{}={}\n",
            make_var(m, f),
            u8::from(r.why.contains_key(f))
        ));
    }
    out
}

fn make_var(macro_name: &str, feature: &str) -> String {
    match macro_name.strip_suffix(feature) {
        Some(prefix) => format!("{}{feature}", prefix.to_lowercase()),
        None => macro_name.to_lowercase(),
    }
}
