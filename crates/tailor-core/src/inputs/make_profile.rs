//! Stage 1, inputs: OSv's make-based driver profiles (`conf/profiles/<arch>/*.mk`), evaluated
//! with make's own semantics for the subset they use — `[export] VAR ?= VALUE`, `VAR = VALUE`,
//! `VAR := VALUE`, `include PATH` (with `$(VAR)`), `ifeq`/`ifneq (A,B)` ... `else` ... `endif` —
//! in OSv's order: the profile's file, then `base.mk`, with command-line variables winning over
//! every assignment, as make's do. Anything else is an error naming the file and line.
//!
//! A file whose whole content is the name of a sibling file is a symlink as git stores it on a
//! checkout without symlinks (OSv's x64/microvm.mk is `virtio-mmio.mk`): it is followed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a variable got its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `VAR=VALUE` on the command line (or `--set`).
    CommandLine,
    /// An assignment at this place; `condition` is the enclosing `ifeq`'s variable, if any.
    File {
        file: PathBuf,
        line: usize,
        condition: Option<String>,
    },
}

/// A variable's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: String,
    pub origin: Origin,
}

/// A `VAR ?= VALUE` inside a taken `ifeq` branch that did nothing because VAR was already set
/// by an earlier line: a dependency rule that does not fire because of its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedRule {
    pub file: PathBuf,
    pub line: usize,
    pub variable: String,
    pub wanted: String,
    pub set_at: String,
}

/// The result of evaluating makefiles.
#[derive(Debug, Default, Clone)]
pub struct MakeState {
    pub vars: BTreeMap<String, Value>,
    pub blocked: Vec<BlockedRule>,
    /// Every file read (for depfiles).
    pub files: Vec<PathBuf>,
    /// `?= VALUE` dependency rules seen, taken or not: (condition variable, condition value,
    /// variable set, value), for conversion to declarative profiles.
    pub rules: Vec<(String, String, String, String)>,
    /// Unconditional assignments executed: (file, variable, value).
    pub assignments: Vec<(PathBuf, String, String)>,
    /// Includes followed: (including file, included file).
    pub includes: Vec<(PathBuf, PathBuf)>,
}

impl MakeState {
    /// A state with command-line variables.
    pub fn with_command_line(vars: &[(String, String)]) -> Self {
        let mut s = MakeState::default();
        for (k, v) in vars {
            s.vars.insert(
                k.clone(),
                Value {
                    value: v.clone(),
                    origin: Origin::CommandLine,
                },
            );
        }
        s
    }

    /// The value of `name` ("" when undefined, as make expands it).
    pub fn get(&self, name: &str) -> &str {
        self.vars.get(name).map_or("", |v| v.value.as_str())
    }

