//! OSv `usr.manifest` files: the grammar of OSv's scripts/manifest_common.py, and the host files
//! an image built from the manifest would contain.
//!
//! Grammar: blank lines, whole-line `#` comments and `[manifest]` are skipped; an entry is
//! `guest: host`, split on the first `": "`; a later entry for the same guest path replaces the
//! earlier one (as OSv's ordered dict does). The host side expands `%(VAR)s` (python `%`
//! formatting: `%%` is a literal `%`) and `${VAR}` from `-D VAR=VALUE`. `guest/**: host/**` is
//! every file below the host directory; `P/&/S: H/&` means `P/S: H/S`; `guest: ->target` is a
//! symlink in the image; a host path starting with `!` keeps a host symlink as it is; a host
//! directory gives an empty guest directory; relative host paths are relative to the manifest.

use std::path::{Path, PathBuf};

use super::{walk, Candidate, Origin};
use crate::error::{Error, Result};
use crate::hash::FxHashMap;

/// One manifest entry after variable expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line in the manifest.
    pub line: usize,
    /// Path inside the image.
    pub guest: String,
    /// What the image holds there.
    pub host: Host,
}

/// The host side of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host path (file, directory, or `**` tree), variables expanded.
    Path(String),
    /// `->target`: a symlink created in the image.
    ImageSymlink(String),
    /// `!path`: the host symlink itself is copied, not what it points to.
    KeepSymlink(String),
}

/// Parses a manifest's text. Errors name the file and line.
pub fn parse(path: &Path, text: &str, defines: &[(String, String)]) -> Result<Vec<Entry>> {
    let vars: FxHashMap<&str, &str> = defines
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_guest: FxHashMap<String, usize> = FxHashMap::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || line == "[manifest]" {
            continue;
        }
        let Some((guest, host)) = line.split_once(": ") else {
            return Err(Error::syntax(
                path,
                line_no,
                format!("expected `guest: host`, found `{line}`"),
            ));
        };
        let entry = parse_entry(guest, host, &vars)
            .map_err(|detail| Error::syntax(path, line_no, detail))?;
        let entry = Entry {
            line: line_no,
            ..entry
        };
        match by_guest.get(&entry.guest) {
            Some(&at) => entries[at] = entry,
            None => {
                by_guest.insert(entry.guest.clone(), entries.len());
                entries.push(entry);
            }
        }
    }
    Ok(entries)
}

fn parse_entry(guest: &str, host: &str, vars: &FxHashMap<&str, &str>) -> Result<Entry, String> {
    if guest.trim().is_empty() {
        return Err("empty guest path".into());
    }
    if host.trim().is_empty() {
        return Err(format!("empty host path for `{guest}`"));
    }
    let host = expand_vars(host, vars)?;
    let host = if let Some(target) = host.strip_prefix("->") {
        Host::ImageSymlink(target.to_string())
    } else if let Some(p) = host.strip_prefix('!') {
        Host::KeepSymlink(p.to_string())
    } else {
        Host::Path(host)
    };
    let (guest, host) = expand_ampersand(guest, host)?;
    if let Host::Path(h) = &host {
        if guest.ends_with("/**") != h.ends_with("/**") {
            return Err(format!(
                "`/**` must end both sides or neither: `{guest}: {h}`"
            ));
        }
    }
    Ok(Entry {
        line: 0,
        guest,
        host,
    })
}

/// `P/&/S: H/&` → `P/S: H/S`.
fn expand_ampersand(guest: &str, host: Host) -> Result<(String, Host), String> {
    let Some((prefix, suffix)) = guest.split_once("/&/") else {
        return Ok((guest.to_string(), host));
    };
    match host {
        Host::Path(h) if h.ends_with("/&") => {
            let host = format!("{}{}", &h[..h.len() - 1], suffix);
            Ok((format!("{prefix}/{suffix}"), Host::Path(host)))
        }
        Host::Path(h) => Err(format!(
            "guest `{guest}` uses `/&/` but host `{h}` does not end with `/&`"
        )),
        _ => Err(format!("guest `{guest}` uses `/&/` with a symlink host")),
    }
}

