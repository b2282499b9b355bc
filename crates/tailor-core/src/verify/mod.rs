//! Stage 5, verification: a tailored provider still satisfies every consumer — each needed
//! symbol the generic provider exported is exported with the same type, the same size for data
//! objects (COPY relocations depend on it) and the version the consumer asks for; nothing is
//! exported beyond the plan — and the size figures of an image ([`image`]).

pub mod image;

use serde::Serialize;

use crate::analysis::closure::Unbound;
use crate::analysis::exports::Exports;
use crate::analysis::needs::{HitSource, Needs};
use crate::decide::plan::{Plan, Reason};

/// What is wrong with one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Needed, not exported.
    Missing,
    /// Exported, but not in the version the consumer needs.
    VersionMissing,
    /// Exported with another symbol type (function vs object, TLS, ifunc).
    TypeChanged,
    /// A data object with another size (a COPY relocation would copy the wrong size).
    SizeChanged,
    /// Exported, but not in the plan.
    Extra,
    /// Needed, and defined nowhere in the consumer's closure (the generic image too).
    Unresolved,
}

/// One problem, with the consumers it affects.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub name: String,
    /// The name demangled, for a C++ symbol (a kernel's internal C++ API a consumer needs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demangled: Option<String>,
    pub version: Option<String>,
    pub detail: String,
    pub consumers: Vec<String>,
}

/// The verification result.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Needed symbols checked.
    pub checked: usize,
    /// Exports of the tailored image.
    pub exported: usize,
    pub problems: Vec<Problem>,
    /// Problems the generic image has too (not the tailoring's doing): imports nothing in the
    /// consumer's closure defines, versions the provider never defined.
    pub generic_problems: Vec<Problem>,
}

impl VerifyReport {
    /// No problem found.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line a problem, for stderr.
    pub fn render_problems(&self) -> String {
        render_lines(&self.problems, "")
    }

    /// One line a problem the generic image has too, for stderr.
    pub fn render_warnings(&self) -> String {
        render_lines(
            &self.generic_problems,
            "tailor: warning (the generic image has it too): ",
        )
    }
}

fn render_lines(problems: &[Problem], prefix: &str) -> String {
    {
        let mut out = String::new();
        for p in problems {
            let mut name = match &p.version {
                Some(v) => format!("{}@{}", p.name, v),
                None => p.name.clone(),
            };
            if let Some(d) = &p.demangled {
                name = format!("{name} [{d}]");
            }
            let who = match p.consumers.as_slice() {
                [] => String::new(),
                [one] => format!(" (needed by {one})"),
                [first, rest @ ..] => format!(" (needed by {first} and {} more)", rest.len()),
            };
            out.push_str(&format!(
                "{prefix}{}: {name}: {}{who}\n",
                p.kind.label(),
                p.detail
            ));
        }
        out
    }
}

impl ProblemKind {
    /// How the problem is named in messages.
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::VersionMissing => "version missing",
            ProblemKind::TypeChanged => "type changed",
            ProblemKind::SizeChanged => "size changed",
            ProblemKind::Extra => "extra export",
            ProblemKind::Unresolved => "unresolved",
        }
    }
}

/// What to check a tailored provider against.
pub struct VerifyInputs<'r, 'a> {
    pub needs: &'r Needs<'a>,
    pub consumer_names: &'r [String],
    /// The generic provider's exports: needed symbols it exported are required. Without it,
    /// every strong import no other input defines is required.
    pub generic: Option<&'r Exports<'a>>,
    /// The plan: exports beyond it are reported.
    pub plan: Option<&'r Plan<'a>>,
    /// Needs nothing binds, with the generic image as with the tailored one
    /// ([`crate::analysis::closure::unbound`]).
    pub unbound: &'r [(u32, Unbound)],
}

fn lossy(b: &[u8]) -> String {
    crate::text::lossy(b).into_owned()
}

/// A version as messages spell it: the name, or `(unversioned)` for the base.
fn version_label(v: Option<&[u8]>) -> String {
    v.map_or_else(|| "(unversioned)".to_string(), lossy)
}

