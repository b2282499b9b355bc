//! Shell completions and man pages generated from the clap definitions: bash registers and
//! completes with the script, zsh and fish parse theirs, and `man -l` renders every page
//! (tailor's and each subcommand's) without a warning.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// The subcommands `tailor --help` lists (`help` aside).
fn subcommands() -> Vec<String> {
    let help = tailor_ok(&["--help"]);
    let list: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    assert!(list.len() > 10, "subcommands in --help: {list:?}");
    list
}

fn script(shell: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join(format!("tailor.{shell}"));
    std::fs::write(&path, tailor_ok(&["completions", shell])).unwrap();
    path
}

#[test]
fn bash_completion_registers_and_completes() {
    let bash = need_tool("bash", "bash");
    let dir = tempfile::tempdir().unwrap();
    let path = script("bash", dir.path());
    // Registered: `complete -p tailor` names the completion function.
    let probe = format!(
        "source {0} && complete -p tailor && \
         COMP_WORDS=(tailor di) COMP_CWORD=1 COMP_LINE='tailor di' COMP_POINT=9 && \
         $(complete -p tailor | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p') tailor di tailor && \
         printf 'reply:%s\\n' \"${{COMPREPLY[@]}}\" && \
         COMP_WORDS=(tailor diff --f) COMP_CWORD=2 COMP_LINE='tailor diff --f' COMP_POINT=15 && \
         $(complete -p tailor | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p') tailor --f diff && \
         printf 'reply:%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let out = run(Command::new(bash).args(["--norc", "-c", &probe]));
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with("complete ") && first.ends_with(" tailor"),
        "complete -p tailor: {text}"
    );
    assert!(
        text.contains("reply:diff"),
        "`tailor di<TAB>` offers diff: {text}"
    );
    assert!(
        text.contains("reply:--format"),
        "`tailor diff --f<TAB>`: {text}"
    );
}

#[test]
fn zsh_and_fish_completions_parse() {
    let dir = tempfile::tempdir().unwrap();
    let zsh = need_tool("zsh", "zsh");
    let path = script("zsh", dir.path());
    run(Command::new(zsh).arg("-n").arg(&path));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("#compdef tailor"));
    let fish = need_tool("fish", "fish");
    let path = script("fish", dir.path());
    run(Command::new(fish).arg("--no-execute").arg(&path));
    let text = std::fs::read_to_string(&path).unwrap();
    for sub in subcommands() {
        assert!(
            text.contains(&format!("-a \"{sub}\"")),
            "fish completes {sub}"
        );
    }
}

/// `man -l -` on `page`: (stdout, stderr).
fn render(page: &str) -> (String, String) {
    let man = need_tool("man", "man-db");
    need_tool("groff", "groff-base");
    let mut man = Command::new(man);
    man.args(["-l", "-"])
        .env("MANWIDTH", "80")
        .env("PAGER", "cat");
    let out = with_stdin(&mut man, page);
    assert!(out.status.success(), "man -l failed: {out:?}");
    // Overstrikes (bold `N\x08N`, underline `_\x08x`) undone, as `col -b` does.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    (text, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `cmd` run with `input` on its stdin, its stdout and stderr captured.
fn with_stdin(cmd: &mut Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {:?}: {e}", cmd.get_program()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `groff -k -man -ww -z` (preconv, every warning, no output) on `page`: its stderr.
fn strict_warnings(page: &str) -> String {
    let groff = need_tool("groff", "groff-base");
    let mut groff = Command::new(groff);
    groff.args(["-k", "-man", "-Tutf8", "-ww", "-z"]);
    let out = with_stdin(&mut groff, page);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn man_pages_render_without_warnings() {
    // The check sees warnings: an undefined macro is one.
    assert!(strict_warnings(".TH x 1\n.SH NAME\nx\n.XX\n").contains("warning"));
    let mut pages = vec![(String::from("tailor"), tailor_ok(&["man"]))];
    for sub in subcommands() {
        pages.push((format!("tailor-{sub}"), tailor_ok(&["man", &sub])));
    }
    pages.push((
        "tailor-profile-show".into(),
        tailor_ok(&["man", "profile", "show"]),
    ));
    for (name, page) in &pages {
        assert!(
            page.starts_with(".ie") || page.contains(".TH"),
            "{name}: not roff"
        );
        let (text, warnings) = render(page);
        assert_eq!(warnings, "", "{name}: man -l warns");
        // groff with every warning on (man shows only some): none either.
        let strict = strict_warnings(page);
        assert_eq!(strict, "", "{name}: groff -ww warns");
        assert!(
            text.contains("NAME") && text.contains(name.as_str()),
            "{name}: rendered page has no NAME section naming it:\n{text}"
        );
    }
    let (top, _) = render(&pages[0].1);
    // -C/--demangle is global (diff, exports, needs, why, top, verification messages).
    assert!(
        top.contains("--demangle"),
        "tailor(1) documents the global --demangle"
    );
    assert!(
        top.contains("completions"),
        "tailor(1) lists the subcommands"
    );
    // An unknown subcommand is a usage error naming it.
    let out = tailor().args(["man", "nosuch"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuch"));
}
