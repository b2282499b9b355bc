//! Stage 1, inputs: a provider's link command, as the user copies it from their build — a
//! compiler driver (gcc, cc, clang, g++) or a linker (ld, ld.bfd, ld.lld, mold) — with
//! `@response` files expanded and `-Wl,`/`-Xlinker` options understood: its output, its input
//! files, its export controls; and the same command rewritten for a tailored link. Options are
//! read through the tables of `linker_options` and `driver_options`, as `linker_args` reads
//! them for the link model.

use std::path::{Path, PathBuf};

use super::driver_options::{self, Meaning as DriverMeaning};
use super::linker_options::{self, Item, Kind, Meaning};
use crate::error::{Error, Result};

/// Whether the command runs a compiler driver or a linker directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    Driver,
    Linker,
}

/// A linker tailor can switch to (`--linker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linker {
    Bfd,
    Lld,
    Mold,
}

impl Linker {
    /// The linker a program or `-fuse-ld=` name runs (`ld.lld`, `lld`, `mold`, `ld.mold`;
    /// anything else is GNU ld).
    pub fn from_name(name: &str) -> Self {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.contains("lld") {
            Linker::Lld
        } else if base.contains("mold") {
            Linker::Mold
        } else {
            Linker::Bfd
        }
    }

    /// The name `-fuse-ld=` takes.
    pub fn fuse_name(self) -> &'static str {
        match self {
            Linker::Bfd => "bfd",
            Linker::Lld => "lld",
            Linker::Mold => "mold",
        }
    }

    /// The executable a direct linker command runs.
    pub fn program(self) -> &'static str {
        match self {
            Linker::Bfd => "ld.bfd",
            Linker::Lld => "ld.lld",
            Linker::Mold => "mold",
        }
    }
}

/// One argument of the command, as tailor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    /// An argument passed as it is.
    Plain(String),
    /// A driver's `-Wl,a,b,c`: linker arguments.
    Wl(Vec<String>),
    /// A driver's `-Xlinker A`.
    Xlinker(String),
}

/// A parsed link command.
#[derive(Debug, Clone)]
pub struct LinkCommand {
    pub kind: ToolKind,
    /// The output (`-o`).
    pub output: PathBuf,
    /// `-shared` (a shared library) rather than an executable.
    pub shared: bool,
    /// Input files named on the command line (objects, archives, libraries, scripts).
    pub inputs: Vec<PathBuf>,
    /// Response files read while expanding `@file` arguments.
    pub response_files: Vec<PathBuf>,
    /// The export controls found, as written (for messages).
    pub export_controls: Vec<String>,
    args: Vec<Arg>,
}

pub(crate) fn is_driver(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    let base = base.split('-').next_back().unwrap_or(base);
    matches!(
        base,
        "gcc" | "cc" | "g++" | "c++" | "clang" | "clang++" | "musl-gcc"
    ) || base.starts_with("gcc")
        || base.starts_with("g++")
        || base.starts_with("clang")
        || program.ends_with("musl-gcc")
}

pub(crate) fn is_linker(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    matches!(
        base,
        "ld" | "ld.bfd" | "ld.gold" | "ld.lld" | "lld" | "mold" | "ld.mold"
    ) || base.ends_with("-ld")
        || base.ends_with("-ld.bfd")
        || base.ends_with("-ld.lld")
}

/// Expands `@file` arguments (GNU style: whitespace-separated, single and double quotes,
/// backslash escapes; nested response files; a missing file is left as it is, as gcc does).
pub fn expand_response_files(args: &[String], read: &mut Vec<PathBuf>) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.len());
    expand_into(args.iter().cloned(), read, &mut out)?;
    Ok(out)
}

