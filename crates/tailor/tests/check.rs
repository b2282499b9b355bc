//! `tailor check` on a small C test subject that reproduces each hazard of section garbage
//! collection with GNU ld: every check fires on the broken version — and the broken link
//! really misbehaves (a table vanishes, a constructor never runs, a link fails, a function
//! stays) — and stays quiet on the fixed version, which links and runs right.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// A scratch directory for one test subject (GNU ld must be there to link it).
fn workdir() -> tempfile::TempDir {
    need_tool("ld", "binutils");
    tempfile::tempdir().unwrap()
}

/// GNU ld's built-in script for executables, with `edit` applied.
fn default_script(edit: impl Fn(String) -> String) -> String {
    edit(verbose_script(&tool_stdout(
        "ld",
        "binutils",
        &["--verbose"],
    )))
}

/// `tailor check` on a link command in `dir`: (exit code, findings' codes, stdout).
fn check(dir: &Path, argv: &[&str]) -> (i32, Vec<String>, String) {
    let out = tailor()
        .args(["check", "--format", "json", "--"])
        .args(argv)
        .current_dir(dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "tailor check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    (
        code,
        codes,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn link(dir: &Path, argv: &[&str]) -> Output {
    Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn run_prog(dir: &Path) -> String {
    String::from_utf8_lossy(&run(&mut Command::new(dir.join("prog"))).stdout).into_owned()
}

fn fires(codes: &[String], code: &str) -> bool {
    codes.iter().any(|c| c == code)
}

#[test]
fn a_table_reached_through_script_symbols_vanishes_without_keep() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "main.c",
        "#include <stdio.h>\nstruct drv { const char *name; };\n\
         extern const struct drv __drivers_start[], __drivers_end[];\n\
         int main(void) { printf(\"%d drivers\\n\", (int)(__drivers_end - __drivers_start)); return 0; }\n",
    );
    write(
        d,
        "drv.c",
        "struct drv { const char *name; };\n\
         __attribute__((section(\".drivers\"))) const struct drv a = { \"a\" };\n\
         __attribute__((section(\".drivers\"))) const struct drv b = { \"b\" };\n",
    );
    gcc(
        d,
        &[
            "-c",
            "-O2",
            "-ffunction-sections",
            "-fdata-sections",
            "main.c",
            "drv.c",
        ],
    );
    for (keep, script) in [(false, "broken.ld"), (true, "fixed.ld")] {
        let rule = if keep {
            "KEEP(*(.drivers))"
        } else {
            "*(.drivers)"
        };
        let text = default_script(|s| {
            s.replacen(
                "  .data           :",
                &format!(
                    "  .drivers : ALIGN(8) {{ __drivers_start = .; {rule} __drivers_end = .; }}\n  .data           :"
                ),
                1,
            )
        });
        write(d, script, &text);
        let argv = [
            "gcc",
            "-no-pie",
            "-Wl,--gc-sections",
            "-T",
            script,
            "main.o",
            "drv.o",
            "-o",
            "prog",
        ];
        let (code, codes, out) = check(d, &argv);
        let linked = link(d, &argv);
        assert!(
            linked.status.success(),
            "{}",
            String::from_utf8_lossy(&linked.stderr)
        );
        let printed = run_prog(d);
        if keep {
            assert_eq!(printed.trim(), "2 drivers");
            assert!(!fires(&codes, "unkept-table"), "{out}");
        } else {
            // GNU ld really dropped the table.
            assert_eq!(printed.trim(), "0 drivers");
            assert_eq!(code, 1);
            assert!(fires(&codes, "unkept-table"), "{out}");
            assert!(out.contains("__drivers_start"), "{out}");
        }
    }
}

#[test]
fn an_init_array_without_keep_never_runs() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "main.c",
        "#include <stdio.h>\nstatic int ready;\n\
         __attribute__((constructor)) static void init(void) { ready = 42; }\n\
         int main(void) { printf(\"%d\\n\", ready); return 0; }\n",
    );
    gcc(
        d,
        &[
            "-c",
            "-O2",
            "-ffunction-sections",
            "-fdata-sections",
            "main.c",
        ],
    );
    for (keep, script) in [(false, "broken.ld"), (true, "fixed.ld")] {
        let text = default_script(|s| {
            if keep {
                s
            } else {
                s.replace(
                    "KEEP (*(.init_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .ctors))",
                    "*(.init_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .ctors)",
                )
            }
        });
        write(d, script, &text);
        let argv = [
            "gcc",
            "-no-pie",
            "-Wl,--gc-sections",
            "-T",
            script,
            "main.o",
            "-o",
            "prog",
        ];
        let (_, codes, out) = check(d, &argv);
        assert!(link(d, &argv).status.success());
        let printed = run_prog(d);
        if keep {
            assert_eq!(printed.trim(), "42");
            assert!(!fires(&codes, "unkept-init"), "{out}");
        } else {
            assert_eq!(printed.trim(), "0", "GNU ld kept the constructor after all");
            assert!(fires(&codes, "unkept-init"), "{out}");
        }
    }
}

