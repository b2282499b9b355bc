//! Tests of the option table: against each linker's own `--help` (run at test time), and
//! of each value form.

use super::*;

/// How a `--help` line shows an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// No value shown.
    None,
    /// `-x ARG`, `--foo <value>`: the next argument.
    Separate,
    /// `--foo=ARG`, `--foo =ARG`.
    Eq,
    /// `--foo[=ARG]`, `--foo [=ARG]`.
    OptionalEq,
    /// `--foo [a,b]` (mold): a value, form not said.
    Choices,
    /// `--lto-O<level>`.
    Glued,
}

/// One spelling a `--help` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    /// With its dashes (`--soname`, `-h`), or `-z keyword`.
    spelling: String,
    shown: Shown,
}

/// Runs `program --help` (stdout and stderr: GNU ld prints its targets on stdout).
fn help(program: &str) -> String {
    let out = std::process::Command::new(program)
        .arg("--help")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "running `{program} --help`: {e}; install it (scripts/setup.sh installs \
                 binutils, lld and mold)"
            )
        });
    assert!(out.status.success(), "`{program} --help` failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `{a|b}` and `[234]` alternatives in a `-z` keyword (`x86-64-{baseline|v[234]}`).
fn expand(word: &str) -> Vec<String> {
    if let Some((head, rest)) = word.split_once('{') {
        let (alts, tail) = rest.split_once('}').unwrap_or((rest, ""));
        return alts
            .split('|')
            .flat_map(|a| expand(&format!("{head}{a}{tail}")))
            .collect();
    }
    if let Some((head, rest)) = word.split_once('[') {
        let (chars, tail) = rest.split_once(']').unwrap_or((rest, ""));
        return chars
            .chars()
            .flat_map(|c| expand(&format!("{head}{c}{tail}")))
            .collect();
    }
    vec![word.to_string()]
}

/// `--[no-]foo` and `--[disable-]foo`: both spellings.
fn alternatives(word: &str) -> Vec<String> {
    match word.split_once("--[") {
        Some(("", rest)) => match rest.split_once(']') {
            Some((prefix, name)) => vec![format!("--{name}"), format!("--{prefix}{name}")],
            None => vec![word.to_string()],
        },
        _ => vec![word.to_string()],
    }
}

fn looks_like_value(w: &str) -> bool {
    let caps = w.len() > 1
        && w.chars().any(|c| c.is_ascii_uppercase())
        && w.chars().all(|c| !c.is_ascii_lowercase());
    w.starts_with(['<', '[', '=', '{']) || caps || (w.contains(['|', ',']) && !w.ends_with(','))
}

/// An option word: its spelling and what is glued to it.
fn option_word(w: &str) -> (String, Shown) {
    if let Some(i) = w.find("[=") {
        return (w[..i].to_string(), Shown::OptionalEq);
    }
    if let Some((name, _)) = w.split_once('=') {
        return (name.to_string(), Shown::Eq);
    }
    if let Some(i) = w.find('<').filter(|&i| i > 1) {
        return (w[..i].to_string(), Shown::Glued);
    }
    (w.to_string(), Shown::None)
}

fn shown_by(value: &str) -> Shown {
    if value.starts_with("[=") {
        Shown::OptionalEq
    } else if value.starts_with('=') {
        Shown::Eq
    } else if value.starts_with('[') {
        Shown::Choices
    } else {
        Shown::Separate
    }
}

/// Every spelling a `--help` text lists.
fn listed(text: &str) -> Vec<Listed> {
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() > 8 || !trimmed.starts_with('-') {
            continue;
        }
        let head = trimmed.split("  ").next().unwrap_or(trimmed);
        let mut words = head.split_whitespace().peekable();
        while let Some(raw) = words.next() {
            if !raw.starts_with('-') {
                break;
            }
            let w = raw.trim_end_matches(',');
            if w == "-z" && words.peek().is_some_and(|k| !k.starts_with('<')) {
                let Some(k) = words.next() else { break };
                let (keyword, shown) = option_word(k.trim_end_matches(','));
                for k in expand(&keyword) {
                    out.push(Listed {
                        spelling: format!("-z {k}"),
                        shown,
                    });
                }
                continue;
            }
            let (spelling, mut shown) = option_word(w);
            if shown == Shown::None && !raw.ends_with(',') {
                if let Some(v) = words.next_if(|v| looks_like_value(v)) {
                    shown = shown_by(v);
                }
            }
            for spelling in alternatives(&spelling) {
                out.push(Listed { spelling, shown });
            }
        }
    }
    out
}