/// [`expand_response_files`], the words moved into `out` (a response file's words are not
/// copied again at each level).
fn expand_into(
    args: impl Iterator<Item = String>,
    read: &mut Vec<PathBuf>,
    out: &mut Vec<String>,
) -> Result<()> {
    for a in args {
        match a.strip_prefix('@') {
            Some(file) if Path::new(file).is_file() => {
                if read.len() > 64 || read.iter().any(|p| p == Path::new(file)) {
                    return Err(Error::Usage(format!(
                        "@{file}: response files nest too deep or include themselves"
                    )));
                }
                let text = std::fs::read_to_string(file)
                    .map_err(|e| Error::io("reading response file", Path::new(file), e))?;
                read.push(PathBuf::from(file));
                let inner = split_response(&text);
                out.reserve(inner.len());
                expand_into(inner.into_iter(), read, out)?;
            }
            _ => out.push(a),
        }
    }
    Ok(())
}

/// The words of a response file as gcc's `buildargv` (libiberty) splits them: ASCII
/// whitespace separates, `'` and `"` quote, a backslash takes the next byte as it is. Runs of
/// plain bytes are copied whole (musl's 37 KB file: a char at a time cost 14 M instructions).
pub(crate) fn split_response(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let special = |c: u8| c.is_ascii_whitespace() || matches!(c, b'\'' | b'"' | b'\\');
    let mut args = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut in_arg = false;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            if let Some(&n) = b.get(i + 1) {
                cur.push(n);
            }
            in_arg = true;
            i += 2;
            continue;
        }
        match quote {
            Some(q) => {
                let rest = &b[i..];
                let run = rest
                    .iter()
                    .position(|&x| x == q || x == b'\\')
                    .unwrap_or(rest.len());
                cur.extend_from_slice(&rest[..run]);
                i += run;
                if b.get(i) == Some(&q) {
                    quote = None;
                    i += 1;
                }
            }
            None if c == b'\'' || c == b'"' => {
                quote = Some(c);
                in_arg = true;
                i += 1;
            }
            None if c.is_ascii_whitespace() => {
                if in_arg {
                    // Copied out at its size, `cur` kept for the next word (taking it grew a
                    // new buffer from nothing for each of musl's 1,343 words).
                    args.push(word(&cur));
                    cur.clear();
                    in_arg = false;
                }
                i += 1;
            }
            None => {
                let rest = &b[i..];
                let run = rest.iter().position(|&x| special(x)).unwrap_or(rest.len());
                cur.extend_from_slice(&rest[..run]);
                in_arg = true;
                i += run;
            }
        }
    }
    if in_arg {
        args.push(word(&cur));
    }
    args
}

/// A word of valid UTF-8 text with ASCII bytes taken out is valid UTF-8; a backslash before a
/// multi-byte character takes its first byte, the rest follows as plain bytes.
fn word(bytes: &[u8]) -> String {
    crate::text::lossy(bytes).into_owned()
}

/// What a linker option does to exports, from the table's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    /// Not an export control.
    None,
    /// `--version-script`: replaced by tailor's.
    VersionScript,
    /// `--dynamic-list`: binding only in a shared library (kept); exports in an executable.
    /// (`--dynamic-list-data` and the C++ ones name no file and pass through: they keep data,
    /// or C++ operators and typeinfo, preemptible, which consumers' COPY relocations need.)
    DynamicList,
    /// `--export-dynamic-symbol*`, `--retain-symbols-file`: more exports than the plan.
    ExtraExports,
    /// `--no-gc-sections`.
    NoGc,
}

fn control(item: &Item) -> Control {
    match item.meaning() {
        Some(Meaning::VersionScript) => Control::VersionScript,
        Some(Meaning::DynamicList) => Control::DynamicList,
        Some(Meaning::ExtraExports) => Control::ExtraExports,
        Some(Meaning::GcSections(false)) => Control::NoGc,
        _ => Control::None,
    }
}

/// Arguments with the index of the [`Arg`] each came from.
struct Stream {
    tokens: Vec<String>,
    origin: Vec<usize>,
}

impl Stream {
    fn push(&mut self, arg: usize, token: &str) {
        self.tokens.push(token.to_string());
        self.origin.push(arg);
    }