#[test]
fn a_function_named_startup_lands_where_the_script_discards_it() {
    let tmp = workdir();
    let d = tmp.path();
    // Start-up code goes away after boot: the script discards it first thing.
    let text = default_script(|s| {
        s.replacen(
            "SECTIONS\n{",
            "SECTIONS\n{\n  /DISCARD/ : { *(.text.startup .text.startup.*) }",
            1,
        )
    });
    write(d, "kernel.ld", &text);
    for (name, broken) in [("startup", true), ("start_up", false)] {
        write(
            d,
            "main.c",
            &format!(
                "#include <stdio.h>\n__attribute__((noinline)) void {name}(void) {{ puts(\"up\"); }}\n\
                 int main(void) {{ {name}(); return 0; }}\n"
            ),
        );
        // -O0: gcc puts `main` in `.text.main`, not in `.text.startup`.
        gcc(d, &["-c", "-O0", "-ffunction-sections", "main.c"]);
        let argv = [
            "gcc",
            "-no-pie",
            "-Wl,--gc-sections",
            "-T",
            "kernel.ld",
            "main.o",
            "-o",
            "prog",
        ];
        let (_, codes, out) = check(d, &argv);
        let linked = link(d, &argv);
        if broken {
            assert!(fires(&codes, "special-name"), "{out}");
            assert!(out.contains("/DISCARD/"), "{out}");
            // GNU ld refuses: the function went with the discarded section.
            assert!(!linked.status.success());
            assert!(
                String::from_utf8_lossy(&linked.stderr).contains("discarded section"),
                "{}",
                String::from_utf8_lossy(&linked.stderr)
            );
        } else {
            assert!(!fires(&codes, "special-name"), "{out}");
            assert!(linked.status.success());
            assert_eq!(run_prog(d).trim(), "up");
        }
    }
}

#[test]
fn an_object_without_function_sections_keeps_unused_functions() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "lib.c",
        "int used(int x) { return x + 1; }\nint unused_one(int x) { return x * 3; }\n\
         int unused_two(int x) { return x - 7; }\n",
    );
    write(
        d,
        "main.c",
        "int used(int);\nint main(void) { return used(-1); }\n",
    );
    gcc(d, &["-c", "-O2", "-ffunction-sections", "main.c"]);
    for (flags, broken) in [(&[][..], true), (&["-ffunction-sections"][..], false)] {
        let mut args = vec!["-c", "-O2"];
        args.extend_from_slice(flags);
        args.push("lib.c");
        gcc(d, &args);
        let argv = ["gcc", "-Wl,--gc-sections", "main.o", "lib.o", "-o", "prog"];
        let (_, codes, out) = check(d, &argv);
        run(Command::new("gcc").args(&argv[1..]).current_dir(d));
        let nm = tool_stdout("nm", "binutils", &[&d.join("prog").display().to_string()]);
        if broken {
            assert!(fires(&codes, "no-function-sections"), "{out}");
            assert!(
                nm.contains("unused_one"),
                "GNU ld removed the unused function anyway"
            );
        } else {
            assert!(!fires(&codes, "no-function-sections"), "{out}");
            assert!(!nm.contains("unused_one"));
        }
    }
}

