//! End to end on real source trees: musl (Debian's source package) re-linked with its own link
//! command for hello and lua (built with musl-gcc), with GNU ld, lld and mold; every program
//! runs on its tailored libc exactly as on the generic one. Build products are cached by
//! scripts/e2e-build.sh in target/e2e.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::{e2e, E2e};
use common::*;

/// Runs a program with `libc` as its dynamic linker; returns (status success, stdout+stderr).
fn run_with(libc: &Path, prog: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(libc)
        .arg(prog)
        .args(args)
        .env("TAILOR_LUA_VAR", "e2e")
        .output()
        .expect("running the program");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn link(
    e: &E2e,
    out: &Path,
    linker: &str,
    consumers: &[PathBuf],
    extra: &[&str],
) -> serde_json::Value {
    let report = out.with_extension("json");
    let mut cmd = tailor();
    cmd.current_dir(e.path("MUSL_DIR"))
        .arg("link")
        .args(consumers);
    cmd.args(["--linker", linker, "-o"])
        .arg(out)
        .arg("--report")
        .arg(&report)
        .args(extra);
    cmd.arg("--")
        .arg(e.get("LINK_CC"))
        .arg(format!("@{}", e.get("LINK_RSP")));
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{linker} {consumers:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap()
}

#[test]
fn musl_tailored_to_hello_and_lua_with_every_linker() {
    let e = e2e();
    let (libc, hello, lua) = (e.path("LIBC"), e.path("HELLO"), e.path("LUA"));
    let script = e.get("LUA_SCRIPT").to_string();
    let generic_hello = run_with(&libc, &hello, &["e2e"]);
    let generic_lua = run_with(&libc, &lua, &[&script]);
    assert!(
        generic_hello.0 && generic_lua.0,
        "generic runs failed: {generic_hello:?} {generic_lua:?}"
    );
    assert!(
        generic_lua.1.lines().count() > 20,
        "lua script output too short:\n{}",
        generic_lua.1
    );
    let dir = tempfile::tempdir().unwrap();
    for linker in ["bfd", "lld", "mold"] {
        need_tool(
            if linker == "bfd" {
                "ld.bfd"
            } else if linker == "lld" {
                "ld.lld"
            } else {
                "mold"
            },
            linker,
        );
        for (name, consumers) in [
            ("hello", vec![hello.clone()]),
            ("lua", vec![lua.clone()]),
            ("both", vec![hello.clone(), lua.clone()]),
        ] {
            for size in [false, true] {
                let out = dir.path().join(format!(
                    "libc-{name}-{linker}{}.so",
                    if size { "-size" } else { "" }
                ));
                let report = link(
                    &e,
                    &out,
                    linker,
                    &consumers,
                    if size { &["--size"] } else { &[] },
                );
                let what = format!("{linker} {name} size={size}");
                assert!(
                    report["verification"]["problems"]
                        .as_array()
                        .unwrap()
                        .is_empty(),
                    "{what}"
                );
                let (g, t) = (
                    &report["generic_stats"]["file_size"],
                    &report["tailored_stats"]["file_size"],
                );
                assert!(t.as_u64() < g.as_u64(), "{what}: {t} >= {g}");
                assert!(
                    report["exports_tailored"].as_u64() < report["exports_generic"].as_u64(),
                    "{what}"
                );
                let images: Vec<PathBuf> = if size {
                    vec![
                        out.clone(),
                        PathBuf::from(format!("{}.stripped", out.display())),
                    ]
                } else {
                    vec![out.clone()]
                };
                for image in images {
                    if consumers.contains(&hello) {
                        assert_eq!(
                            run_with(&image, &hello, &["e2e"]),
                            generic_hello,
                            "{what}: hello"
                        );
                    }
                    if consumers.contains(&lua) {
                        assert_eq!(
                            run_with(&image, &lua, &[&script]),
                            generic_lua,
                            "{what}: lua"
                        );
                    }
                }
                eprintln!(
                    "{what}: {t} of {g} bytes, {} exports",
                    report["exports_tailored"]
                );
            }
        }
    }
}

#[test]
fn without_by_name_lookups_musl_cannot_start_and_verify_names_what_is_missing() {
    let e = e2e();
    let (libc, hello, lua) = (e.path("LIBC"), e.path("HELLO"), e.path("LUA"));
    let dir = tempfile::tempdir().unwrap();
    // musl's dynamic linker finds its own stage-3 entry points by name: without the by-name
    // detection the tailored libc cannot even start a program.
    let blind = dir.path().join("libc-blind.so");
    link(
        &e,
        &blind,
        "bfd",
        std::slice::from_ref(&hello),
        &["--no-by-name"],
    );
    let (ok, _) = run_with(&blind, &hello, &["e2e"]);
    assert!(!ok, "a libc without its by-name entry points ran hello");
    let tailored = dir.path().join("libc-hello.so");
    let report = link(&e, &tailored, "bfd", std::slice::from_ref(&hello), &[]);
    let by_name: Vec<&str> = report["by_name"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let dynlink = Path::new(e.get("MUSL_DIR")).join("ldso/dynlink.c");
    let source = std::fs::read_to_string(dynlink).unwrap();
    assert!(
        run_with(&tailored, &hello, &["e2e"]).0,
        "the tailored libc does not run hello"
    );
    // Exactly the names musl's dynamic linker passes to find_sym(..., "NAME", ...) that hello
    // does not import itself: its own entry points (&ldso), malloc's replacement check (head)
    // and its check that a library loaded by path is a libc (temp_dso); no string of printf,
    // scanf or assertions.
    let imported: BTreeSet<String> = parse_nm_undefined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--undefined-only", &hello.display().to_string()],
    ))
    .into_iter()
    .map(|s| s.0)
    .collect();
    let looked_up: BTreeSet<&str> = source
        .split("find_sym(")
        .skip(1)
        .filter_map(|call| {
            call.split(')')
                .next()?
                .split_once(", \"")?
                .1
                .split('"')
                .next()
        })
        .filter(|name| !imported.contains(*name))
        .collect();
    assert!(looked_up.contains("__dls3"), "{looked_up:?}");
    assert_eq!(
        by_name.iter().copied().collect::<BTreeSet<&str>>(),
        looked_up,
        "kept by name, against dynlink.c's find_sym literals"
    );
    // The hello libc does not serve lua: verify says which symbols are missing and for whom.
    let o = tailor()
        .args(["verify", "--provider"])
        .arg(&tailored)
        .arg("--generic")
        .arg(&libc)
        .arg(&lua)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let exported = parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &tailored.display().to_string()],
    ));
    let needed = parse_nm_undefined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--undefined-only", &lua.display().to_string()],
    ));
    let generic = parse_nm_defined(&tool_stdout(
        "nm",
        "binutils",
        &["-D", "--defined-only", &libc.display().to_string()],
    ));
    let missing: Vec<String> = needed
        .into_iter()
        .map(|s| s.0)
        .filter(|n| generic.contains(n) && !exported.contains(n))
        .collect();
    assert!(!missing.is_empty());
    for n in &missing {
        assert!(
            stdout.contains(&format!("missing: {n}: ")),
            "{n} not reported:\n{stdout}"
        );
    }
}