    /// Puts an item's (possibly rewritten) arguments back with the args they came from.
    fn keep(&self, start: usize, rewritten: Vec<String>, kept: &mut [Vec<String>]) {
        for (k, t) in rewritten.into_iter().enumerate() {
            kept[self.origin[start + k]].push(t);
        }
    }
}

impl LinkCommand {
    /// The command as the user gives it: `libtool --mode=link ...` stands for the command
    /// libtool runs (asked with `--dry-run`, and said on stderr); anything else is parsed.
    pub fn from_user(argv: &[String]) -> Result<Self> {
        if super::libtool::is_link_mode(argv) {
            let real = super::libtool::real_link_command(argv)?;
            eprintln!("tailor: libtool --mode=link runs: {}", shell_join(&real));
            return Self::parse(&real);
        }
        Self::parse(argv)
    }

    /// Parses `argv` (program first).
    pub fn parse(argv: &[String]) -> Result<Self> {
        let program = argv.first().ok_or_else(|| {
            Error::Usage("empty link command (expected `-- LINK COMMAND...`)".into())
        })?;
        let kind = if is_linker(program) {
            ToolKind::Linker
        } else if is_driver(program) {
            ToolKind::Driver
        } else {
            return Err(Error::Usage(format!(
                "`{program}` is not a known compiler driver (gcc, cc, clang, g++), linker (ld, ld.bfd, ld.lld, mold) or `libtool --mode=link`"
            )));
        };
        let mut response_files = Vec::new();
        let expanded = expand_response_files(&argv[1..], &mut response_files)?;
        let mut args = vec![Arg::Plain(program.clone())];
        match kind {
            ToolKind::Linker => args.extend(expanded.into_iter().map(Arg::Plain)),
            ToolKind::Driver => {
                // What each item is, then its words moved (not copied) into the arguments.
                let kinds: Vec<(usize, usize, Option<Arg>)> = driver_options::items(&expanded)
                    .into_iter()
                    .map(|item| {
                        let arg = match (item.meaning(), item.value()) {
                            (DriverMeaning::LinkerArgs, Some(list)) => {
                                Some(Arg::Wl(list.split(',').map(str::to_string).collect()))
                            }
                            (DriverMeaning::Xlinker, Some(v)) => Some(Arg::Xlinker(v.into())),
                            (DriverMeaning::Xlinker, None) => {
                                return Err(Error::Usage("-Xlinker without a value".into()))
                            }
                            _ => None,
                        };
                        Ok((item.start, item.len, arg))
                    })
                    .collect::<Result<_>>()?;
                let mut words: Vec<Option<String>> = expanded.into_iter().map(Some).collect();
                for (start, len, arg) in kinds {
                    match arg {
                        Some(a) => args.push(a),
                        None => args.extend(
                            words[start..start + len]
                                .iter_mut()
                                .filter_map(Option::take)
                                .map(Arg::Plain),
                        ),
                    }
                }
            }
        }
        let mut cmd = LinkCommand {
            kind,
            output: PathBuf::new(),
            shared: false,
            inputs: Vec::new(),
            response_files,
            export_controls: Vec::new(),
            args,
        };
        cmd.scan()?;
        Ok(cmd)
    }

    /// The linker arguments in order (a linker's own, or a driver's `-Wl`/`-Xlinker` ones).
    fn linker_stream(&self) -> Stream {
        let mut s = Stream {
            tokens: Vec::new(),
            origin: Vec::new(),
        };
        for (k, a) in self.args.iter().enumerate().skip(1) {
            match (self.kind, a) {
                (ToolKind::Linker, Arg::Plain(t)) | (ToolKind::Driver, Arg::Xlinker(t)) => {
                    s.push(k, t)
                }
                (ToolKind::Driver, Arg::Wl(list)) => list.iter().for_each(|t| s.push(k, t)),
                _ => {}
            }
        }
        s
    }

    /// A driver's own arguments in order (none for a linker).
    fn driver_stream(&self) -> Stream {
        let mut s = Stream {
            tokens: Vec::new(),
            origin: Vec::new(),
        };
        for (k, a) in self.args.iter().enumerate().skip(1) {
            if let (ToolKind::Driver, Arg::Plain(t)) = (self.kind, a) {
                s.push(k, t);
            }
        }
        s
    }