/// Expands `%(VAR)s`, `%%` and `${VAR}`; an undefined variable is an error naming it.
fn expand_vars(s: &str, vars: &FxHashMap<&str, &str>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(['%', '$']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let (name, after) = if let Some(t) = tail.strip_prefix("%%") {
            out.push('%');
            rest = t;
            continue;
        } else if let Some(t) = tail.strip_prefix("%(") {
            let end = t
                .find(")s")
                .ok_or_else(|| format!("unterminated `%(` in `{s}` (expected `%(VAR)s`)"))?;
            (&t[..end], &t[end + 2..])
        } else if let Some(t) = tail.strip_prefix("${") {
            let end = t
                .find('}')
                .ok_or_else(|| format!("unterminated `${{` in `{s}`"))?;
            (&t[..end], &t[end + 1..])
        } else if tail.starts_with('%') {
            return Err(format!(
                "stray `%` in `{s}` (write `%%` for a literal percent sign)"
            ));
        } else {
            out.push('$');
            rest = &tail[1..];
            continue;
        };
        let value = vars.get(name).ok_or_else(|| {
            format!("undefined variable `{name}` (define it with -D {name}=VALUE)")
        })?;
        out.push_str(value);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// The host files the image would contain, as candidates in manifest order. Image symlinks,
/// kept host symlinks and directories hold no file to read; a missing host file is an error.
pub fn host_files(path: &Path, entries: &[Entry], out: &mut Vec<Candidate>) -> Result<()> {
    let base = path.parent().unwrap_or(Path::new("."));
    let resolve = |h: &str| -> PathBuf {
        let p = Path::new(h);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    for e in entries {
        let missing = |host: &Path, err: std::io::Error| {
            Error::syntax(
                path,
                e.line,
                format!("host path {} for `{}`: {err}", host.display(), e.guest),
            )
        };
        match &e.host {
            Host::ImageSymlink(_) => {}
            Host::KeepSymlink(h) => {
                let host = resolve(h);
                let meta = std::fs::symlink_metadata(&host).map_err(|err| missing(&host, err))?;
                if meta.is_file() {
                    out.push(collected(host));
                }
            }
            Host::Path(h) => {
                if let Some(dir) = h.strip_suffix("/**") {
                    let dir = resolve(dir);
                    let mut visited = Default::default();
                    walk::walk_files(&dir, &mut visited, &mut |p| out.push(collected(p)))?;
                } else {
                    let host = resolve(h);
                    let meta = std::fs::metadata(&host).map_err(|err| missing(&host, err))?;
                    if !meta.is_dir() {
                        out.push(collected(host));
                    }
                }
            }
        }
    }
    Ok(())
}

fn collected(path: PathBuf) -> Candidate {
    Candidate {
        path,
        origin: Origin::Collected,
        regular: true,
        part: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Vec<(String, String)> {
        vec![
            ("libgcc_s_dir".into(), "/lib".into()),
            ("MODULE_DIR".into(), "/m".into()),
        ]
    }

    fn one(line: &str) -> Result<Entry> {
        let v = parse(Path::new("t.manifest"), line, &defs())?;
        Ok(v.into_iter().next().expect("one entry"))
    }

    #[test]
    fn grammar() {
        let e = one("/usr/lib/libgcc_s.so.1: %(libgcc_s_dir)s/libgcc_s.so.1").unwrap();
        assert_eq!(e.host, Host::Path("/lib/libgcc_s.so.1".into()));
        let e = one("/x.so: ${MODULE_DIR}/obj/x.so").unwrap();
        assert_eq!(e.host, Host::Path("/m/obj/x.so".into()));
        let e = one("/&/etc/hosts: ../../static/&").unwrap();
        assert_eq!(e.guest, "/etc/hosts");
        assert_eq!(e.host, Host::Path("../../static/etc/hosts".into()));
        let e = one("/etc/mnttab: ->/proc/mounts").unwrap();
        assert_eq!(e.host, Host::ImageSymlink("/proc/mounts".into()));
        let e = one("/a: !b").unwrap();
        assert_eq!(e.host, Host::KeepSymlink("b".into()));
        let e = one("/p: 100%%").unwrap();
        assert_eq!(e.host, Host::Path("100%".into()));
        let e = one("/a: b: c").unwrap();
        assert_eq!(
            (e.guest.as_str(), e.host),
            ("/a", Host::Path("b: c".into()))
        );
    }

    #[test]
    fn comments_header_and_override() {
        let text = "# c\n  # indented\n\n[manifest]\n/a: one\n/b: two\n/a: three\n";
        let v = parse(Path::new("m"), text, &[]).unwrap();
        let got: Vec<_> = v.iter().map(|e| (e.line, e.guest.as_str())).collect();
        assert_eq!(got, vec![(7, "/a"), (6, "/b")]);
        assert_eq!(v[0].host, Host::Path("three".into()));
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (text, needle) in [
            ("/a:b", "expected `guest: host`"),
            ("/a: %(nope)s/x", "undefined variable `nope`"),
            ("/a: %(nope", "unterminated `%(`"),
            ("/a: ${X", "unterminated `${`"),
            ("/a: 5%", "stray `%`"),
            ("/a/**: b", "`/**` must end both sides"),
            ("/p/&/x: h", "does not end with `/&`"),
            (": h", "empty guest"),
        ] {
            let err = parse(Path::new("m.manifest"), &format!("# x\n{text}\n"), &[])
                .expect_err(text)
                .to_string();
            assert!(err.starts_with("m.manifest:2: "), "{err}");
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}

#[cfg(test)]
mod real_manifests {
    use super::*;

    /// Every manifest of OSv and its apps in ../shared/osv-data parses with OSv's variables.
    #[test]
    fn all_real_manifests_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv-data/manifests");
        let mut files = Vec::new();
        let mut visited = Default::default();
        walk::walk_files(&root, &mut visited, &mut |p| files.push(p))
            .expect("../shared/osv-data/manifests is missing: CI clones shared/ beside the repo");
        assert!(files.len() >= 80, "only {} manifests", files.len());
        let defines = vec![
            ("MODULE_DIR".to_string(), "/m".to_string()),
            ("OSV_BASE".to_string(), "/osv".to_string()),
            ("libgcc_s_dir".to_string(), "/lib".to_string()),
        ];
        let mut entries = 0;
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            let parsed = parse(f, &text, &defines).unwrap_or_else(|e| panic!("{e}"));
            entries += parsed.len();
            for e in &parsed {
                if let Host::Path(h) = &e.host {
                    assert!(
                        !h.contains("${") && !h.contains("%("),
                        "{}: {h}",
                        f.display()
                    );
                }
            }
        }
        assert!(entries > 150, "{entries} entries");
    }
}
