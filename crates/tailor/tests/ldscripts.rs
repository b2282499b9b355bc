//! The linker-script parser on real scripts: GNU ld's built-in scripts for every emulation
//! of the native, AArch64 and PowerPC linkers (in each link mode), and u-boot's hand-written
//! scripts (Debian's source package, preprocessed as u-boot's build does). Every script
//! parses; its printout parses to the same printout; and GNU ld, linking the same object
//! with the original and with the printout, gives the same result (identical output, or
//! the same error).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::e2e::e2e;
use common::*;

/// An assembler and linker for one target, and the object they make.
struct Target {
    ld: &'static str,
    /// The assembler and its flags; None: no assembler for it here (the link then fails the
    /// same way for both scripts, which is still a comparison).
    asm: Option<(&'static str, &'static [&'static str])>,
    package: &'static str,
}

const FIXTURE: &str = "\t.globl _start\n\t.text\n_start:\n\tnop\n\t.section .text.unlikely.f,\"ax\"\n\tnop\n\
\t.data\n\t.long 1\n\t.section .rodata\n\t.long 2\n\t.bss\n\t.zero 16\n\t.section .init_array,\"aw\"\n\t.zero 8\n";

fn object(dir: &Path, t: &Target, key: &str) -> PathBuf {
    let out = dir.join(format!("fixture-{key}.o"));
    if out.exists() {
        return out;
    }
    let src = dir.join("fixture.s");
    std::fs::write(&src, FIXTURE).unwrap();
    match t.asm {
        Some((asm, flags)) => {
            need_tool(asm, t.package);
            let o = Command::new(asm)
                .args(flags)
                .arg(&src)
                .arg("-o")
                .arg(&out)
                .output()
                .unwrap();
            if !o.status.success() {
                // An assembler that cannot make this variant: an empty file, refused by ld
                // the same way whichever script it reads.
                std::fs::write(&out, b"").unwrap();
            }
        }
        None => std::fs::write(&out, b"").unwrap(),
    }
    out
}

/// Runs `tailor check --dump-script --script FILE`; the printout, or the error.
fn dump(script: &Path) -> Result<String, String> {
    let o = tailor()
        .args(["check", "--dump-script", "--script"])
        .arg(script)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(String::from_utf8(o.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// Links `obj` with `script` (plus `flags`): exit status, output bytes, and stderr with the
/// script's name and line numbers taken out.
fn link(
    ld: &str,
    flags: &[&str],
    script: &Path,
    obj: &Path,
    out: &Path,
) -> (bool, Vec<u8>, String) {
    let _ = std::fs::remove_file(out);
    let o = Command::new(ld)
        .args(flags)
        .arg("-T")
        .arg(script)
        .arg(obj)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    let name = script.display().to_string();
    let err = String::from_utf8_lossy(&o.stderr).replace(&name, "SCRIPT");
    // `SCRIPT:12:` → `SCRIPT:N:` (the printout has its own line numbers).
    let mut parts = err.split("SCRIPT:");
    let mut norm = parts.next().unwrap_or("").to_string();
    for p in parts {
        norm.push_str("SCRIPT:N");
        norm.push_str(p.trim_start_matches(|c: char| c.is_ascii_digit()));
    }
    let err = norm;
    (
        o.status.success(),
        std::fs::read(out).unwrap_or_default(),
        err,
    )
}

/// Parses, prints, re-parses, and compares GNU ld's result on both; returns an error text.
fn round_trip(
    dir: &Path,
    script: &Path,
    ld: &str,
    flags: &[&str],
    obj: &Path,
) -> Result<bool, String> {
    let printed = dump(script).map_err(|e| format!("does not parse: {e}"))?;
    let printed_path = dir.join("printed.ld");
    std::fs::write(&printed_path, &printed).unwrap();
    let again = dump(&printed_path).map_err(|e| format!("its printout does not parse: {e}"))?;
    if again != printed {
        return Err("printing is not stable".into());
    }
    let out = dir.join("linked.out");
    let a = link(ld, flags, script, obj, &out);
    let b = link(ld, flags, &printed_path, obj, &out);
    if a != b {
        return Err(format!(
            "GNU ld differs: original ok={} ({} bytes) {}; printout ok={} ({} bytes) {}",
            a.0,
            a.1.len(),
            a.2.trim(),
            b.0,
            b.1.len(),
            b.2.trim()
        ));
    }
    Ok(a.0)
}

fn emulations(ld: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&run(Command::new(ld).arg("-V")).stdout).into_owned();
    text.lines()
        .skip_while(|l| !l.contains("Supported emulations"))
        .skip(1)
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn target_for_emulation(ld: &'static str, emulation: &str) -> Target {
    let (asm, flags, package): (&'static str, &'static [&'static str], &'static str) =
        match (ld, emulation) {
            ("ld", "elf_x86_64" | "i386pep") => ("as", &["--64"], "binutils"),
            ("ld", "elf32_x86_64") => ("as", &["--x32"], "binutils"),
            ("ld", _) => ("as", &["--32"], "binutils"),
            (_, e) if e.starts_with("arm") => (
                "arm-linux-gnueabihf-as",
                if e.ends_with('b') { &["-EB"] } else { &[] },
                "binutils-arm-linux-gnueabihf",
            ),
            (_, e) if e.starts_with("aarch64") => {
                let flags: &'static [&'static str] = match (e.contains("32"), e.ends_with('b')) {
                    (true, true) => &["-mabi=ilp32", "-EB"],
                    (true, false) => &["-mabi=ilp32"],
                    (false, true) => &["-EB"],
                    (false, false) => &[],
                };
                ("aarch64-linux-gnu-as", flags, "binutils-aarch64-linux-gnu")
            }
            (_, e) if e.starts_with("elf64l") => (
                "powerpc-linux-gnu-as",
                &["-a64", "-mlittle"],
                "binutils-powerpc-linux-gnu",
            ),
            (_, e) if e.starts_with("elf64") => (
                "powerpc-linux-gnu-as",
                &["-a64"],
                "binutils-powerpc-linux-gnu",
            ),
            (_, e) if e.starts_with("elf32l") => (
                "powerpc-linux-gnu-as",
                &["-a32", "-mlittle"],
                "binutils-powerpc-linux-gnu",
            ),
            _ => (
                "powerpc-linux-gnu-as",
                &["-a32"],
                "binutils-powerpc-linux-gnu",
            ),
        };
    Target {
        ld,
        asm: Some((asm, flags)),
        package,
    }
}

#[test]
fn gnu_ld_builtin_scripts_of_every_emulation_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let variants: &[&[&str]] = &[
        &[],
        &["-shared"],
        &["-pie"],
        &["-r"],
        &["-N"],
        &["-n"],
        &["-z", "combreloc"],
        &["-z", "separate-code"],
        &["-z", "noseparate-code"],
        &["-z", "combreloc", "-z", "relro", "-z", "now"],
        &["-shared", "-z", "combreloc", "-z", "relro", "-z", "now"],
        &["-pie", "-z", "combreloc", "-z", "relro", "-z", "now"],
    ];
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut linked = 0;
    for (ld, package) in [
        ("ld", "binutils"),
        ("aarch64-linux-gnu-ld", "binutils-aarch64-linux-gnu"),
        ("powerpc-linux-gnu-ld", "binutils-powerpc-linux-gnu"),
    ] {
        need_tool(ld, package);
        for emulation in emulations(ld) {
            let target = target_for_emulation(ld, &emulation);
            let obj = object(dir, &target, &format!("{ld}-{emulation}"));
            for v in variants {
                let o = Command::new(ld)
                    .arg("--verbose")
                    .args(["-m", &emulation])
                    .args(*v)
                    .output()
                    .unwrap();
                let body = verbose_script(&String::from_utf8_lossy(&o.stdout));
                if body.is_empty() || !seen.insert(body.clone()) {
                    continue;
                }
                let script = dir.join("builtin.ld");
                std::fs::write(&script, &body).unwrap();
                let mut flags = vec!["-m", emulation.as_str()];
                flags.extend(v.iter().copied());
                if emulation.starts_with("i386pe") {
                    // PE headers carry the link's time: two links a second
                    // apart would differ for that alone.
                    flags.push("--no-insert-timestamp");
                }
                match round_trip(dir, &script, ld, &flags, &obj) {
                    Ok(ok) => linked += usize::from(ok),
                    Err(e) => failures.push(format!("{ld} -m {emulation} {v:?}: {e}")),
                }
            }
        }
    }
    eprintln!(
        "{} distinct built-in scripts parsed and printed back; {} of them linked the fixture \
         identically from the printout (the rest failed identically)",
        seen.len(),
        linked
    );
    assert!(
        seen.len() > 100,
        "only {} built-in scripts found",
        seen.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The linker and assembler for a u-boot script, by its OUTPUT_ARCH / OUTPUT_FORMAT.
fn target_for_script(text: &str) -> Option<Target> {
    let arch = text
        .split("OUTPUT_ARCH(")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or("")
        .trim_matches(|c: char| c == '"' || c.is_whitespace())
        .to_string();
    let format = text
        .split("OUTPUT_FORMAT(")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or("")
        .to_string();
    let t = |ld, asm, flags, package| Target {
        ld,
        asm: Some((asm, flags)),
        package,
    };
    Some(match arch.as_str() {
        "i386:x86-64" => t("ld", "as", &["--64"][..], "binutils"),
        "i386" if format.contains("x86-64") => t("ld", "as", &["--64"][..], "binutils"),
        "i386" => t("ld", "as", &["--32"][..], "binutils"),
        "aarch64" => t(
            "aarch64-linux-gnu-ld",
            "aarch64-linux-gnu-as",
            &[][..],
            "binutils-aarch64-linux-gnu",
        ),
        "arm" => t(
            "arm-linux-gnueabihf-ld",
            "arm-linux-gnueabihf-as",
            &[][..],
            "binutils-arm-linux-gnueabihf",
        ),
        "powerpc" => t(
            "powerpc-linux-gnu-ld",
            "powerpc-linux-gnu-as",
            &["-a32"][..],
            "binutils-powerpc-linux-gnu",
        ),
        "riscv" => t(
            "riscv64-linux-gnu-ld",
            "riscv64-linux-gnu-as",
            &[][..],
            "binutils-riscv64-linux-gnu",
        ),
        "mips" => t(
            "mips-linux-gnu-ld",
            "mips-linux-gnu-as",
            &[][..],
            "binutils-mips-linux-gnu",
        ),
        _ => return None,
    })
}

/// Preprocesses a u-boot script as its build does (`cpp -P -D__ASSEMBLY__ -x
/// assembler-with-cpp`, kconfig's macros, the arch's include directories), with an empty
/// configuration and the few choices some scripts insist on.
fn preprocess(tree: &Path, script: &Path, stub: &Path, out: &Path) {
    let rel = script.strip_prefix(tree).unwrap().display().to_string();
    let arch = rel
        .strip_prefix("arch/")
        .and_then(|r| r.split_once('/'))
        .map(|(a, _)| a)
        .unwrap_or("arm");
    let mut c = Command::new("cpp");
    c.current_dir(tree)
        .args(["-P", "-undef", "-nostdinc", "-D__ASSEMBLY__", "-std=c99"])
        .args(["-x", "assembler-with-cpp"])
        .arg(format!("-I{}", stub.display()))
        .args(["-Iinclude", &format!("-Iarch/{arch}/include")])
        .args(["-include", "include/linux/kconfig.h"])
        // The mpc85xx SPL script needs a NAND controller; xtensa a core (the first one).
        .arg("-DCONFIG_FSL_ELBC")
        .arg(format!("-I{}", stub.join("xtensa").display()))
        .arg(&rel)
        .arg("-o")
        .arg(out);
    run(&mut c);
}

#[test]
fn u_boot_scripts_parse_and_print_back_as_gnu_ld_reads_them() {
    need_tool("cpp", "cpp");
    let e = e2e();
    let tree = e.path("UBOOT_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Headers u-boot's build generates: empty.
    let stub = dir.join("stub");
    std::fs::create_dir_all(stub.join("generated")).unwrap();
    std::fs::write(stub.join("config.h"), "").unwrap();
    std::fs::write(stub.join("generated/autoconf.h"), "").unwrap();
    std::fs::write(stub.join("generated/generic-asm-offsets.h"), "").unwrap();
    std::fs::create_dir_all(stub.join("xtensa/asm")).unwrap();
    std::os::unix::fs::symlink(
        tree.join("arch/xtensa/include/asm/arch-dc233c"),
        stub.join("xtensa/asm/arch"),
    )
    .unwrap();
    let mut scripts: Vec<PathBuf> = walk(&tree)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "lds"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 50, "only {} u-boot scripts", scripts.len());
    let mut failures = Vec::new();
    let (mut linked, mut compared) = (0, 0);
    for (i, s) in scripts.iter().enumerate() {
        let pre = dir.join(format!("uboot-{i}.ld"));
        preprocess(&tree, s, &stub, &pre);
        let text = std::fs::read_to_string(&pre).unwrap();
        let result = match target_for_script(&text) {
            Some(t) => {
                need_tool(t.ld, t.package);
                let obj = object(dir, &t, t.ld);
                compared += 1;
                round_trip(dir, &pre, t.ld, &[], &obj)
            }
            // No GNU ld for it here (arc, m68k, microblaze, ...): parse and print only.
            None => dump(&pre)
                .and_then(|p| {
                    let printed = dir.join("printed.ld");
                    std::fs::write(&printed, &p).unwrap();
                    dump(&printed).map(|again| again == p)
                })
                .map_err(|e| format!("does not parse: {e}"))
                .and_then(|same| {
                    if same {
                        Ok(false)
                    } else {
                        Err("printing is not stable".into())
                    }
                }),
        };
        match result {
            Ok(ok) => linked += usize::from(ok),
            Err(err) => failures.push(format!("{}: {err}", s.display())),
        }
    }
    eprintln!(
        "{} u-boot scripts parsed and printed back; {compared} compared under their own GNU ld \
         ({linked} linked the fixture, identically)",
        scripts.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn malformed_scripts_give_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let cases: &[(&str, &str, &str)] = &[
        (
            "brace.ld",
            "SECTIONS {\n  .text : { *(.text) }\n",
            "brace.ld:3:1:",
        ),
        ("expr.ld", "SECTIONS {\n  . = 0x1000 + ;\n}\n", "brace.ld"),
        ("cmd.ld", "FROBNICATE(1)\n", "cmd.ld:1:11:"),
        ("loop.ld", "INCLUDE loop.ld\n", "loop.ld:1:9:"),
        ("missing.ld", "INCLUDE nowhere.ld\n", "missing.ld:1:9:"),
        (
            "comment.ld",
            "SECTIONS { /* never closed\n",
            "comment.ld:1:12:",
        ),
    ];
    for (name, text, want) in cases {
        let path = write(d, name, text);
        let o = tailor()
            .args(["check", "--dump-script", "--script"])
            .arg(&path)
            .current_dir(d)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        let want = if *name == "expr.ld" {
            "expr.ld:2:16:"
        } else {
            want
        };
        assert!(err.contains(want), "{name}: expected `{want}` in {err}");
    }
}