    /// Finds output, inputs, `-shared` and export controls.
    fn scan(&mut self) -> Result<()> {
        let mut output = self.scan_linker_arguments();
        // A driver's own `-o` is taken over a `-Wl,-o`.
        if let Some(o) = self.scan_driver_arguments() {
            output = o;
        }
        self.output = PathBuf::from(output.ok_or_else(|| {
            Error::Usage(format!(
                "link command has no output (-o FILE): {}",
                self.display()
            ))
        })?);
        Ok(())
    }

    /// The linker arguments' part of `scan`; returns the output they name.
    fn scan_linker_arguments(&mut self) -> Option<String> {
        let linker = self.linker_stream();
        let mut output = None;
        for item in linker_options::items(&linker.tokens) {
            match item.kind {
                Kind::Input(t) if self.kind == ToolKind::Linker => self.inputs.push(t.into()),
                _ => {}
            }
            match (item.meaning(), item.value()) {
                (Some(Meaning::Output), Some(v)) => output = Some(v.to_string()),
                (Some(Meaning::Shared), _) => self.shared = true,
                _ => {}
            }
            if control(&item) != Control::None {
                self.export_controls.push(item.text(&linker.tokens));
            }
        }
        output
    }

    /// A driver's own arguments' part of `scan`; returns the output they name, if they have
    /// `-o` (`Some(None)`: `-o` without a value).
    fn scan_driver_arguments(&mut self) -> Option<Option<String>> {
        let driver = self.driver_stream();
        let mut output = None;
        for item in driver_options::items(&driver.tokens) {
            match (item.kind, item.meaning(), item.value()) {
                (driver_options::Kind::Input(t), _, _) => self.inputs.push(t.into()),
                (_, DriverMeaning::Output, v) => output = Some(v.map(str::to_string)),
                (_, DriverMeaning::Script, Some(v)) => self.inputs.push(v.into()),
                (_, DriverMeaning::Shared, _) => self.shared = true,
                (_, DriverMeaning::ExportDynamic, _) => {
                    self.export_controls.push(item.text(&driver.tokens))
                }
                _ => {}
            }
        }
        output
    }

    /// Whether the command has the argument `word` as it is (a driver's own, or a linker's).
    pub fn has_plain(&self, word: &str) -> bool {
        self.args
            .iter()
            .skip(1)
            .any(|a| matches!(a, Arg::Plain(w) if w == word))
    }

    /// The command as a shell-like line (for messages).
    pub fn display(&self) -> String {
        shell_join(&self.argv())
    }

    /// The command's argv (response files expanded).
    pub fn argv(&self) -> Vec<String> {
        let mut v = Vec::new();
        for a in &self.args {
            match a {
                Arg::Plain(s) => v.push(s.clone()),
                Arg::Wl(list) => v.push(format!("-Wl,{}", list.join(","))),
                Arg::Xlinker(s) => {
                    v.push("-Xlinker".into());
                    v.push(s.clone());
                }
            }
        }
        v
    }

    /// The same command writing `output` instead (export controls untouched).
    pub fn with_output(&self, output: &Path) -> Vec<String> {
        self.rewrite(output, None, None)
    }

    /// The same command writing `output`, run with `linker` (export controls untouched): the
    /// generic image a tailored one linked with another linker is compared with.
    pub fn with_output_and_linker(&self, output: &Path, linker: Linker) -> Vec<String> {
        self.rewrite(output, None, Some(linker))
    }

