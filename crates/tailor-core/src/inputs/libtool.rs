//! libtool's build tree: a program's wrapper script (`./sqlite3`, a shell script standing for
//! `.libs/sqlite3` until installation), a library's `.la` file (standing for
//! `.libs/libsqlite3.so.0`), and `libtool --mode=link` commands, which tailor resolves to the
//! command libtool runs (`libtool --dry-run` prints it).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::link_command::{is_driver, is_linker, split_response};
use super::Mapped;
use crate::error::{Error, Result};

/// What a libtool file stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    /// The ELF file.
    pub elf: PathBuf,
    /// "a libtool wrapper" or "a libtool library".
    pub what: &'static str,
}

/// An ELF file named by the user, mapped: `map` itself when it is ELF, else the ELF file the
/// libtool wrapper script or `.la` file it is stands for, with a note saying so; anything else
/// is `PATH: not an ELF file (N bytes)`.
pub fn named_elf(path: &Path, map: Mapped) -> Result<(PathBuf, Mapped, Option<String>)> {
    if map.is_elf() {
        return Ok((path.to_path_buf(), map, None));
    }
    let Some(wrapped) = wrapped_elf(path, map.bytes()) else {
        return Err(Error::not_elf(path, map.bytes()));
    };
    let wrapped = wrapped?;
    let note = format!(
        "{} is {}; using {}",
        path.display(),
        wrapped.what,
        wrapped.elf.display()
    );
    let data = Mapped::open(&wrapped.elf)?;
    if !data.is_elf() {
        return Err(Error::not_elf(&wrapped.elf, data.bytes()));
    }
    Ok((wrapped.elf, data, Some(note)))
}

/// If `data`, the start of the file `path`, is a libtool wrapper script or `.la` file: the ELF
/// file it stands for (an error naming that file when it is not there).
pub fn wrapped_elf(path: &Path, data: &[u8]) -> Option<Result<Wrapped>> {
    let head = &data[..data.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    // `./sqlite3` stands for `.libs/sqlite3`, as libtool names it.
    let dir = match path.parent() {
        Some(p) if p != Path::new(".") => p,
        _ => Path::new(""),
    };
    let (what, candidates) = if let Some(target) = wrapper_target(&text) {
        ("a libtool wrapper", vec![dir.join(target)])
    } else if let Some(la) = LaFile::parse(&text) {
        if la.dlname.is_empty() {
            return Some(Err(Error::Usage(format!(
                "{}: a libtool library without a shared library (dlname is empty: static only)",
                path.display()
            ))));
        }
        let mut c = Vec::new();
        if la.installed {
            c.push(Path::new(&la.libdir).join(&la.dlname));
        } else {
            c.push(dir.join(".libs").join(&la.dlname));
        }
        c.push(dir.join(&la.dlname));
        ("a libtool library", c)
    } else {
        return None;
    };
    let found = candidates.iter().find(|c| c.is_file()).cloned();
    Some(match found {
        Some(elf) => Ok(Wrapped { elf, what }),
        None => Err(Error::Usage(format!(
            "{}: {what} for {}, which does not exist (not built yet?)",
            path.display(),
            candidates[0].display()
        ))),
    })
}

/// `# NAME - temporary wrapper script for .libs/NAME` in a shell script's first lines.
fn wrapper_target(text: &str) -> Option<&str> {
    if !text.starts_with("#!") {
        return None;
    }
    text.lines().take(20).find_map(|l| {
        let rest = l.strip_prefix("# ")?;
        let (_, target) = rest.split_once(" - temporary wrapper script for ")?;
        let target = target.trim();
        (!target.is_empty()).then_some(target)
    })
}

/// The fields of a `.la` file tailor uses.
struct LaFile {
    dlname: String,
    libdir: String,
    installed: bool,
}

impl LaFile {
    /// A `.la` file: its first line says `- a libtool library file`, and it sets `dlname`.
    fn parse(text: &str) -> Option<Self> {
        if !text.lines().next()?.contains("- a libtool library file") {
            return None;
        }
        let field = |name: &str| -> Option<String> {
            text.lines().find_map(|l| {
                let v = l.strip_prefix(name)?.strip_prefix('=')?;
                Some(v.trim().trim_matches('\'').to_string())
            })
        };
        Some(LaFile {
            dlname: field("dlname")?,
            libdir: field("libdir").unwrap_or_default(),
            installed: field("installed").as_deref() == Some("yes"),
        })
    }
}

/// Whether `argv` runs libtool in link mode (`libtool --mode=link`, `./libtool --tag=CC
/// --mode=link`, `libtool --mode link`, `libtool link`).
pub fn is_link_mode(argv: &[String]) -> bool {
    let Some(program) = argv.first() else {
        return false;
    };
    let base = program.rsplit('/').next().unwrap_or(program);
    if base != "libtool" && !base.ends_with("-libtool") {
        return false;
    }
    let mut it = argv[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mode=link" | "--mode=l" => return true,
            "--mode" => return it.next().is_some_and(|m| m == "link"),
            a if a.starts_with("--mode=") => return false,
            "link" => return true,
            a if a.starts_with('-') => continue,
            _ => return false,
        }
    }
    false
}