/// A musl program that loads a libc by `argv[1]` and says whether it got the running one.
const DLOPEN_LIBC: &str = r#"#include <dlfcn.h>
#include <stdio.h>
int main(int c, char **v) {
    void *lib = dlopen(v[1], RTLD_NOW), *self = dlopen(0, RTLD_NOW);
    printf("loaded: %s, same libc: %s\n", lib ? "yes" : "no",
           lib && dlsym(lib, "printf") == dlsym(self, "printf") ? "yes" : "no");
    return 0;
}
"#;

/// `stdin` is a real lookup by name: musl's load_library recognises a library loaded by path
/// as a libc by `find_sym(&temp_dso, "__libc_start_main")` and `find_sym(&temp_dso, "stdin")`.
/// The tailored libc keeps it; without it, dlopen of the libc under another path maps a
/// second libc.
#[test]
fn musl_recognises_the_tailored_libc_loaded_by_path_by_its_stdin() {
    let e = e2e();
    let dir = tempfile::tempdir().unwrap();
    let prog = write(dir.path(), "dl.c", DLOPEN_LIBC);
    let musl_gcc = need_tool("musl-gcc", "musl-tools");
    let exe = dir.path().join("dl");
    run(Command::new(musl_gcc)
        .arg("-O2")
        .arg(&prog)
        .arg("-o")
        .arg(&exe));
    let kept = dir.path().join("libc-dl.so");
    let report = link(&e, &kept, "bfd", std::slice::from_ref(&exe), &[]);
    let by_name: Vec<&str> = report["by_name"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(by_name.contains(&"stdin"), "{by_name:?}");
    let others: String = by_name
        .iter()
        .filter(|n| **n != "stdin")
        .map(|n| format!("{n}\n"))
        .collect();
    let keep = write(dir.path(), "keep.txt", &others);
    let without = dir.path().join("libc-nostdin.so");
    let keep_arg = keep.display().to_string();
    link(
        &e,
        &without,
        "bfd",
        std::slice::from_ref(&exe),
        &["--no-by-name", "--keep", &keep_arg],
    );
    for (libc, same) in [(&kept, "yes"), (&without, "no")] {
        // Another path to the same bytes: musl's check of the name it was run by misses it.
        let copy = libc.with_extension("copy.so");
        std::fs::copy(libc, &copy).unwrap();
        let (ok, out) = run_with(libc, &exe, &[&copy.display().to_string()]);
        assert!(
            ok && out.contains(&format!("loaded: yes, same libc: {same}")),
            "{}: {out}",
            libc.display()
        );
    }
}