    /// The tailored command: output `output`; the version script replaced by `version_script`;
    /// `--dynamic-list` replaced by `dynamic_list` in a shared library (the original narrowed
    /// to the plan), by `--export-dynamic` in an executable (so the script's globals are
    /// exported); extra exports and `--no-gc-sections` dropped; `--gc-sections` and `extra`
    /// linker options added; `linker` switched to.
    pub fn tailored(
        &self,
        output: &Path,
        version_script: &Path,
        dynamic_list: Option<&Path>,
        linker: Option<Linker>,
        extra: &[String],
    ) -> Vec<String> {
        let mut flags = vec![
            format!("--version-script={}", version_script.display()),
            "--gc-sections".to_string(),
        ];
        match dynamic_list {
            Some(list) if self.shared => flags.push(format!("--dynamic-list={}", list.display())),
            // Nothing planned is in the original list: every symbol binds locally.
            None if self.shared && self.had(Control::DynamicList) => {
                flags.push("-Bsymbolic".into())
            }
            _ => {}
        }
        if !self.shared && self.had(Control::DynamicList) {
            flags.push("--export-dynamic".into());
        }
        flags.extend(extra.iter().cloned());
        self.rewrite(output, Some(&flags), linker)
    }

    /// The same command without the input files in `remove` (objects of disabled features).
    pub fn without_inputs(&self, remove: &[PathBuf]) -> LinkCommand {
        let drop = |s: &str| remove.iter().any(|r| r.as_os_str() == s);
        let mut cmd = self.clone();
        cmd.args.retain(|a| !matches!(a, Arg::Plain(s) if drop(s)));
        cmd.inputs.retain(|i| !remove.contains(i));
        cmd
    }

    /// The same command with `objects` added after its inputs (embedded archives).
    pub fn with_extra_inputs(&self, objects: &[PathBuf]) -> LinkCommand {
        let mut cmd = self.clone();
        for o in objects {
            cmd.args.push(Arg::Plain(o.display().to_string()));
            cmd.inputs.push(o.clone());
        }
        cmd
    }

    /// The files named by `--dynamic-list` options, in order.
    pub fn dynamic_lists(&self) -> Vec<PathBuf> {
        self.control_files(Control::DynamicList)
    }

    /// The files named by `--version-script` options, in order.
    pub fn version_scripts(&self) -> Vec<PathBuf> {
        self.control_files(Control::VersionScript)
    }

    fn control_files(&self, c: Control) -> Vec<PathBuf> {
        let linker = self.linker_stream();
        linker_options::items(&linker.tokens)
            .iter()
            .filter(|item| control(item) == c)
            .filter_map(|item| item.value().map(PathBuf::from))
            .collect()
    }

    fn had(&self, c: Control) -> bool {
        let linker = self.linker_stream();
        linker_options::items(&linker.tokens)
            .iter()
            .any(|item| control(item) == c)
    }

    /// The arguments each `Arg` keeps, `-o` rewritten to `out`, export controls dropped when
    /// `drop_controls`, `-fuse-ld=` when switching `linker`. An option and its value may come
    /// from two (`-Xlinker --version-script -Xlinker old.map`): each keeps its own.
    fn kept_arguments(
        &self,
        out: &str,
        drop_controls: bool,
        linker: Option<Linker>,
    ) -> Vec<Vec<String>> {
        let mut kept = vec![Vec::new(); self.args.len()];
        let stream = self.linker_stream();
        for item in linker_options::items(&stream.tokens) {
            if drop_controls && control(&item) != Control::None {
                continue;
            }
            let tokens = match item.meaning() {
                Some(Meaning::Output) => item.with_value(&stream.tokens, out),
                _ => stream.tokens[item.start..item.start + item.len].to_vec(),
            };
            stream.keep(item.start, tokens, &mut kept);
        }
        let stream = self.driver_stream();
        for item in driver_options::items(&stream.tokens) {
            let tokens = match item.meaning() {
                DriverMeaning::Output => item.with_value(&stream.tokens, out),
                DriverMeaning::FuseLd if linker.is_some() => continue,
                _ => stream.tokens[item.start..item.start + item.len].to_vec(),
            };
            stream.keep(item.start, tokens, &mut kept);
        }
        kept
    }

