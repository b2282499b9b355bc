//! Stage 1, inputs: the table of compiler-driver options (gcc, clang) tailor needs to know,
//! in the style of `linker_options`: which ones take the next argument as their value, and
//! the few that mean something to tailor (`-o`, `-T`, `-shared`, `-rdynamic`, `-Wl,`,
//! `-Xlinker`, `-fuse-ld=`). Every other driver option is one argument passed through.

use super::linker_options;

/// How a driver option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Takes {
    Nothing,
    /// The next argument; a one-letter option also joined (`-ofile`, `-Tx.ld`).
    Next,
    /// Glued to the name (`-Wl,a,b`, `-fuse-ld=lld`).
    Glued,
}

/// What a driver option means to tailor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meaning {
    PassThrough,
    /// `-o FILE`: replaced in the tailored command.
    Output,
    /// `-T FILE`: the linker script (an input of the link).
    Script,
    Shared,
    /// `-rdynamic`: an export control.
    ExportDynamic,
    /// `-Wl,a,b`: linker arguments, split at commas.
    LinkerArgs,
    /// `-Xlinker A`: one linker argument.
    Xlinker,
    /// `-fuse-ld=NAME`: dropped when tailor switches the linker.
    FuseLd,
}

/// One driver option, spelled with its dashes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DriverOption {
    pub name: &'static str,
    pub takes: Takes,
    pub meaning: Meaning,
}

const fn opt(name: &'static str, takes: Takes, meaning: Meaning) -> DriverOption {
    DriverOption {
        name,
        takes,
        meaning,
    }
}

const fn value(name: &'static str) -> DriverOption {
    opt(name, Takes::Next, Meaning::PassThrough)
}

/// The table.
pub(crate) static DRIVER_OPTIONS: &[DriverOption] = &[
    opt("-o", Takes::Next, Meaning::Output),
    opt("-T", Takes::Next, Meaning::Script),
    opt("-shared", Takes::Nothing, Meaning::Shared),
    opt("-rdynamic", Takes::Nothing, Meaning::ExportDynamic),
    opt("-Wl,", Takes::Glued, Meaning::LinkerArgs),
    opt("-Xlinker", Takes::Next, Meaning::Xlinker),
    opt("-fuse-ld=", Takes::Glued, Meaning::FuseLd),
    value("-x"),
    value("-L"),
    value("-l"),
    value("-I"),
    value("-D"),
    value("-U"),
    value("-e"),
    value("-u"),
    value("-z"),
    value("-B"),
    value("-include"),
    value("-imacros"),
    value("-isystem"),
    value("-iquote"),
    value("-idirafter"),
    value("-MF"),
    value("-MT"),
    value("-MQ"),
    value("-Xassembler"),
    value("-Xpreprocessor"),
    value("-Xclang"),
    value("-specs"),
    value("--sysroot"),
    value("-target"),
    value("--target"),
    value("-arch"),
    value("-aux-info"),
    value("-dumpbase"),
    value("-dumpdir"),
];

/// What one item of a driver's arguments is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// A file (source, object, archive, library).
    Input(&'a str),
    /// An option of the table; `value` is `None` when it is missing at the end.
    Option {
        option: &'static DriverOption,
        value: Option<&'a str>,
        /// Where the value starts in the first argument (`Some(2)` for `-ofile`), or `None`
        /// when it is the next argument (or missing, or there is none).
        joined: Option<usize>,
    },
    /// Any other option: one argument passed through.
    Unknown(&'a str),
}

/// One item at `start`, `len` arguments long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item<'a> {
    pub start: usize,
    pub len: usize,
    pub kind: Kind<'a>,
}

impl<'a> Item<'a> {
    pub fn meaning(&self) -> Meaning {
        match self.kind {
            Kind::Option { option, .. } => option.meaning,
            _ => Meaning::PassThrough,
        }
    }

    pub fn value(&self) -> Option<&'a str> {
        match self.kind {
            Kind::Option { value, .. } => value,
            _ => None,
        }
    }

    /// The item's arguments carrying `value` instead of its own, in the same form.
    pub fn with_value(&self, tokens: &[String], value: &str) -> Vec<String> {
        let first = tokens[self.start].as_str();
        match self.kind {
            Kind::Option {
                joined: Some(n), ..
            } => vec![format!("{}{value}", &first[..n])],
            Kind::Option { value: Some(_), .. } => vec![first.to_string(), value.to_string()],
            _ => tokens[self.start..self.start + self.len].to_vec(),
        }
    }

    pub fn text(&self, tokens: &[String]) -> String {
        tokens[self.start..self.start + self.len].join(" ")
    }
}

/// The option a driver argument starts, and where a joined value starts.
fn match_token(t: &str) -> Option<(&'static DriverOption, Option<usize>)> {
    if let Some(o) = DRIVER_OPTIONS
        .iter()
        .find(|o| o.name == t && o.takes != Takes::Glued)
    {
        return Some((o, None));
    }
    let o = DRIVER_OPTIONS.iter().find(|o| match o.takes {
        Takes::Glued => t.starts_with(o.name),
        Takes::Next => o.name.len() == 2 && t.len() > 2 && t.starts_with(o.name),
        Takes::Nothing => false,
    })?;
    // `-Ttext=0x1000` is the linker's `-Ttext`, not a script: the linker table decides.
    if o.meaning == Meaning::Script && !linker_options::is_script(t) {
        return None;
    }
    Some((o, Some(o.name.len())))
}

/// Splits a driver's arguments (the program not included) into inputs and options.
pub(crate) fn items(tokens: &[String]) -> Vec<Item<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let start = i;
        i += 1;
        let kind = if !t.starts_with('-') || t == "-" {
            Kind::Input(t)
        } else {
            match match_token(t) {
                None => Kind::Unknown(t),
                Some((option, Some(n))) => Kind::Option {
                    option,
                    value: t.get(n..),
                    joined: Some(n),
                },
                Some((option, None)) if option.takes == Takes::Next => {
                    let value = tokens.get(i).map(String::as_str);
                    i += usize::from(value.is_some());
                    Kind::Option {
                        option,
                        value,
                        joined: None,
                    }
                }
                Some((option, None)) => Kind::Option {
                    option,
                    value: None,
                    joined: None,
                },
            }
        };
        out.push(Item {
            start,
            len: i - start,
            kind,
        });
    }
    out
}