/// Checks `tailored` against the inputs.
pub fn verify(v: &VerifyInputs<'_, '_>, tailored: &Exports<'_>) -> VerifyReport {
    let mut problems = Vec::new();
    let mut checked = 0;
    let names = |id: u32| -> Vec<String> {
        v.needs
            .consumers_of(id)
            .filter_map(|f| v.consumer_names.get(f.index()).cloned())
            .collect()
    };
    for (id, need) in v.needs.symbols.iter().enumerate() {
        // Required: what the generic image binds (a reference it cannot bind either is not
        // the tailoring's doing); without a generic, every strong import no input defines.
        let required = match v.generic {
            Some(g) => g.binding(need.name, need.version).is_some(),
            None => !need.weak && v.needs.definers_of(id as u32).next().is_none(),
        };
        if !required {
            continue;
        }
        checked += 1;
        let mut problem = |kind, detail: String| {
            problems.push(Problem {
                kind,
                name: lossy(need.name),
                demangled: crate::demangle::demangle(need.name),
                version: need.version.map(lossy),
                detail,
                consumers: names(id as u32),
            })
        };
        let have = tailored.get(need.name);
        if have.is_empty() {
            problem(ProblemKind::Missing, "not exported".into());
            continue;
        }
        let Some(t) = tailored.binding(need.name, need.version) else {
            let versions: Vec<String> = have.iter().map(|e| version_label(e.version)).collect();
            problem(
                ProblemKind::VersionMissing,
                format!("exported only as {}", versions.join(", ")),
            );
            continue;
        };
        let reference = v.generic.and_then(|g| g.binding(need.name, need.version));
        if let Some(g) = reference {
            if g.kind != t.kind && g.kind != "?" {
                problem(
                    ProblemKind::TypeChanged,
                    format!(
                        "type {} in the generic image, {} in the tailored one",
                        g.kind, t.kind
                    ),
                );
            } else if t.kind == "object" && g.size != t.size {
                problem(
                    ProblemKind::SizeChanged,
                    format!(
                        "size {} in the generic image, {} in the tailored one",
                        g.size, t.size
                    ),
                );
            }
        }
        if let Some(size) = need.copy_size {
            if t.size != size {
                problem(
                    ProblemKind::SizeChanged,
                    format!(
                        "copy-relocated with size {size}, exported with size {}",
                        t.size
                    ),
                );
            }
        }
    }
    if let Some(plan) = v.plan {
        check_plan(v, plan, tailored, &mut problems);
    }
    // Grouped by kind, the worst first: `missing:` lines never hide among `extra export:` ones.
    problems.sort_by(|a, b| {
        (a.kind as u8, &a.name, &a.version).cmp(&(b.kind as u8, &b.name, &b.version))
    });
    problems.dedup_by(|a, b| (&a.name, &a.version, a.kind) == (&b.name, &b.version, b.kind));
    let generic_problems = v
        .unbound
        .iter()
        .filter_map(|&(id, why)| {
            let need = v.needs.symbols.get(id as usize)?;
            let (kind, detail) = match why {
                Unbound::Undefined => (
                    ProblemKind::Unresolved,
                    "defined by neither the provider nor any library the consumer loads",
                ),
                Unbound::ProviderVersion => (
                    ProblemKind::VersionMissing,
                    "the provider never defined that version",
                ),
            };
            Some(Problem {
                kind,
                name: lossy(need.name),
                demangled: crate::demangle::demangle(need.name),
                version: need.version.map(lossy),
                detail: detail.to_string(),
                consumers: names(id),
            })
        })
        .collect();
    VerifyReport {
        checked,
        exported: tailored.symbol_count(),
        problems,
        generic_problems,
    }
}

/// By-name and keep-list entries of the plan must be exported; nothing beyond the plan may be.
fn check_plan(
    v: &VerifyInputs<'_, '_>,
    plan: &Plan<'_>,
    tailored: &Exports<'_>,
    problems: &mut Vec<Problem>,
) {
    for e in &plan.entries {
        let missing = tailored.get(e.name).iter().all(|t| t.version != e.version);
        let (who, what) = match e.reason {
            Reason::Consumer(_) => continue, // checked against the needs above
            Reason::ByName(i) => {
                let who = match v.needs.by_name.get(i as usize).map(|b| b.source) {
                    Some(HitSource::Consumer(c)) => v.consumer_names.get(c.index()).cloned(),
                    _ => Some("the provider itself".to_string()),
                };
                (who, "looked up by name")
            }
            Reason::Keep => (None, "in the keep list"),
        };
        if missing {
            problems.push(Problem {
                kind: ProblemKind::Missing,
                name: lossy(e.name),
                demangled: crate::demangle::demangle(e.name),
                version: e.version.map(lossy),
                detail: format!("{what}, not exported"),
                consumers: who.into_iter().collect(),
            });
        }
    }
    for t in &tailored.list {
        let planned = plan
            .entries
            .binary_search_by(|e| (e.name, e.version).cmp(&(t.name, t.version)))
            .is_ok()
            || plan
                .entries
                .iter()
                .any(|e| e.name == t.name && t.version.is_none());
        if !planned {
            problems.push(Problem {
                kind: ProblemKind::Extra,
                name: lossy(t.name),
                demangled: crate::demangle::demangle(t.name),
                version: t.version.map(lossy),
                detail: "exported, not in the plan".into(),
                consumers: Vec::new(),
            });
        }
    }
}