    /// Rebuilds the argv: `-o` replaced, export controls dropped when `add` is given (then
    /// `add` appended as linker options), the linker switched.
    fn rewrite(
        &self,
        output: &Path,
        add: Option<&[String]>,
        linker: Option<Linker>,
    ) -> Vec<String> {
        let kept = self.kept_arguments(&output.display().to_string(), add.is_some(), linker);
        let program = match (self.kind, linker) {
            (ToolKind::Linker, Some(l)) => l.program().to_string(),
            _ => self.argv()[0].clone(),
        };
        let mut argv = vec![program];
        for (a, kept) in self.args.iter().zip(kept).skip(1) {
            match a {
                Arg::Plain(_) => argv.extend(kept),
                Arg::Wl(_) if !kept.is_empty() => argv.push(format!("-Wl,{}", kept.join(","))),
                Arg::Wl(_) => {}
                Arg::Xlinker(_) => kept.into_iter().for_each(|k| {
                    argv.push("-Xlinker".into());
                    argv.push(k);
                }),
            }
        }
        match self.kind {
            ToolKind::Linker => argv.extend(add.unwrap_or_default().iter().cloned()),
            ToolKind::Driver => {
                if let Some(l) = linker {
                    argv.push(format!("-fuse-ld={}", l.fuse_name()));
                }
                // -Xlinker, not -Wl: a path may hold a comma.
                for f in add.unwrap_or_default() {
                    argv.push("-Xlinker".into());
                    argv.push(f.clone());
                }
            }
        }
        argv
    }
}

