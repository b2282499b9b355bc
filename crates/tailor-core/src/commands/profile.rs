//! `tailor profile`: list profiles; show one profile's effective features and why each is on;
//! write the generated C header, make fragment, JSON description and object list (atomically,
//! only when they change); convert OSv's make profiles to the TOML format.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{emit, to_json, Format, Status};
use crate::decide::profile::{self, ProfileSet, Resolved, Why};
use crate::error::{Error, Result};
use crate::glob::fnmatch;
use crate::inputs::make_profile;
use crate::output;

/// Where profiles come from.
#[derive(Debug, Clone)]
pub enum ProfileSource {
    /// A TOML file.
    Config(PathBuf),
    /// OSv's make profiles under ROOT/conf/profiles/<arch>/.
    Make(PathBuf),
}

/// What to write for `tailor profile write`.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    pub header: Option<PathBuf>,
    pub make: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub objects: Option<PathBuf>,
}

/// Resolves `profile` from `source` (the TOML set too, when there is one).
pub fn resolve(
    source: &ProfileSource,
    arch: Option<&str>,
    profile: &str,
    overrides: &[(String, bool)],
) -> Result<(Resolved, Option<ProfileSet>)> {
    match source {
        ProfileSource::Config(path) => {
            let set = ProfileSet::load(path, arch)?;
            Ok((set.resolve(profile, overrides)?, Some(set)))
        }
        ProfileSource::Make(root) => {
            let arch = arch.ok_or_else(|| Error::Usage("--from-make needs --arch ARCH".into()))?;
            Ok((
                profile::resolve_make(root, arch, profile, overrides)?.0,
                None,
            ))
        }
    }
}

/// `--set NAME=0|1`.
pub fn parse_override(s: &str) -> std::result::Result<(String, bool), String> {
    match s.split_once('=') {
        Some((n, "1")) => Ok((n.to_string(), true)),
        Some((n, "0")) => Ok((n.to_string(), false)),
        _ => Err(format!("expected FEATURE=0 or FEATURE=1, found `{s}`")),
    }
}

/// `tailor profile list`.
pub fn list(source: &ProfileSource, arch: Option<&str>, out: &mut dyn Write) -> Result<Status> {
    let names = match source {
        ProfileSource::Config(path) => ProfileSet::load(path, arch)?
            .profiles
            .keys()
            .cloned()
            .collect(),
        ProfileSource::Make(root) => make_profile::osv_profile_names(
            root,
            arch.ok_or_else(|| Error::Usage("--from-make needs --arch ARCH".into()))?,
        )?,
    };
    emit(out, format!("{}\n", names.join("\n")).as_bytes())?;
    Ok(Status::Ok)
}

/// `tailor profile show`.
pub fn show(
    r: &Resolved,
    format: Format,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Status> {
    for w in &r.warnings {
        let _ = writeln!(log, "tailor: warning: {w}");
    }
    let text = match format {
        Format::Json => to_json(r),
        Format::Text => {
            let mut s = format!(
                "profile {}: {} of {} features on\n",
                r.profile,
                r.enabled.len(),
                r.enabled.len() + r.disabled.len()
            );
            for f in &r.enabled {
                let why = match &r.why[f] {
                    Why::Enabled(p) => format!("enabled by profile {p}"),
                    Why::RequiredBy(g) => format!("required by {g}"),
                    Why::CommandLine => "set on the command line".into(),
                };
                s.push_str(&format!("  on   {f:<20} {why}\n"));
            }
            for f in &r.disabled {
                s.push_str(&format!("  off  {f}\n"));
            }
            s.into_bytes()
        }
    };
    emit(out, &text)?;
    Ok(Status::Ok)
}

/// `tailor profile write`: each output atomically, only when its content changes.
pub fn write(
    r: &Resolved,
    set: Option<&ProfileSet>,
    outputs: &Outputs,
    log: &mut dyn Write,
) -> Result<Status> {
    let mut written = Vec::new();
    let mut put = |path: &Option<PathBuf>, content: &[u8]| -> Result<()> {
        if let Some(p) = path {
            if output::write_if_changed(p, content)? == output::WriteOutcome::Written {
                written.push(p.display().to_string());
            }
        }
        Ok(())
    };
    put(&outputs.header, profile::render_header(r).as_bytes())?;
    put(&outputs.make, profile::render_make(r).as_bytes())?;
    put(&outputs.json, &to_json(r))?;
    if outputs.objects.is_some() {
        let set = set
            .ok_or_else(|| Error::Usage("--objects needs a TOML profile file (--config)".into()))?;
        let mut objects: Vec<String> = Vec::new();
        for f in &r.enabled {
            for pattern in &set.features[f].objects {
                objects.extend(expand_glob(pattern)?);
            }
        }
        objects.sort();
        objects.dedup();
        let mut text = objects.join("\n");
        text.push('\n');
        put(&outputs.objects, text.as_bytes())?;
    }
    let _ = writeln!(
        log,
        "tailor: profile {}: {} features on; {}",
        r.profile,
        r.enabled.len(),
        if written.is_empty() {
            "outputs unchanged".to_string()
        } else {
            format!("wrote {}", written.join(", "))
        }
    );
    Ok(Status::Ok)
}

/// Files matching a glob whose wildcards are in its last component (`drivers/virtio*.o`).
pub fn expand_glob(pattern: &str) -> Result<Vec<String>> {
    let (dir, file) = match pattern.rsplit_once('/') {
        Some((d, f)) => (d, f),
        None => (".", pattern),
    };
    if !file.contains(['*', '?', '[']) {
        return Ok(if Path::new(pattern).exists() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        });
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return Ok(Vec::new()),
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| fnmatch(file.as_bytes(), n.as_bytes()))
        .map(|n| {
            if dir == "." && !pattern.starts_with("./") {
                n
            } else {
                format!("{dir}/{n}")
            }
        })
        .collect();
    out.sort();
    Ok(out)
}