    /// Expands `$(VAR)` and `${VAR}` references (`$$` is a literal `$`).
    pub fn expand(&self, s: &str) -> std::result::Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i + 1..];
            let (close, body) = match tail.chars().next() {
                Some('$') => {
                    out.push('$');
                    rest = &tail[1..];
                    continue;
                }
                Some('(') => (')', &tail[1..]),
                Some('{') => ('}', &tail[1..]),
                _ => return Err(format!("unsupported variable reference in `{s}`")),
            };
            let end = body
                .find(close)
                .ok_or_else(|| format!("unterminated variable reference in `{s}`"))?;
            let name = &body[..end];
            if name.contains([' ', '$', ',', ':']) {
                return Err(format!(
                    "unsupported make function or reference `$({name})`"
                ));
            }
            out.push_str(self.get(name));
            rest = &body[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Evaluates one makefile, following its includes (relative to `root`, as make run from
    /// the tree's top does).
    pub fn eval_file(&mut self, root: &Path, path: &Path, depth: usize) -> Result<()> {
        if depth > 32 {
            return Err(Error::syntax(
                path,
                0,
                "includes nest too deep (an include loop?)",
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading", path, e))?;
        self.eval_text(root, path, &text, depth)
    }

    /// Evaluates makefile text as if read from `path`.
    pub fn eval_text(&mut self, root: &Path, path: &Path, text: &str, depth: usize) -> Result<()> {
        self.files.push(path.to_path_buf());
        if let Some(target) = git_symlink_target(path, text) {
            self.includes.push((path.to_path_buf(), target.clone()));
            return self.eval_file(root, &target, depth + 1);
        }
        let mut conds: Vec<Conditional> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |d: String| Error::syntax(path, line_no, d);
            let active = conds.iter().all(|c| c.0);
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match word {
                "ifeq" | "ifneq" => {
                    let (a, b, var) = parse_condition(rest.trim()).map_err(err)?;
                    let (a, b_value) =
                        (self.expand(&a).map_err(err)?, self.expand(&b).map_err(err)?);
                    let taken = (a == b_value) == (word == "ifeq");
                    let rule = var.filter(|_| word == "ifeq").map(|v| (v, b_value.clone()));
                    conds.push((taken, taken, rule));
                    continue;
                }
                "else" => {
                    let c = conds
                        .last_mut()
                        .ok_or_else(|| err("`else` without `ifeq`".into()))?;
                    c.0 = !c.1;
                    c.1 = true;
                    continue;
                }
                "endif" => {
                    conds
                        .pop()
                        .ok_or_else(|| err("`endif` without `ifeq`".into()))?;
                    continue;
                }
                _ => {}
            }
            if word == "include" || word == "-include" {
                if !active {
                    continue;
                }
                let target = self.expand(rest.trim()).map_err(err)?;
                let p = root.join(&target);
                if !p.is_file() {
                    if word == "-include" {
                        continue;
                    }
                    // As make says it: the including file and line, then the missing file.
                    return Err(err(format!(
                        "include {target}: no such file ({})",
                        p.display()
                    )));
                }
                self.includes.push((path.to_path_buf(), p.clone()));
                self.eval_file(root, &p, depth + 1)?;
                continue;
            }
            let assignment = line.strip_prefix("export ").map_or(line, str::trim);
            let Some((name, op, value)) = split_assignment(assignment) else {
                return Err(err(format!("unsupported make construct `{line}`")));
            };
            let rule = conds.iter().rev().find_map(|c| c.2.clone());
            if op == "?=" {
                if let Some((var, compared)) = &rule {
                    self.rules.push((
                        var.clone(),
                        compared.clone(),
                        name.to_string(),
                        value.trim().to_string(),
                    ));
                }
            }
            if !active {
                continue;
            }
            let value = self.expand(value.trim()).map_err(err)?;
            let condition = rule.map(|r| r.0);
            if condition.is_none() {
                self.assignments
                    .push((path.to_path_buf(), name.to_string(), value.clone()));
            }
            match (op, self.vars.get(name)) {
                (
                    _,
                    Some(Value {
                        origin: Origin::CommandLine,
                        ..
                    }),
                ) => {}
                ("?=", Some(existing)) => {
                    if condition.is_some() && existing.value != value {
                        self.blocked.push(BlockedRule {
                            file: path.to_path_buf(),
                            line: line_no,
                            variable: name.to_string(),
                            wanted: value.clone(),
                            set_at: describe(&existing.origin),
                        });
                    }
                }
                _ => {
                    self.vars.insert(
                        name.to_string(),
                        Value {
                            value,
                            origin: Origin::File {
                                file: path.to_path_buf(),
                                line: line_no,
                                condition,
                            },
                        },
                    );
                }
            }
        }
        if !conds.is_empty() {
            return Err(Error::syntax(path, text.lines().count(), "missing `endif`"));
        }
        Ok(())
    }
}

/// One open `ifeq`: (branch taken, some branch taken already, (condition variable, compared
/// value) when it tests a variable).
type Conditional = (bool, bool, Option<(String, String)>);

/// "FILE:LINE" or "the command line".
pub fn describe(origin: &Origin) -> String {
    match origin {
        Origin::CommandLine => "the command line".into(),
        Origin::File { file, line, .. } => format!("{}:{line}", file.display()),
    }
}

/// `NAME ?= V`, `NAME = V`, `NAME := V`, `NAME ::= V`, `NAME += V` (name must be a plain word).
fn split_assignment(line: &str) -> Option<(&str, &'static str, &str)> {
    for op in ["::=", ":=", "?=", "+=", "="] {
        if let Some(i) = line.find(op) {
            let name = line[..i].trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                let op = match op {
                    "::=" | ":=" => ":=",
                    "?=" => "?=",
                    "+=" => return None,
                    _ => "=",
                };
                return Some((name, op, &line[i + if op == "=" { 1 } else { 2 }..]));
            }
            return None;
        }
    }
    None
}

/// `($(VAR),VALUE)` → ("$(VAR)", "VALUE", Some(VAR)); also `"A" "B"` forms.
fn parse_condition(s: &str) -> std::result::Result<(String, String, Option<String>), String> {
    let inner = s
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("unsupported condition `{s}` (expected `(A,B)`)"))?;
    let (a, b) = inner
        .split_once(',')
        .ok_or_else(|| format!("unsupported condition `{s}` (expected `(A,B)`)"))?;
    let var = a
        .trim()
        .strip_prefix("$(")
        .and_then(|v| v.strip_suffix(')'))
        .map(str::to_string);
    Ok((a.trim().to_string(), b.trim().to_string(), var))
}

/// A file that holds only the name of an existing sibling: a symlink stored as text by git.
fn git_symlink_target(path: &Path, text: &str) -> Option<PathBuf> {
    let t = text.trim();
    if t.is_empty() || t.contains(char::is_whitespace) || t.contains(['=', ':', '(', '$']) {
        return None;
    }
    let target = path.parent()?.join(t);
    (target.is_file() && target != path).then_some(target)
}

/// Evaluates OSv's profile `name` for `arch` under `root` (which holds conf/profiles/<arch>/):
/// the profile's file, then base.mk, command-line variables winning.
pub fn eval_osv_profile(
    root: &Path,
    arch: &str,
    name: &str,
    command_line: &[(String, String)],
) -> Result<MakeState> {
    let mut cl = vec![("arch".to_string(), arch.to_string())];
    cl.extend(command_line.iter().cloned());
    let mut state = MakeState::with_command_line(&cl);
    let dir = root.join("conf/profiles").join(arch);
    let profile = dir.join(format!("{name}.mk"));
    if !profile.is_file() {
        return Err(Error::Usage(format!(
            "no profile `{name}` for {arch}: {} does not exist",
            profile.display()
        )));
    }
    if name != "base" {
        state.eval_file(root, &profile, 0)?;
    }
    state.eval_file(root, &dir.join("base.mk"), 0)?;
    Ok(state)
}

/// The profile names of `arch` (file stems of conf/profiles/<arch>/*.mk), sorted.
pub fn osv_profile_names(root: &Path, arch: &str) -> Result<Vec<String>> {
    let dir = root.join("conf/profiles").join(arch);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io("reading directory", &dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".mk").map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, cl: &[(&str, &str)]) -> MakeState {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.mk");
        std::fs::write(&p, text).unwrap();
        let cl: Vec<(String, String)> = cl
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut s = MakeState::with_command_line(&cl);
        s.eval_file(dir.path(), &p, 0).unwrap();
        s
    }

    #[test]
    fn make_semantics() {
        let s = eval(
            "a?=1\na?=2\nexport b = $(a)x\nifeq ($(a),1)\nc?=yes\nelse\nc?=no\nendif\n",
            &[],
        );
        assert_eq!((s.get("a"), s.get("b"), s.get("c")), ("1", "1x", "yes"));
        let s = eval("a=1\nifneq ($(a),1)\nd=1\nendif\n", &[("a", "7")]);
        assert_eq!((s.get("a"), s.get("d")), ("7", "1"));
    }

    #[test]
    fn blocked_rule_is_reported() {
        let s = eval("x?=0\ny?=1\nifeq ($(y),1)\nx?=1\nendif\n", &[]);
        assert_eq!(s.get("x"), "0");
        assert_eq!(s.blocked.len(), 1);
        assert_eq!(s.blocked[0].line, 4);
    }

    #[test]
    fn unsupported_constructs_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.mk");
        for (text, needle) in [
            ("a?=1\nall: ; echo\n", "unsupported make construct"),
            ("ifeq ($(a),1)\n", "missing `endif`"),
            ("endif\n", "without `ifeq`"),
            ("a = $(shell ls)\n", "unsupported make function"),
        ] {
            std::fs::write(&p, text).unwrap();
            let e = MakeState::default()
                .eval_file(dir.path(), &p, 0)
                .unwrap_err()
                .to_string();
            assert!(e.contains("bad.mk:") && e.contains(needle), "{text}: {e}");
        }
    }
}