/// Joins arguments for display, quoting those a shell would split.
pub fn shell_join(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=,+:@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn driver_command_like_musl() {
        let cmd = LinkCommand::parse(&argv(
            "gcc -std=c99 -O2 -Wl,--sort-section,alignment -Wl,--gc-sections -Wl,--hash-style=both \
             -Wl,--dynamic-list=./dynamic.list -nostdlib -shared -Wl,-e,_dlstart -o lib/libc.so a.lo b.lo -lgcc",
        ))
        .unwrap();
        assert_eq!(cmd.kind, ToolKind::Driver);
        assert!(cmd.shared);
        assert_eq!(cmd.output, PathBuf::from("lib/libc.so"));
        assert_eq!(
            cmd.inputs,
            vec![PathBuf::from("a.lo"), PathBuf::from("b.lo")]
        );
        assert_eq!(cmd.export_controls, vec!["--dynamic-list=./dynamic.list"]);
        assert_eq!(cmd.dynamic_lists(), vec![PathBuf::from("./dynamic.list")]);
        let t = cmd.tailored(
            Path::new("out.so"),
            Path::new("v.map"),
            Some(Path::new("out.dynlist")),
            Some(Linker::Lld),
            &[],
        );
        let line = t.join(" ");
        assert!(line.contains("-o out.so"), "{line}");
        assert!(line.contains("-Wl,--sort-section,alignment"), "{line}");
        // The dynamic list is replaced by the narrowed one; the version script is added.
        assert!(!line.contains("./dynamic.list"), "{line}");
        assert!(
            line.ends_with(
                "-fuse-ld=lld -Xlinker --version-script=v.map -Xlinker --gc-sections \
                 -Xlinker --dynamic-list=out.dynlist"
            ),
            "{line}"
        );
    }

    #[test]
    fn linker_command_like_osv_kernel() {
        let cmd = LinkCommand::parse(&argv(
            "ld -o kernel.elf --defsym=X=1 -Bdynamic --export-dynamic --eh-frame-hdr -T loader.ld \
             boot.o loader.o --version-script=old.map --no-gc-sections libstdc++.a",
        ))
        .unwrap();
        assert_eq!(cmd.kind, ToolKind::Linker);
        assert!(!cmd.shared);
        assert_eq!(cmd.output, PathBuf::from("kernel.elf"));
        assert_eq!(
            cmd.inputs,
            ["boot.o", "loader.o", "libstdc++.a"]
                .map(PathBuf::from)
                .to_vec()
        );
        let t = cmd.tailored(
            Path::new("k.t"),
            Path::new("new.map"),
            None,
            Some(Linker::Mold),
            &[],
        );
        assert_eq!(
            t.join(" "),
            "mold -o k.t --defsym=X=1 -Bdynamic --export-dynamic --eh-frame-hdr -T loader.ld boot.o \
             loader.o libstdc++.a --version-script=new.map --gc-sections"
        );
    }

    #[test]
    fn dynamic_list_data_options_pass_through() {
        for opt in [
            "--dynamic-list-data",
            "--dynamic-list-cpp-new",
            "--dynamic-list-cpp-typeinfo",
        ] {
            let cmd = LinkCommand::parse(&argv(&format!(
                "gcc -shared -o libx.so x.o -Wl,--version-script=x.map -Wl,{opt}"
            )))
            .unwrap();
            assert!(cmd.dynamic_lists().is_empty(), "{opt}");
            assert_eq!(cmd.export_controls, ["--version-script=x.map"], "{opt}");
            let line = cmd
                .tailored(Path::new("o.so"), Path::new("v.map"), None, None, &[])
                .join(" ");
            assert!(line.contains(&format!("-Wl,{opt}")), "{line}");
            assert!(!line.contains("-Bsymbolic"), "{line}");
            assert!(!line.contains("x.map"), "{line}");
        }
    }

    /// Words split as gcc splits a response file: the `-D` values gcc itself reports in
    /// `COLLECT_GCC_OPTIONS` (each single-quoted, `'\''` for a quote) for quotes of both
    /// kinds, backslashes in and out of quotes, a tab, non-ASCII bytes and an empty value.
    #[test]
    fn response_files_split_as_gcc_splits_them() {
        let text = "-DA=plain -D'B=x y' \"-DC=a'b\" -DD=back\\ slash -DE=\u{fc}n\u{ef}\t-DF=\"q\\\"x\"\n-DG='' -DH=a\\tb";
        let dir = tempfile::tempdir().unwrap();
        let rsp = dir.path().join("t.rsp");
        std::fs::write(&rsp, text).unwrap();
        let out = std::process::Command::new("gcc")
            .arg("-###")
            .arg(format!("@{}", rsp.display()))
            .args(["-E", "-x", "c", "/dev/null"])
            .output()
            .expect("gcc (Debian package gcc) runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let options = stderr
            .lines()
            .find_map(|l| l.strip_prefix("COLLECT_GCC_OPTIONS="))
            .expect("gcc -### prints COLLECT_GCC_OPTIONS");
        // POSIX single-quoted words, joined where `'\''` splices a quote in.
        let mut words = vec![String::new()];
        let mut quoted = false;
        let mut chars = options.chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (false, '\'') | (true, '\'') => quoted = !quoted,
                (false, '\\') => words.last_mut().unwrap().extend(chars.next()),
                (false, ' ') => words.push(String::new()),
                (_, c) => words.last_mut().unwrap().push(c),
            }
        }
        let gcc_values: Vec<&str> = words
            .windows(2)
            .filter(|w| w[0] == "-D")
            .map(|w| w[1].as_str())
            .collect();
        let split = split_response(text);
        let ours: Vec<&str> = split.iter().filter_map(|w| w.strip_prefix("-D")).collect();
        assert_eq!(ours, gcc_values, "split: {split:?}");
        assert_eq!(ours.len(), 8, "{ours:?}");
    }

    #[test]
    fn response_files_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let rsp = dir.path().join("link.rsp");
        std::fs::write(&rsp, "-shared -o 'out dir/lib.so'\n\"a b.o\" c\\ d.o").unwrap();
        let cmd = LinkCommand::parse(&["cc".to_string(), format!("@{}", rsp.display())]).unwrap();
        assert_eq!(cmd.output, PathBuf::from("out dir/lib.so"));
        assert_eq!(
            cmd.inputs,
            vec![PathBuf::from("a b.o"), PathBuf::from("c d.o")]
        );
        assert_eq!(cmd.response_files, vec![rsp]);
        let e = LinkCommand::parse(&argv("cc -shared a.o"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no output"), "{e}");
        let e = LinkCommand::parse(&argv("frobnicate -o x a.o"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a known"), "{e}");
    }
}
