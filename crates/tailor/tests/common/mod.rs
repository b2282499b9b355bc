//! Helpers shared by the CLI tests: the real toolchain (a missing tool fails the test and says
//! what to install), C fixtures compiled at test time, and the tailor binary.
#![allow(dead_code)]

pub mod browser;
pub mod e2e;
pub mod gc_sections;
pub mod libfix;
pub mod libs;
pub mod osv;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The tailor binary under test.
pub fn tailor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
}

/// Runs tailor with `args`, asserting success; returns stdout.
pub fn tailor_ok(args: &[&str]) -> String {
    let out = tailor().args(args).output().expect("running tailor");
    assert!(
        out.status.success(),
        "tailor {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Path of a tool, or a failing test that says which Debian package provides it.
pub fn need_tool(tool: &str, package: &str) -> PathBuf {
    find_tool(tool).unwrap_or_else(|| {
        panic!("`{tool}` is not installed: run scripts/setup.sh (Debian package {package})")
    })
}

/// Path of a tool on PATH.
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

/// Runs a command, asserting success, returning its output.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a tool by name (checked to exist), asserting success, returning stdout.
pub fn tool_stdout(tool: &str, package: &str, args: &[&str]) -> String {
    let path = need_tool(tool, package);
    String::from_utf8_lossy(&run(Command::new(path).args(args)).stdout).into_owned()
}

/// Compiles with gcc in `dir`.
pub fn gcc(dir: &Path, args: &[&str]) {
    let cc = need_tool("gcc", "gcc");
    run(Command::new(cc).current_dir(dir).args(args));
}

/// Writes a file.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writing fixture");
    p
}

/// (name, version) pairs: what `nm -D --undefined-only` lists, as `name@version`.
pub type SymSet = BTreeSet<(String, Option<String>)>;

/// Parses `nm` output lines `   U name@VERSION` / `   w name` (the last field).
pub fn parse_nm_undefined(text: &str) -> SymSet {
    text.lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|f| !f.ends_with(':') && !f.is_empty())
        .map(split_version)
        .collect()
}

/// `name@V` / `name@@V` / `name` → (name, Some(V) / None).
pub fn split_version(s: &str) -> (String, Option<String>) {
    match s.split_once('@') {
        Some((n, v)) => (n.to_string(), Some(v.trim_start_matches('@').to_string())),
        None => (s.to_string(), None),
    }
}

/// Symbols named by COPY relocations in `readelf -rW` output.
pub fn parse_readelf_copies(text: &str) -> SymSet {
    text.lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(2)
                .is_some_and(|t| t.ends_with("_COPY"))
        })
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(split_version)
        .collect()
}

/// Names of the defined dynamic symbols per `nm -D --defined-only` (version nodes excluded).
pub fn parse_nm_defined(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [_, "A", _] => None, // version node symbols (ABS)
                [_, _, name] => Some(split_version(name).0),
                _ => None,
            }
        })
        .collect()
}

/// The `symbols` of `tailor needs --format json`, per consumer path: (name, version) sets,
/// plus the set of copy-relocated symbols.
pub fn needs_by_consumer(
    json: &serde_json::Value,
) -> (std::collections::BTreeMap<String, SymSet>, SymSet) {
    let mut per = std::collections::BTreeMap::new();
    let mut copies = SymSet::new();
    for s in json["symbols"].as_array().expect("symbols array") {
        if s["imported"] == false {
            continue;
        }
        let key = (
            s["name"].as_str().expect("name").to_string(),
            s["version"].as_str().map(str::to_string),
        );
        if s["copy"].as_bool() == Some(true) {
            copies.insert(key.clone());
        }
        for c in s["consumers"].as_array().expect("consumers") {
            per.entry(c.as_str().expect("path").to_string())
                .or_insert_with(SymSet::new)
                .insert(key.clone());
        }
    }
    (per, copies)
}

/// The script between the `=====` lines of `ld --verbose` output.
pub fn verbose_script(text: &str) -> String {
    let body: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("====="))
        .skip(1)
        .take_while(|l| !l.starts_with("====="))
        .collect();
    body.join("\n")
}