/// Where a linker's `--help` shows no value for an option that takes one (checked: the
/// linker reads the next argument as its value).
const HELP_OMITS_VALUE: &[(&str, &str)] = &[
    ("ld", "-O"),
    ("ld", "-dT"),
    ("mold", "--dynamic-list"),
    ("mold", "--export-dynamic-symbol"),
    ("mold", "--export-dynamic-symbol-list"),
    ("mold", "--Tdata"),
    ("mold", "--Ttext"),
    ("mold", "--sort-section"),
];

/// Where the linkers disagree on whether an option reads the next argument; the table
/// follows GNU ld.
const LINKERS_DISAGREE: &[(&str, &str)] = &[("mold", "--unique")];

/// Why a listed spelling does not fit the table, if it does not.
fn misfit(program: &str, l: &Listed) -> Option<String> {
    if let Some(k) = l.spelling.strip_prefix("-z ") {
        let Some((_, eq, _)) = Z_KEYWORDS.iter().find(|(z, _, _)| *z == k) else {
            return Some("-z keyword not in Z_KEYWORDS".into());
        };
        return (*eq != (l.shown == Shown::Eq)).then(|| format!("`=VALUE` is {eq} in Z_KEYWORDS"));
    }
    let name = l.spelling.trim_start_matches('-');
    let Some(o) = lookup(name) else {
        return Some("not in the table".into());
    };
    if l.spelling.starts_with("--") && name.len() == 1 {
        return Some("a one-letter name with two dashes".into());
    }
    let exempt = |list: &[(&str, &str)]| list.contains(&(program, l.spelling.as_str()));
    let fits = match l.shown {
        Shown::None => o.takes != Takes::Value || exempt(HELP_OMITS_VALUE),
        Shown::Separate => o.takes == Takes::Value || exempt(LINKERS_DISAGREE),
        Shown::Eq | Shown::Choices => matches!(o.takes, Takes::Value | Takes::OptionalEq),
        Shown::OptionalEq => o.takes == Takes::OptionalEq,
        Shown::Glued => o.takes == Takes::Joined,
    };
    (!fits).then(|| format!("help shows {:?}, the table says {:?}", l.shown, o.takes))
}