/// The command `libtool --mode=link ...` runs to link: asked of libtool with `--dry-run`
/// (which prints its commands and changes nothing), the line running a compiler driver or
/// linker with `-o`, the shared-library one first.
pub fn real_link_command(argv: &[String]) -> Result<Vec<String>> {
    let hint =
        "give tailor the command libtool runs (`libtool --dry-run --mode=link ...` prints it)";
    let display = super::link_command::shell_join(argv);
    let out = Command::new(&argv[0])
        .arg("--dry-run")
        .args(&argv[1..])
        .output()
        .map_err(|e| {
            Error::spawn(
                "asking libtool for its link command",
                &argv[0],
                display.clone(),
                e,
            )
        })?;
    if !out.status.success() {
        return Err(Error::Tool {
            what: "asking libtool for its link command (--dry-run)",
            command: format!(
                "{} --dry-run {}",
                argv[0],
                super::link_command::shell_join(&argv[1..])
            ),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let links: Vec<Vec<String>> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("libtool: link: "))
        .map(split_response)
        .filter(|w| {
            w.first().is_some_and(|p| is_driver(p) || is_linker(p))
                && w.iter()
                    .any(|a| a == "-o" || (a.starts_with("-o") && a.len() > 2))
        })
        .collect();
    let shared = links.iter().find(|w| w.iter().any(|a| a == "-shared"));
    shared.or(links.first()).cloned().ok_or_else(|| {
        Error::Usage(format!(
            "{display}: libtool --dry-run printed no compiler or linker command that links; {hint}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn link_mode_spellings() {
        for yes in [
            "libtool --mode=link gcc -o libfoo.la a.lo",
            "./libtool --tag=CC --mode=link gcc -o libfoo.la a.lo",
            "/usr/bin/libtool --mode link gcc -o x",
            "libtool --silent link gcc -o x",
        ] {
            assert!(is_link_mode(&argv(yes)), "{yes}");
        }
        for no in [
            "libtool --mode=compile gcc -c a.c",
            "gcc -o x a.o",
            "libtoolize --copy",
            "libtool gcc -o x",
        ] {
            assert!(!is_link_mode(&argv(no)), "{no}");
        }
    }

    #[test]
    fn wrapper_scripts_and_la_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join(".libs")).unwrap();
        std::fs::write(d.join(".libs/prog"), b"\x7fELF").unwrap();
        std::fs::write(d.join(".libs/libfoo.so.0"), b"\x7fELF").unwrap();
        let script = b"#! /bin/bash\n\n# prog - temporary wrapper script for .libs/prog\n# Generated by libtool\n";
        let w = wrapped_elf(&d.join("prog"), script).unwrap().unwrap();
        assert_eq!(w.elf, d.join(".libs/prog"));
        let la = b"# libfoo.la - a libtool library file\n# Generated by libtool\ndlname='libfoo.so.0'\nlibrary_names='libfoo.so.0.0.0 libfoo.so.0 libfoo.so'\ninstalled=no\nlibdir='/usr/lib'\n";
        let w = wrapped_elf(&d.join("libfoo.la"), la).unwrap().unwrap();
        assert_eq!(w.elf, d.join(".libs/libfoo.so.0"));
        let other = b"#! /bin/bash\n# other - temporary wrapper script for .libs/other\n";
        let e = wrapped_elf(&d.join("other"), other)
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("a libtool wrapper for") && e.contains(".libs/other"),
            "{e}"
        );
        let static_la = b"# libs.la - a libtool library file\ndlname=''\n";
        let e = wrapped_elf(&d.join("libs.la"), static_la)
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(e.contains("static only"), "{e}");
        assert!(wrapped_elf(&d.join("x.sh"), b"#!/bin/sh\necho hi\n").is_none());
        assert!(wrapped_elf(&d.join("x.txt"), b"hello\n").is_none());
    }
}