#[test]
fn a_catch_all_before_the_unlikely_rule_takes_its_sections() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "main.c",
        "#include <stdio.h>\n__attribute__((cold, noinline)) void oops(void) { puts(\"cold\"); }\n\
         int main(int c, char **v) { if (c > 5) oops(); puts(v[0] ? \"ok\" : \"\"); return 0; }\n",
    );
    gcc(d, &["-c", "-O2", "-ffunction-sections", "main.c"]);
    let unlikely = "*(.text.unlikely .text.*_unlikely .text.unlikely.*)";
    for (broken, script) in [(true, "broken.ld"), (false, "fixed.ld")] {
        let text = default_script(|s| {
            if broken {
                // A catch-all first, as in the Xen review.
                s.replacen(unlikely, &format!("*(.text .text.*)\n    {unlikely}"), 1)
            } else {
                s
            }
        });
        write(d, script, &text);
        let argv = [
            "gcc",
            "-no-pie",
            "-Wl,--gc-sections",
            "-T",
            script,
            "main.o",
            "-o",
            "prog",
            "-Wl,-Map=prog.map",
        ];
        let (_, codes, out) = check(d, &argv);
        run(Command::new("gcc").args(&argv[1..]).current_dir(d));
        // In GNU ld's map, which rule took `.text.unlikely`?
        let map = std::fs::read_to_string(d.join("prog.map")).unwrap();
        let taken_by_catch_all = map
            .split(" *(.text .text.*)")
            .nth(1)
            .map(|after| {
                let block = after.split(" *(").next().unwrap_or("");
                block.contains(".text.unlikely")
            })
            .unwrap_or(false);
        if broken {
            assert!(
                taken_by_catch_all,
                "GNU ld placed .text.unlikely by its own rule"
            );
            assert!(fires(&codes, "order"), "{out}");
        } else {
            assert!(!taken_by_catch_all);
            assert!(!fires(&codes, "order"), "{out}");
        }
    }
}

#[test]
fn start_stop_sections_vanish_under_start_stop_gc_unless_retained() {
    let tmp = workdir();
    let d = tmp.path();
    for (retain, broken) in [("", true), ("retain, ", false)] {
        write(
            d,
            "main.c",
            &format!(
                "#include <stdio.h>\nextern const int __start_hooks[], __stop_hooks[];\n\
                 __attribute__(({retain}used, section(\"hooks\"))) static const int h1 = 1;\n\
                 int main(void) {{ printf(\"%d\\n\", (int)(__stop_hooks - __start_hooks)); return 0; }}\n"
            ),
        );
        gcc(
            d,
            &[
                "-c",
                "-O2",
                "-ffunction-sections",
                "-fdata-sections",
                "main.c",
            ],
        );
        let argv = [
            "gcc",
            "-Wl,--gc-sections",
            "-Wl,-z,start-stop-gc",
            "main.o",
            "-o",
            "prog",
        ];
        let (_, codes, out) = check(d, &argv);
        let linked = link(d, &argv);
        if broken {
            assert!(fires(&codes, "start-stop"), "{out}");
            assert!(
                !linked.status.success(),
                "GNU ld kept `hooks` under -z start-stop-gc"
            );
        } else {
            assert!(!fires(&codes, "start-stop"), "{out}");
            assert!(linked.status.success());
            assert_eq!(run_prog(d).trim(), "1");
        }
    }
}

#[test]
fn retain_without_gnu_osabi_is_ignored_by_gnu_ld() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "main.c",
        "__attribute__((retain, used, section(\".keepme\"))) static const char tag[] = \"tag\";\n\
         int main(void) { return 0; }\n",
    );
    gcc(d, &["-c", "-O2", "main.c"]);
    let argv = ["gcc", "-Wl,--gc-sections", "main.o", "-o", "prog"];
    let (_, codes, out) = check(d, &argv);
    assert!(!fires(&codes, "retain-ignored"), "{out}");
    run(Command::new("gcc").args(&argv[1..]).current_dir(d));
    let kept = tool_stdout(
        "readelf",
        "binutils",
        &["-SW", &d.join("prog").display().to_string()],
    );
    assert!(kept.contains(".keepme"));
    // The same object with OSABI 0 (what a non-GNU assembler writes).
    let mut bytes = std::fs::read(d.join("main.o")).unwrap();
    bytes[7] = 0;
    std::fs::write(d.join("main.o"), &bytes).unwrap();
    let (code, codes, out) = check(d, &argv);
    assert_eq!(code, 1);
    assert!(fires(&codes, "retain-ignored"), "{out}");
    run(Command::new("gcc").args(&argv[1..]).current_dir(d));
    let dropped = tool_stdout(
        "readelf",
        "binutils",
        &["-SW", &d.join("prog").display().to_string()],
    );
    assert!(
        !dropped.contains(".keepme"),
        "GNU ld honoured SHF_GNU_RETAIN without GNU OSABI"
    );
}