/// Every spelling each linker's `--help` lists is in the table (or `Z_KEYWORDS`), taking a
/// value as the help shows.
#[test]
fn every_listed_option_is_classified() {
    let mut bad = Vec::new();
    for program in ["ld", "ld.lld", "mold"] {
        let listed = listed(&help(program));
        assert!(
            listed.len() > 100,
            "{program} --help lists {} options",
            listed.len()
        );
        let program = if program == "ld.lld" { "lld" } else { program };
        for l in &listed {
            if let Some(why) = misfit(program, l) {
                bad.push(format!("{program}: {} ({:?}): {why}", l.spelling, l.shown));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "{} misfits:\n{}", bad.len(), bad.join("\n"));
}

/// No name is in two entries; the exemption lists name options of the table.
#[test]
fn the_table_is_consistent() {
    let mut seen = std::collections::HashSet::new();
    for o in LINKER_OPTIONS {
        assert!(!o.names.is_empty());
        for n in o.names {
            assert!(seen.insert(*n), "`{n}` is in two entries");
            assert!(
                !n.starts_with('-'),
                "`{n}`: names are written without dashes"
            );
        }
    }
    for (_, s) in HELP_OMITS_VALUE.iter().chain(LINKERS_DISAGREE) {
        assert!(lookup(s.trim_start_matches('-')).is_some(), "{s}");
    }
}

// Each value form, read by both users of the table: `LinkCommand` (what the tailored command
// replaces) and `LinkerArgs` (what the link model reads).

use std::path::{Path, PathBuf};

use crate::inputs::link_command::LinkCommand;
use crate::inputs::linker_args::{self, InputName, LinkerArgs};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// Both users' reading of a command: `LinkerArgs` from the linker line the command runs
/// (for a driver, as `gcc -###` says).
fn both(argv: &[String]) -> (LinkCommand, LinkerArgs) {
    let cmd = LinkCommand::parse(argv).unwrap();
    let (line, linker) = linker_args::linker_command(&cmd).unwrap();
    let args = LinkerArgs::parse(&line, linker).unwrap();
    (cmd, args)
}

/// The tailored command, parsed again.
fn retailored(cmd: &LinkCommand) -> LinkCommand {
    let t = cmd.tailored(Path::new("new.out"), Path::new("new.map"), None, None, &[]);
    LinkCommand::parse(&t).unwrap()
}

#[test]
fn output_forms() {
    for form in [
        "-o out",
        "-oout",
        "--output out",
        "--output=out",
        "-output=out",
    ] {
        let argv = words(&format!("ld {form} a.o"));
        let (cmd, args) = both(&argv);
        let want = if form == "-output=out" {
            // GNU ld: a single-dash word starting with `o` is `-o` and a joined name.
            "utput=out"
        } else {
            "out"
        };
        assert_eq!(cmd.output, PathBuf::from(want), "{form}");
        assert_eq!(args.output, Some(PathBuf::from(want)), "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
        let again = retailored(&cmd);
        assert_eq!(again.output, PathBuf::from("new.out"), "{form}");
        assert_eq!(again.inputs, cmd.inputs, "{form}");
    }
}

#[test]
fn version_script_forms_in_linker_and_driver_commands() {
    let forms = [
        "ld -o out a.o --version-script v.map",
        "ld -o out a.o --version-script=v.map",
        "ld -o out a.o -version-script v.map",
        "ld -o out a.o -version-script=v.map",
        "gcc -o out a.o -Wl,--version-script,v.map",
        "gcc -o out a.o -Wl,--version-script=v.map",
        "gcc -o out a.o -Wl,--version-script -Wl,v.map",
        "gcc -o out a.o -Xlinker --version-script -Xlinker v.map",
        "gcc -o out a.o -Xlinker --version-script=v.map",
        "gcc -o out a.o -Xlinker -version-script -Wl,v.map",
    ];
    for form in forms {
        let (cmd, args) = both(&words(form));
        assert_eq!(cmd.version_scripts(), [PathBuf::from("v.map")], "{form}");
        assert_eq!(args.version_scripts, [PathBuf::from("v.map")], "{form}");
        assert_eq!(cmd.output, PathBuf::from("out"), "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
        let again = retailored(&cmd);
        assert_eq!(
            again.version_scripts(),
            [PathBuf::from("new.map")],
            "{form}"
        );
        assert_eq!(again.output, PathBuf::from("new.out"), "{form}");
        assert_eq!(again.inputs, cmd.inputs, "{form}");
    }
}

#[test]
fn dynamic_list_forms() {
    for form in [
        "ld -shared -o out a.o --dynamic-list d.list",
        "ld -shared -o out a.o -dynamic-list=d.list",
        "gcc -shared -o out a.o -Wl,--dynamic-list,d.list",
        "gcc -shared -o out a.o -Xlinker --dynamic-list -Xlinker d.list",
    ] {
        let (cmd, args) = both(&words(form));
        assert_eq!(cmd.dynamic_lists(), [PathBuf::from("d.list")], "{form}");
        assert_eq!(args.dynamic_lists, [PathBuf::from("d.list")], "{form}");
        assert!(cmd.shared && args.shared, "{form}");
        let t = cmd.tailored(
            Path::new("o.so"),
            Path::new("v.map"),
            Some(Path::new("n.list")),
            None,
            &[],
        );
        let again = LinkCommand::parse(&t).unwrap();
        assert_eq!(again.dynamic_lists(), [PathBuf::from("n.list")], "{t:?}");
    }
}

#[test]
fn values_of_options_are_not_inputs() {
    for form in [
        "-T x.ld",
        "-Tx.ld",
        "--script=x.ld",
        "-script x.ld",
        "--script x.ld",
    ] {
        let (cmd, args) = both(&words(&format!("ld -o out {form} a.o")));
        assert_eq!(args.scripts, [PathBuf::from("x.ld")], "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
    }
    for form in ["-L dir", "-Ldir", "--library-path=dir", "-library-path dir"] {
        let (cmd, args) = both(&words(&format!("ld -o out {form} a.o")));
        assert_eq!(args.library_paths, [PathBuf::from("dir")], "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
    }
    for form in ["-e _start", "-e_start", "--entry=_start", "-entry _start"] {
        let (cmd, args) = both(&words(&format!("ld -o out {form} a.o")));
        assert_eq!(args.entry.as_deref(), Some("_start"), "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
    }
    for form in ["-z start-stop-gc", "-zstart-stop-gc"] {
        let (_, args) = both(&words(&format!("ld -o out {form} a.o")));
        assert_eq!(args.start_stop_gc, Some(true), "{form}");
    }
    for form in ["-l c", "-lc", "--library=c", "--library c"] {
        let (cmd, args) = both(&words(&format!("ld -o out a.o {form}")));
        let libs: Vec<_> = args.inputs.iter().map(|i| i.item.clone()).collect();
        let c = InputName::Library {
            name: "c".into(),
            exact: false,
        };
        assert_eq!(libs, [InputName::Path("a.o".into()), c], "{form}");
        assert_eq!(cmd.inputs, [PathBuf::from("a.o")], "{form}");
    }
}

#[test]
fn what_gnu_ld_reads_as_abbreviations_is_no_joined_value() {
    // `-eh` is GNU ld's `--eh-frame-hdr`, `-Ttext 0` its `--Ttext`; `-li` is library `i`.
    let (_, args) = both(&words("ld -o out -eh -Ttext 0 a.o -li"));
    assert_eq!(args.entry, None);
    assert!(args.scripts.is_empty());
    assert_eq!(args.inputs.len(), 2);
    assert!(linker_options_of("-Tt").is_none());
    assert!(linker_options_of("-omagic").is_some_and(|o| o.meaning == Meaning::Output));
}

fn linker_options_of(token: &str) -> Option<&'static LinkerOption> {
    match items(&[token.to_string()]).first()?.kind {
        Kind::Option { option, .. } => Some(option),
        _ => None,
    }
}

#[test]
fn input_state_push_pop_and_groups() {
    let (_, args) = both(&words(
        "ld -o out --whole-archive --push-state --no-whole-archive -Bstatic a.a --pop-state \
         b.a -( c.a -) d.o",
    ));
    let got: Vec<_> = args
        .inputs
        .iter()
        .map(|i| (i.whole_archive, i.static_only, i.group))
        .collect();
    assert_eq!(
        got,
        [
            (false, true, 0),
            (true, false, 0),
            (true, false, 1),
            (true, false, 0)
        ]
    );
}

#[test]
fn response_file_with_quoting() {
    let dir = tempfile::tempdir().unwrap();
    let rsp = dir.path().join("link.rsp");
    std::fs::write(
        &rsp,
        "-o 'out dir/x' --version-script \"v 1.map\"\n-T x\\ y.ld 'a b.o'",
    )
    .unwrap();
    let argv = vec!["ld".to_string(), format!("@{}", rsp.display())];
    let (cmd, args) = both(&argv);
    assert_eq!(cmd.output, PathBuf::from("out dir/x"));
    assert_eq!(args.output, Some(PathBuf::from("out dir/x")));
    assert_eq!(cmd.version_scripts(), [PathBuf::from("v 1.map")]);
    assert_eq!(args.version_scripts, [PathBuf::from("v 1.map")]);
    assert_eq!(cmd.inputs, [PathBuf::from("a b.o")]);
    assert_eq!(args.scripts, [PathBuf::from("x y.ld")]);
    let again = retailored(&cmd);
    assert_eq!(again.version_scripts(), [PathBuf::from("new.map")]);
}

#[test]
fn missing_values() {
    let cmd = LinkCommand::parse(&words("ld a.o -o x --version-script")).unwrap();
    assert!(cmd.version_scripts().is_empty());
    let e = LinkerArgs::parse(&words("ld a.o -o x -T"), None).unwrap_err();
    assert!(e.to_string().contains("`-T` needs a value"), "{e}");
    let e = LinkCommand::parse(&words("gcc -o x a.o -Xlinker")).unwrap_err();
    assert!(e.to_string().contains("-Xlinker without a value"), "{e}");
}