#[test]
fn allow_accepts_a_code_and_unknown_codes_are_refused() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "lib.c",
        "int f(void) { return 1; }\nint g(void) { return 2; }\nint main(void) { return f(); }\n",
    );
    gcc(d, &["-c", "-O2", "lib.c"]);
    // -no-pie: crt1.o's `.text` holds two functions (Scrt1.o's one).
    let (code, codes, out) = check(d, &["gcc", "-no-pie", "lib.o", "-o", "prog"]);
    assert_eq!(code, 1);
    assert!(fires(&codes, "no-function-sections"));
    // The driver's crt files are not the user's to fix: reported only with --system.
    assert!(!out.contains("crt1.o"), "{out}");
    let with_system = tailor()
        .args(["check", "--system", "--format", "json", "--"])
        .args(["gcc", "-no-pie", "lib.o", "-o", "prog"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&with_system.stdout).contains("crt1.o"));
    let ok = tailor()
        .args(["check", "--allow", "no-function-sections", "lib.o"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = tailor()
        .args(["check", "--allow", "no-such-code", "lib.o"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_object_without_data_sections_keeps_unused_variables() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "vars.c",
        "int used_var = 1;\nint unused_var = 2;\nint unused_too = 3;\n",
    );
    write(
        d,
        "main.c",
        "extern int used_var;\nint main(void) { return used_var - 1; }\n",
    );
    gcc(
        d,
        &[
            "-c",
            "-O2",
            "-ffunction-sections",
            "-fdata-sections",
            "main.c",
        ],
    );
    for (flags, broken) in [(&[][..], true), (&["-fdata-sections"][..], false)] {
        let mut args = vec!["-c", "-O2"];
        args.extend_from_slice(flags);
        args.push("vars.c");
        gcc(d, &args);
        let argv = ["gcc", "-Wl,--gc-sections", "main.o", "vars.o", "-o", "prog"];
        let (_, codes, out) = check(d, &argv);
        run(Command::new("gcc").args(&argv[1..]).current_dir(d));
        let nm = tool_stdout("nm", "binutils", &[&d.join("prog").display().to_string()]);
        assert_eq!(fires(&codes, "no-data-sections"), broken, "{out}");
        assert_eq!(nm.contains("unused_var"), broken, "GNU ld disagrees:\n{nm}");
    }
}

#[test]
fn an_orphan_section_is_the_one_gnu_ld_warns_about() {
    let tmp = workdir();
    let d = tmp.path();
    write(
        d,
        "main.c",
        "__attribute__((used, section(\".mydata\"))) static int table[4] = {1, 2, 3, 4};\n\
         int main(void) { return 0; }\n",
    );
    gcc(d, &["-c", "-O2", "main.c"]);
    for (fixed, script) in [(false, "plain.ld"), (true, "placed.ld")] {
        let text = default_script(|s| {
            if fixed {
                s.replacen(
                    "*(.data .data.* .gnu.linkonce.d.*)",
                    "*(.data .data.* .gnu.linkonce.d.*)\n    *(.mydata)",
                    1,
                )
            } else {
                s
            }
        });
        write(d, script, &text);
        let argv = [
            "gcc",
            "-no-pie",
            "-T",
            script,
            "main.o",
            "-o",
            "prog",
            "-Wl,--orphan-handling=warn",
        ];
        let (_, codes, out) = check(d, &argv);
        let linked = link(d, &argv);
        let warned = String::from_utf8_lossy(&linked.stderr).contains(".mydata");
        assert_eq!(
            warned,
            !fixed,
            "{}",
            String::from_utf8_lossy(&linked.stderr)
        );
        let named = out.contains(".mydata");
        assert_eq!(fires(&codes, "orphan") && named, !fixed, "{out}");
    }
}

/// An object made by the assembler: a COMDAT group of code and data, and a metadata section
/// linked (SHF_LINK_ORDER) to its function.
fn group_and_link_order_object(d: &Path) {
    write(
        d,
        "g.s",
        "\t.section .text.g,\"axG\",@progbits,grp,comdat\n\t.globl g\ng:\n\tret\n\
         \t.section .data.g,\"awG\",@progbits,grp,comdat\n\t.long 7\n\
         \t.section .text.f,\"ax\",@progbits\n\t.globl f\nf:\n\tret\n\
         \t.section .meta.f,\"ao\",@progbits,.text.f\n\t.long 9\n\
         \t.text\n\t.globl main\nmain:\n\tcall g\n\tcall f\n\txor %eax,%eax\n\tret\n",
    );
    run(Command::new("as").args(["g.s", "-o", "g.o"]).current_dir(d));
}

#[test]
fn half_discarded_groups_and_link_order_pairs_are_found() {
    let tmp = workdir();
    let d = tmp.path();
    group_and_link_order_object(d);
    for (broken, script) in [(true, "half.ld"), (false, "whole.ld")] {
        let discard = if broken {
            "  /DISCARD/ : { *(.data.g) *(.meta.f) }\n"
        } else {
            "  /DISCARD/ : { *(.no.such.section) }\n"
        };
        let text =
            default_script(|s| s.replacen("SECTIONS\n{", &format!("SECTIONS\n{{\n{discard}"), 1));
        write(d, script, &text);
        let argv = ["gcc", "-no-pie", "-T", script, "g.o", "-o", "prog"];
        let (_, codes, out) = check(d, &argv);
        assert_eq!(fires(&codes, "split-group"), broken, "{out}");
        assert_eq!(fires(&codes, "link-order"), broken, "{out}");
        // What GNU ld made of it: the discarded members are gone, their partners stayed.
        let linked = link(d, &argv);
        if linked.status.success() {
            let sections = tool_stdout(
                "readelf",
                "binutils",
                &["-SW", &d.join("prog").display().to_string()],
            );
            assert_eq!(!sections.contains(".meta.f"), broken, "{sections}");
        }
    }
}

/// A kernel-style entry the script makes absolute (`ENTRY(boot)`, `boot = 0x401000;`) roots
/// no section: GNU ld's --gc-sections removes the boot code itself. The check fires; with the
/// entry naming the boot function, it is quiet and the code stays.
#[test]
fn an_absolute_entry_roots_nothing_and_gc_removes_the_boot_code() {
    let d = workdir();
    let dir = d.path();
    write(
        dir,
        "boot.c",
        "void boot_code(void) { for (;;) { } }\nint helper(void) { return 1; }\n",
    );
    gcc(dir, &["-c", "-O1", "-ffunction-sections", "boot.c"]);
    let entry_line = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("ENTRY("))
            .map(str::to_string)
    };
    let built_in = default_script(|s| s);
    let original = entry_line(&built_in).expect("ENTRY in ld's built-in script");
    let broken = default_script(|s| s.replace(&original, "ENTRY(boot)\nboot = 0x401000;"));
    let fixed = default_script(|s| s.replace(&original, "ENTRY(boot_code)"));
    write(dir, "broken.ld", &broken);
    write(dir, "fixed.ld", &fixed);
    for (script, should_fire) in [("broken.ld", true), ("fixed.ld", false)] {
        let argv = ["ld", "-T", script, "--gc-sections", "boot.o", "-o", "boot"];
        let (_, codes, report) = check(dir, &argv);
        assert_eq!(
            fires(&codes, "entry-roots"),
            should_fire,
            "{script}: {report}"
        );
        let out = link(dir, &[argv.as_slice(), &["--print-gc-sections"]].concat());
        let removed = String::from_utf8_lossy(&out.stderr).contains("'.text.boot_code'");
        assert_eq!(
            removed,
            should_fire,
            "{script}: GNU ld {} .text.boot_code: {}",
            if removed { "removed" } else { "kept" },
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
