//! Stage 2, analysis: a link as the linker loads it — input files read (scripts such as
//! glibc's `libc.so` expanded), archive members extracted by GNU ld's rules (the archive
//! index scanned until nothing new is needed, groups repeated, `--whole-archive`), and
//! symbols resolved (strong over weak, the first COMDAT group of a signature, regular
//! definitions over shared ones, `foo@@V` answering `foo`).
//!
//! Objects are parsed in parallel; resolution is sequential, in command-line order, because
//! the order is the semantics.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use object::elf;
use rayon::prelude::*;

use super::ids::{GlobalId, InputId, ObjId, SectionId};
use super::objfile::{self, ObjSection, ObjectFile};
use crate::error::{Error, Result};
use crate::hash::{FxHashMap, FxHashSet};
use crate::inputs::ldscript::{self, InputItem};
use crate::inputs::linker_args::{in_dir, InputName, LinkerArgs, LinkerInput};
use crate::inputs::{input_cache, Mapped};

/// A file's bytes: read (small objects), mapped (archives, libraries), or a part of the input
/// cache's pack (small objects unchanged since it was written).
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(Mapped),
    Packed(std::sync::Arc<memmap2::Mmap>, std::ops::Range<usize>),
}

impl Bytes {
    pub fn get(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Packed(m, r) => &m[r.clone()],
        }
    }
}

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Object,
    Archive,
    Shared,
}

/// One input file, read.
pub struct InputFile {
    pub path: PathBuf,
    /// The file as the linker names it in messages (the path as given or as found).
    pub display: String,
    pub kind: FileKind,
    pub bytes: Bytes,
    pub whole_archive: bool,
    pub as_needed: bool,
    pub group: u32,
    /// Members of a thin archive: (name as in the archive, bytes).
    pub thin_members: FxHashMap<Vec<u8>, Bytes>,
    /// `--exclude-libs` names this archive: its members' symbols are not exported.
    pub excluded: bool,
}

/// Every input of a link, read, in the linker's order.
pub struct LinkFiles {
    pub files: Vec<InputFile>,
    /// Files read along the way (scripts), for depfiles.
    pub scripts: Vec<PathBuf>,
    /// The linker whose naming of files the display names follow.
    pub linker: Option<crate::inputs::link_command::Linker>,
    /// Aligned copies of archive members (members sit at even offsets; ELF headers must
    /// be 8-byte aligned to be read in place).
    aligned: AlignedCopies,
}

/// An append-only store of 8-byte-aligned copies that live as long as the store.
#[derive(Default)]
struct AlignedCopies {
    chunks: std::sync::Mutex<Vec<Box<[u64]>>>,
}

impl AlignedCopies {
    /// `data` itself when it is aligned, else an aligned copy.
    fn aligned<'s>(&'s self, data: &'s [u8]) -> &'s [u8] {
        if (data.as_ptr() as usize).is_multiple_of(8) {
            return data;
        }
        let mut chunk = vec![0u64; data.len().div_ceil(8)].into_boxed_slice();
        let ptr = chunk.as_mut_ptr().cast::<u8>();
        // SAFETY: `chunk` holds at least `data.len()` bytes; the regions do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), ptr, data.len()) };
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        chunks.push(chunk);
        // SAFETY: the boxed slice's heap block never moves and is never freed or written
        // while `self` lives (chunks are only appended), so the slice stays valid for 's.
        unsafe { std::slice::from_raw_parts(ptr.cast_const(), data.len()) }
    }
}

/// Reads the inputs of `args` (run in `cwd`), searching `-l` in the `-L` directories and
/// then `search` (the linker's own directories).
pub fn read_files(
    args: &LinkerArgs,
    cwd: &Path,
    search: &[PathBuf],
    prefetched: &Prefetched,
) -> Result<LinkFiles> {
    // Name every input first (scripts expand in place), then read them in parallel. Finding
    // each one and its first bytes is done in parallel too (on the thread everything waits
    // for, 1,700 instructions an input: 2.3 million for musl's 1,345); only a linker script
    // among them is then expanded in order.
    let located: Vec<Result<Located>> = args
        .inputs
        .par_iter()
        .map(|input| locate(args, cwd, search, input, prefetched))
        .collect();
    let mut named: Vec<(PathBuf, String, Cow<'_, LinkerInput>)> = Vec::new();
    let mut scripts = Vec::new();
    let mut next_group = args.inputs.iter().map(|i| i.group).max().unwrap_or(0) + 1;
    for (input, found) in args.inputs.iter().zip(located) {
        name_located(
            args,
            cwd,
            search,
            Cow::Borrowed(input),
            found?,
            &mut named,
            &mut scripts,
            &mut next_group,
            0,
            prefetched,
        )?;
    }
    let files: Vec<Result<InputFile>> = named
        .into_par_iter()
        .map(|(path, display, input)| read_one(args, path, display, &input, prefetched))
        .collect();
    let files = files.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(LinkFiles {
        files,
        scripts,
        linker: args.linker,
        aligned: AlignedCopies::default(),
    })
}

/// An input found: its path, its name in the linker's messages, its first bytes.
type Located = (PathBuf, String, [u8; 8]);

/// Where `input` is (`-l` searched) and its first bytes (from `prefetched` when read ahead).
fn locate(
    args: &LinkerArgs,
    cwd: &Path,
    search: &[PathBuf],
    input: &LinkerInput,
    prefetched: &Prefetched,
) -> Result<Located> {
    let (path, display) = match &input.item {
        InputName::Path(p) => (in_dir(cwd, p), crate::text::path_text(p).into_owned()),
        InputName::Library { name, exact } => {
            let (found, shown) = args.find_library(input, search, cwd).ok_or_else(|| {
                Error::Usage(format!(
                    "cannot find -l{}{name} in the -L directories ({})",
                    if *exact { ":" } else { "" },
                    args.library_paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            (found, crate::text::path_text(&shown).into_owned())
        }
    };
    let head = match prefetched.get(path.as_os_str()) {
        Some(m) => {
            let guard = m.lock().unwrap_or_else(|e| e.into_inner());
            let b = guard.as_ref().map_or(&[][..], Bytes::get);
            let mut h = [0u8; 8];
            let n = b.len().min(8);
            h[..n].copy_from_slice(&b[..n]);
            h
        }
        None => read_head(&path)?,
    };
    Ok((path, display, head))
}

/// Names `input` (found as `located`) and, when it is a linker script, the inputs it names in
/// its place.
#[allow(clippy::too_many_arguments)]
fn name_located<'a>(
    args: &LinkerArgs,
    cwd: &Path,
    search: &[PathBuf],
    input: Cow<'a, LinkerInput>,
    (path, display, head): Located,
    out: &mut Vec<(PathBuf, String, Cow<'a, LinkerInput>)>,
    scripts: &mut Vec<PathBuf>,
    next_group: &mut u32,
    depth: usize,
    prefetched: &Prefetched,
) -> Result<()> {
    if !head.starts_with(b"\x7fELF")
        && !head.starts_with(b"!<arch>")
        && !head.starts_with(b"!<thin>")
    {
        // A linker script as an input: INPUT/GROUP name more inputs.
        if depth > 16 {
            return Err(Error::Usage(format!(
                "{}: linker scripts include each other too deeply",
                path.display()
            )));
        }
        let script = ldscript::parse_file(&path, &args.library_paths)?;
        scripts.push(path.clone());
        for c in script.flat_commands() {
            if let ldscript::Command::Input { group, items } = c {
                let group_id = if *group {
                    *next_group += 1;
                    *next_group - 1
                } else {
                    input.group
                };
                let base = LinkerInput {
                    group: group_id,
                    ..input.as_ref().clone()
                };
                for item in flatten_items(items, false) {
                    let (item_name, as_needed) = item;
                    let next = LinkerInput {
                        item: item_name,
                        as_needed: base.as_needed || as_needed,
                        ..base.clone()
                    };
                    let next = match &next.item {
                        InputName::Path(p) if !p.is_absolute() && !cwd.join(p).exists() => {
                            // ld looks relative to the script's directory's search path.
                            let found = args
                                .library_paths
                                .iter()
                                .map(|d| in_dir(cwd, d).join(p))
                                .find(|c| c.exists());
                            match found {
                                Some(f) => LinkerInput {
                                    item: InputName::Path(f),
                                    ..next
                                },
                                None => next,
                            }
                        }
                        _ => next,
                    };
                    let found = locate(args, cwd, search, &next, prefetched)?;
                    name_located(
                        args,
                        cwd,
                        search,
                        Cow::Owned(next),
                        found,
                        out,
                        scripts,
                        next_group,
                        depth + 1,
                        prefetched,
                    )?;
                }
            }
        }
        return Ok(());
    }
    out.push((path, display, input));
    Ok(())
}

fn flatten_items(items: &[InputItem], as_needed: bool) -> Vec<(InputName, bool)> {
    let mut v = Vec::new();
    for i in items {
        match i {
            InputItem::File(f) => v.push((InputName::Path(PathBuf::from(f)), as_needed)),
            InputItem::Library(l) => v.push((
                InputName::Library {
                    name: l.clone(),
                    exact: false,
                },
                as_needed,
            )),
            InputItem::AsNeeded(inner) => v.extend(flatten_items(inner, true)),
        }
    }
    v
}

fn read_head(path: &Path) -> Result<[u8; 8]> {
    use std::io::Read;
    crate::inputs::regular_file(path, "opening link input")?;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("opening link input", path, e))?;
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = f
            .read(&mut head[got..])
            .map_err(|e| Error::io("reading link input", path, e))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(head)
}

impl LinkFiles {
    /// Inputs given as bytes (fuzzing, tests): each is an object, an archive or a shared
    /// library by its magic; anything else is refused as not ELF.
    pub fn from_memory(inputs: Vec<(String, Vec<u8>)>) -> Result<Self> {
        let mut files = Vec::new();
        for (name, data) in inputs {
            let path = PathBuf::from(&name);
            let kind = if data.starts_with(b"!<arch>\n") {
                FileKind::Archive
            } else if objfile::is_relocatable(&data) {
                FileKind::Object
            } else if data.starts_with(b"\x7fELF") {
                FileKind::Shared
            } else {
                return Err(Error::not_elf(&path, &data));
            };
            files.push(InputFile {
                path,
                display: name,
                kind,
                bytes: Bytes::Owned(data),
                whole_archive: false,
                as_needed: false,
                group: 0,
                thin_members: FxHashMap::default(),
                excluded: false,
            });
        }
        Ok(LinkFiles {
            files,
            scripts: Vec::new(),
            linker: None,
            aligned: AlignedCopies::default(),
        })
    }
}

/// Small input files read ahead (while the driver is still asked for its linker command), by
/// their path's bytes (hashing a `Path` walks its components: 2% of `tailor gc` on musl).
pub type Prefetched = FxHashMap<std::ffi::OsString, std::sync::Mutex<Option<Bytes>>>;

/// Reads the files of `paths` smaller than 1 MiB in parallel (missing ones are skipped: the
/// real read reports them), taking those unchanged since the last run from the input cache
/// ([`input_cache`]) and writing it again when a settled file had to be read.
pub fn prefetch(cwd: &Path, paths: &[PathBuf]) -> Prefetched {
    let pack_path = input_cache::pack_path(cwd, paths);
    let pack = pack_path
        .as_deref()
        .and_then(|p| input_cache::Pack::open(p, paths));
    let read: Vec<Option<ReadAhead>> = paths
        .par_iter()
        .enumerate()
        .map(|(i, p)| read_ahead(cwd, p, pack.as_ref().map(|k| (k, i))))
        .collect();
    if let Some(pack_path) = &pack_path {
        let cutoff = input_cache::settle_cutoff();
        let stale = read
            .iter()
            .flatten()
            .any(|r| !r.from_pack && r.identity.settled(cutoff));
        if stale {
            let files: Vec<input_cache::Packed> = read
                .iter()
                .enumerate()
                .filter_map(|(slot, r)| {
                    let r = r.as_ref()?;
                    Some(input_cache::Packed {
                        slot,
                        path: paths[slot].as_os_str(),
                        identity: r.identity,
                        bytes: r.bytes.get(),
                    })
                })
                .collect();
            let written = input_cache::write(pack_path, &files, cutoff);
            crate::trace::note(|| {
                format!(
                    "input cache: {} {}",
                    if written { "wrote" } else { "could not write" },
                    pack_path.display()
                )
            });
        }
        let hits = read.iter().flatten().filter(|r| r.from_pack).count();
        crate::trace::note(|| {
            format!(
                "input cache: {hits} of {} inputs from {}",
                paths.len(),
                pack_path.display()
            )
        });
    }
    read.into_iter()
        .flatten()
        .map(|r| (r.key, std::sync::Mutex::new(Some(r.bytes))))
        .collect()
}

/// A file [`prefetch`] read.
struct ReadAhead {
    /// Its path from the working directory, as [`Prefetched`] is keyed.
    key: std::ffi::OsString,
    bytes: Bytes,
    identity: input_cache::Identity,
    from_pack: bool,
}

/// Reads `p` ahead: from `packed` (the pack and `p`'s place in it) when the file stats as it
/// was packed, else from the file.
fn read_ahead(
    cwd: &Path,
    p: &Path,
    packed: Option<(&input_cache::Pack, usize)>,
) -> Option<ReadAhead> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let key = || in_dir(cwd, p).into_os_string();
    if let Some((pack, slot)) = packed {
        let meta = std::fs::metadata(p).ok()?;
        if !meta.is_file() {
            return None;
        }
        let identity = input_cache::Identity::of(&meta);
        if let Some((map, range)) = pack.get(slot, &identity) {
            return Some(ReadAhead {
                key: key(),
                bytes: Bytes::Packed(map, range),
                identity,
                from_pack: true,
            });
        }
    }
    // One path walk per file (open, by the path as given: relative paths walk from the
    // working directory), then fstat on the handle: on musl's 1,346 objects the path walks
    // are most of the time this takes. Non-blocking, so that a FIFO among the inputs does not
    // wait for a writer (the real read refuses it by name).
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(p)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() >= (1 << 20) {
        return None;
    }
    // Exactly the size fstat gave, in one read: `read_to_end` would ask for the position
    // (lseek), stat the file again and read once more to meet the end, three system calls
    // more per file (4,000 for musl). A file that shrank since is read again by the real read.
    let mut bytes = vec![0; meta.len() as usize];
    file.read_exact(&mut bytes).ok()?;
    Some(ReadAhead {
        key: key(),
        bytes: Bytes::Owned(bytes),
        identity: input_cache::Identity::of(&meta),
        from_pack: false,
    })
}

fn read_one(
    args: &LinkerArgs,
    path: PathBuf,
    display: String,
    input: &LinkerInput,
    prefetched: &Prefetched,
) -> Result<InputFile> {
    let path = path.as_path();
    let ready = prefetched
        .get(path.as_os_str())
        .and_then(|m| m.lock().unwrap_or_else(|e| e.into_inner()).take());
    let size = match &ready {
        Some(b) => b.get().len() as u64,
        None => std::fs::metadata(path)
            .map_err(|e| Error::io("reading link input", path, e))?
            .len(),
    };
    // Objects are small (musl's average 3 KB): one read beats mmap + munmap, which
    // serialize on the process's mmap lock.
    let bytes = if let Some(b) = ready {
        b
    } else if size < (1 << 20) {
        Bytes::Owned(std::fs::read(path).map_err(|e| Error::io("reading link input", path, e))?)
    } else {
        Bytes::Mapped(Mapped::open(path)?)
    };
    let data = bytes.get();
    let kind = if data.starts_with(b"!<arch>\n") || data.starts_with(b"!<thin>\n") {
        FileKind::Archive
    } else if objfile::is_relocatable(data) {
        FileKind::Object
    } else if data.starts_with(b"\x7fELF") {
        FileKind::Shared
    } else {
        return Err(Error::not_elf(path, data));
    };
    let mut thin_members = FxHashMap::default();
    if data.starts_with(b"!<thin>\n") {
        let archive = object::read::archive::ArchiveFile::parse(data)
            .map_err(|e| Error::elf(path, "thin archive", e))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        for m in archive.members() {
            let m = m.map_err(|e| Error::elf(path, "thin archive members", e))?;
            let name = m.name().to_vec();
            let member_path = dir.join(String::from_utf8_lossy(&name).as_ref());
            let b = std::fs::read(&member_path)
                .map_err(|e| Error::io("reading thin archive member", &member_path, e))?;
            thin_members.insert(name, Bytes::Owned(b));
        }
    }
    // mold names files by their lexically cleaned path (`a/b/../c` is `a/c`).
    let display = if args.linker == Some(crate::inputs::link_command::Linker::Mold) {
        clean_path(&display)
    } else {
        display
    };
    let excluded = kind == FileKind::Archive && {
        let base = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        args.exclude_libs
            .iter()
            .any(|x| x == "ALL" || *x == base || format!("lib{x}.a") == base)
    };
    Ok(InputFile {
        path: path.to_path_buf(),
        display,
        kind,
        bytes,
        whole_archive: input.whole_archive,
        as_needed: input.as_needed,
        group: input.group,
        thin_members,
        excluded,
    })
}

/// `a/./b/../c` as `a/c`, lexically (no symlinks followed), as mold prints paths.
fn clean_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// A symbol's resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Def {
    Undefined,
    /// Defined in object `obj`'s symbol `sym` (its index in the object's symbol table).
    Defined {
        obj: ObjId,
        sym: u32,
        weak: bool,
    },
    /// A common symbol (allocated by the linker, in no input section).
    Common {
        obj: ObjId,
        sym: u32,
        size: u64,
    },
}

/// A global symbol of the link.
#[derive(Debug, Clone)]
pub struct Global<'d> {
    pub name: &'d [u8],
    pub def: Def,
    /// Some regular object references it non-weakly.
    pub undef_strong: bool,
    /// A (needed) shared library references it.
    pub ref_dynamic: bool,
    /// A shared library defines it.
    pub dynamic_def: bool,
    /// The most constraining visibility any regular object gives it (`STV_*`).
    pub visibility: u8,
}

/// Visibilities from least to most constraining: default, protected, hidden, internal.
fn visibility_rank(v: u8) -> u8 {
    match v {
        elf::STV_DEFAULT => 0,
        elf::STV_PROTECTED => 1,
        elf::STV_HIDDEN => 2,
        _ => 3,
    }
}

impl Global<'_> {
    /// Hidden or internal: never exported.
    pub fn is_hidden(&self) -> bool {
        visibility_rank(self.visibility) >= 2
    }
}

/// A loaded object: a plain object or an extracted archive member.
pub struct Obj<'d> {
    /// Its file (the archive, for a member).
    pub file: InputId,
    /// The member name, for archive members.
    pub member: Option<&'d [u8]>,
    /// `obj.o` or `lib.a(member.o)`, as GNU ld prints it.
    pub display: String,
    pub elf: ObjectFile<'d>,
    /// Section id of its section 0 (ids are dense over the link).
    pub base: SectionId,
    /// Global id of each global symbol (symbol index − `first_global`).
    pub global_ids: Vec<GlobalId>,
    /// Sections of COMDAT groups another object already defined.
    pub discarded: Vec<bool>,
    /// Its symbols are not exported (`--exclude-libs`).
    pub no_export: bool,
}

/// A link, loaded and resolved.
pub struct Link<'d> {
    pub files: &'d LinkFiles,
    pub objects: Vec<Obj<'d>>,
    pub globals: Vec<Global<'d>>,
    pub by_name: FxHashMap<&'d [u8], GlobalId>,
    /// Total section ids.
    pub section_count: u32,
}

impl<'d> Link<'d> {
    /// The object and local section index of a section id.
    pub fn locate(&self, id: SectionId) -> (ObjId, usize) {
        let i = self.objects.partition_point(|o| o.base <= id) - 1;
        (
            ObjId::from_index(i),
            (id.0 - self.objects[i].base.0) as usize,
        )
    }

    /// Object `o`.
    pub fn obj(&self, o: ObjId) -> &Obj<'d> {
        &self.objects[o.index()]
    }

    /// The object holding section `id`.
    pub fn obj_of(&self, id: SectionId) -> &Obj<'d> {
        self.obj(self.locate(id).0)
    }

    /// Section `id`.
    pub fn section(&self, id: SectionId) -> &ObjSection<'d> {
        let (o, i) = self.locate(id);
        &self.obj(o).elf.sections[i]
    }

    /// Global `g`.
    pub fn global_at(&self, g: GlobalId) -> &Global<'d> {
        &self.globals[g.index()]
    }

    /// Every section id of the link.
    pub fn section_ids(
        &self,
    ) -> impl DoubleEndedIterator<Item = SectionId> + ExactSizeIterator + Clone {
        SectionId::all(self.section_count)
    }

    /// Section `si` of object `oi` as a linker script's rules see it: the file as ld names
    /// it (the member name for an archive member), its archive, the section's name and kind.
    pub fn input_section(
        &self,
        oi: ObjId,
        si: usize,
    ) -> crate::inputs::ldscript::placement::InputSection<'d> {
        let o = self.obj(oi);
        let s = &o.elf.sections[si];
        let files: &'d LinkFiles = self.files;
        let display: &'d [u8] = files.files[o.file.index()].display.as_bytes();
        crate::inputs::ldscript::placement::InputSection {
            file: o.member.unwrap_or(display),
            archive: o.member.map(|_| display),
            name: s.name,
            sh_type: s.sh_type,
            sh_flags: s.flags,
        }
    }

    /// The global symbol named `name`.
    pub fn global(&self, name: &[u8]) -> Option<&Global<'d>> {
        self.by_name.get(name).map(|&g| &self.globals[g.index()])
    }

    /// Applies the script's outright assignments ([`crate::inputs::ldscript::Script::overriding_definitions`]):
    /// a name an object defines and the script assigns from another object symbol takes that
    /// symbol's definition, as GNU ld and lld resolve it (the object's own definition, and its
    /// section, are then reached by nothing).
    pub fn apply_script_definitions(&mut self, script: &crate::inputs::ldscript::Script) {
        for (name, from) in script.overriding_definitions() {
            let Some(&g) = self.by_name.get(name.as_bytes()) else {
                continue;
            };
            if !matches!(self.globals[g.index()].def, Def::Defined { .. }) {
                continue;
            }
            let source = from.iter().find_map(|f| {
                let &fg = self.by_name.get(f.as_bytes())?;
                match self.globals[fg.index()].def {
                    d @ Def::Defined { .. } if fg != g => Some(d),
                    _ => None,
                }
            });
            if let Some(def) = source {
                self.globals[g.index()].def = def;
            }
        }
    }

    /// The section id holding the definition of global `g`, if it is in a section.
    pub fn def_section(&self, g: &Global<'_>) -> Option<SectionId> {
        match g.def {
            Def::Defined { obj, sym, .. } => {
                let o = self.obj(obj);
                let s = o.elf.symbols[sym as usize].section()?;
                Some(o.base.offset(s))
            }
            _ => None,
        }
    }
}

struct Resolver<'d> {
    files: &'d LinkFiles,
    objects: Vec<Obj<'d>>,
    globals: Vec<Global<'d>>,
    by_name: FxHashMap<&'d [u8], GlobalId>,
    comdats: FxHashSet<&'d [u8]>,
}

/// Loads and resolves the link; `undefined` names symbols the command line asks for
/// (`-u`, and the entry symbol for lld and mold), which pull archive members as references do.
pub fn resolve<'d>(files: &'d LinkFiles, undefined: &'d [String]) -> Result<Link<'d>> {
    // Plain objects parse in parallel; members parse when extracted.
    let parsed: Vec<Option<Result<ObjectFile<'_>>>> = files
        .files
        .par_iter()
        .map(|f| {
            (f.kind == FileKind::Object).then(|| objfile::parse(&f.path, &f.display, f.bytes.get()))
        })
        .collect();
    let mut r = Resolver {
        files,
        objects: Vec::new(),
        globals: Vec::new(),
        by_name: FxHashMap::default(),
        comdats: FxHashSet::default(),
    };
    for u in undefined {
        let g = r.intern(u.as_bytes());
        r.globals[g.index()].undef_strong = true;
    }
    let mut pre: Vec<Option<ObjectFile<'_>>> = Vec::with_capacity(parsed.len());
    for p in parsed {
        pre.push(p.transpose()?);
    }
    let mut archives: Vec<Option<ArchiveIndex<'_>>> =
        (0..files.files.len()).map(|_| None).collect();
    let mut i = 0;
    while i < files.files.len() {
        let group = files.files[i].group;
        if group == 0 {
            r.load(i, &mut pre, &mut archives)?;
            i += 1;
            continue;
        }
        // A group: load in order, then rescan its archives until nothing new is extracted.
        let start = i;
        while i < files.files.len() && files.files[i].group == group {
            r.load(i, &mut pre, &mut archives)?;
            i += 1;
        }
        loop {
            let mut any = false;
            for j in start..i {
                if files.files[j].kind == FileKind::Archive {
                    any |= r.scan_archive(j, &mut archives)?;
                }
            }
            if !any {
                break;
            }
        }
    }
    let mut base = 0u32;
    for o in &mut r.objects {
        o.base = SectionId(base);
        base = base
            .checked_add(o.elf.sections.len() as u32)
            .ok_or_else(|| Error::Usage("more than 4 billion sections".into()))?;
    }
    Ok(Link {
        files,
        objects: r.objects,
        globals: r.globals,
        by_name: r.by_name,
        section_count: base,
    })
}

/// An archive's index: symbol → member offset, and which members are in.
struct ArchiveIndex<'d> {
    archive: object::read::archive::ArchiveFile<'d>,
    symbols: Vec<(&'d [u8], u64)>,
    extracted: FxHashSet<u64>,
}

impl<'d> Resolver<'d> {
    fn load(
        &mut self,
        i: usize,
        pre: &mut [Option<ObjectFile<'d>>],
        archives: &mut [Option<ArchiveIndex<'d>>],
    ) -> Result<()> {
        let f = &self.files.files[i];
        match f.kind {
            FileKind::Object => {
                if let Some(elf) = pre[i].take() {
                    self.add_object(InputId::from_index(i), None, f.display.clone(), elf, false);
                }
            }
            FileKind::Shared => self.add_shared(i)?,
            FileKind::Archive => {
                let data = f.bytes.get();
                let archive = object::read::archive::ArchiveFile::parse(data)
                    .map_err(|e| Error::elf(&f.path, "archive", e))?;
                let mut symbols = Vec::new();
                if let Some(iter) = archive
                    .symbols()
                    .map_err(|e| Error::elf(&f.path, "archive index", e))?
                {
                    for s in iter {
                        let s = s.map_err(|e| Error::elf(&f.path, "archive index", e))?;
                        symbols.push((s.name(), s.offset().0));
                    }
                } else if !f.whole_archive && archive.members().next().is_some() {
                    return Err(Error::elf(
                        &f.path,
                        "archive index",
                        "the archive has no symbol index (run ranlib on it)",
                    ));
                }
                archives[i] = Some(ArchiveIndex {
                    archive,
                    symbols,
                    extracted: FxHashSet::default(),
                });
                if f.whole_archive {
                    self.whole_archive(i, archives)?;
                } else {
                    self.scan_archive(i, archives)?;
                }
            }
        }
        Ok(())
    }

    fn whole_archive(&mut self, i: usize, archives: &mut [Option<ArchiveIndex<'d>>]) -> Result<()> {
        let f = &self.files.files[i];
        let Some(index) = archives[i].as_mut() else {
            return Ok(());
        };
        let mut members = Vec::new();
        for m in index.archive.members() {
            let m = m.map_err(|e| Error::elf(&f.path, "archive members", e))?;
            members.push(m);
        }
        for m in members {
            let offset = m.file_range().0;
            let data = self.member_bytes(i, &m)?;
            if !data.starts_with(b"\x7fELF") {
                continue;
            }
            if let Some(index) = archives[i].as_mut() {
                index.extracted.insert(offset);
            }
            self.add_member(i, m.name(), data)?;
        }
        Ok(())
    }

    fn member_bytes(
        &self,
        i: usize,
        m: &object::read::archive::ArchiveMember<'d>,
    ) -> Result<&'d [u8]> {
        let f: &'d InputFile = &self.files.files[i];
        if m.is_thin() {
            return Ok(f.thin_members.get(m.name()).map(|b| b.get()).unwrap_or(&[]));
        }
        m.data(f.bytes.get()).map_err(|e| {
            Error::elf(
                &f.path,
                "archive member",
                format!("{}: {e}", String::from_utf8_lossy(m.name())),
            )
        })
    }

    fn add_member(&mut self, i: usize, name: &'d [u8], data: &'d [u8]) -> Result<()> {
        let f: &'d InputFile = &self.files.files[i];
        let member = String::from_utf8_lossy(name);
        // GNU ld names a thin archive's member by its own path (next to the archive).
        let display = if !f.thin_members.is_empty()
            && self.files.linker == Some(crate::inputs::link_command::Linker::Bfd)
        {
            match Path::new(&f.display).parent() {
                Some(dir) if !dir.as_os_str().is_empty() => {
                    dir.join(&*member).display().to_string()
                }
                _ => member.into_owned(),
            }
        } else {
            format!("{}({member})", f.display)
        };
        let data = self.files.aligned.aligned(data);
        let elf = objfile::parse(&f.path, &display, data)?;
        self.add_object(InputId::from_index(i), Some(name), display, elf, f.excluded);
        Ok(())
    }

    /// One pass-until-stable over an archive's index; true when a member was extracted.
    fn scan_archive(
        &mut self,
        i: usize,
        archives: &mut [Option<ArchiveIndex<'d>>],
    ) -> Result<bool> {
        let mut any = false;
        loop {
            let mut changed = false;
            let Some(index) = archives[i].as_ref() else {
                return Ok(false);
            };
            let candidates = index.symbols.clone();
            for (name, offset) in candidates {
                if archives[i]
                    .as_ref()
                    .is_some_and(|x| x.extracted.contains(&offset))
                {
                    continue;
                }
                let wanted = self.by_name.get(name).is_some_and(|&g| {
                    let g = &self.globals[g.index()];
                    g.def == Def::Undefined && g.undef_strong && !g.dynamic_def
                });
                if !wanted {
                    continue;
                }
                let f: &'d InputFile = &self.files.files[i];
                let member = archives[i]
                    .as_ref()
                    .map(|x| {
                        x.archive
                            .member(object::read::archive::ArchiveOffset(offset))
                    })
                    .transpose()
                    .map_err(|e| Error::elf(&f.path, "archive member", e))?;
                let Some(member) = member else { continue };
                if let Some(x) = archives[i].as_mut() {
                    x.extracted.insert(offset);
                }
                let data = self.member_bytes(i, &member)?;
                self.add_member(i, member.name(), data)?;
                changed = true;
                any = true;
            }
            if !changed {
                return Ok(any);
            }
        }
    }

    fn intern(&mut self, name: &'d [u8]) -> GlobalId {
        if let Some(&g) = self.by_name.get(name) {
            return g;
        }
        let g = GlobalId::from_index(self.globals.len());
        self.globals.push(Global {
            name,
            def: Def::Undefined,
            undef_strong: false,
            ref_dynamic: false,
            dynamic_def: false,
            visibility: elf::STV_DEFAULT,
        });
        self.by_name.insert(name, g);
        g
    }

    fn add_object(
        &mut self,
        file: InputId,
        member: Option<&'d [u8]>,
        display: String,
        elf: ObjectFile<'d>,
        no_export: bool,
    ) {
        let obj = ObjId::from_index(self.objects.len());
        let mut discarded = vec![false; elf.sections.len()];
        for (_, signature, members) in &elf.groups {
            if !self.comdats.insert(signature) {
                for &m in members {
                    discarded[m as usize] = true;
                }
            }
        }
        let first = elf.first_global as usize;
        let mut global_ids = Vec::with_capacity(elf.symbols.len().saturating_sub(first));
        for (k, sym) in elf.symbols.iter().enumerate().skip(first) {
            let g = self.intern(sym.name);
            global_ids.push(g);
            if sym.bind == elf::STB_LOCAL {
                continue;
            }
            let merged = &mut self.globals[g.index()].visibility;
            if visibility_rank(sym.visibility) > visibility_rank(*merged) {
                *merged = sym.visibility;
            }
            let in_discarded = sym.section().is_some_and(|s| discarded[s as usize]);
            if sym.is_undefined() || in_discarded {
                if !sym.is_weak() {
                    self.globals[g.index()].undef_strong = true;
                }
                continue;
            }
            let new = if sym.is_common() {
                Def::Common {
                    obj,
                    sym: k as u32,
                    size: sym.size,
                }
            } else {
                Def::Defined {
                    obj,
                    sym: k as u32,
                    weak: sym.is_weak(),
                }
            };
            self.define(g, new);
            // `foo@@V` is also the default `foo`.
            if let Some(at) = sym.name.windows(2).position(|w| w == b"@@") {
                let base = self.intern(&sym.name[..at]);
                self.define(base, new);
            }
        }
        self.objects.push(Obj {
            file,
            member,
            display,
            elf,
            base: SectionId(0),
            global_ids,
            discarded,
            no_export,
        });
    }

    fn define(&mut self, g: GlobalId, new: Def) {
        let slot = &mut self.globals[g.index()].def;
        *slot = match (*slot, new) {
            (Def::Undefined, n) => n,
            (Def::Common { .. }, n @ Def::Defined { .. }) => n,
            (Def::Common { size: a, .. }, n @ Def::Common { size: b, .. }) if b > a => n,
            (Def::Defined { weak: true, .. }, n @ Def::Defined { weak: false, .. }) => n,
            (old, _) => old,
        };
    }

    fn add_shared(&mut self, i: usize) -> Result<()> {
        let f: &'d InputFile = &self.files.files[i];
        let facts = super::elf::read_facts_with(
            &f.path,
            f.bytes.get(),
            super::elf::ReadOptions { definitions: true },
        )?;
        let needed = !f.as_needed
            || facts.definitions.iter().any(|d| {
                self.by_name.get(d.name).is_some_and(|&g| {
                    let g = &self.globals[g.index()];
                    g.def == Def::Undefined && g.undef_strong
                })
            });
        if !needed {
            return Ok(());
        }
        for d in &facts.definitions {
            let g = self.intern(d.name);
            self.globals[g.index()].dynamic_def = true;
        }
        for imp in &facts.imports {
            let g = self.intern(imp.name);
            self.globals[g.index()].ref_dynamic = true;
        }
        Ok(())
    }
}

/// The symbol a relocation names, resolved: a section id, a `__start_`/`__stop_` section
/// name, or nothing (undefined, absolute, common, in a shared library).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'d> {
    Section(SectionId),
    StartStop(&'d [u8]),
    None,
}

impl<'d> Link<'d> {
    /// Where symbol `sym` of object `obj` leads.
    pub fn target(&self, obj: ObjId, sym: u32) -> Target<'d> {
        let o = self.obj(obj);
        let s = &o.elf.symbols[sym as usize];
        if sym < o.elf.first_global || s.bind == elf::STB_LOCAL {
            return match s.section() {
                Some(sec) => Target::Section(o.base.offset(sec)),
                None => Target::None,
            };
        }
        let g = self.global_at(o.global_ids[(sym - o.elf.first_global) as usize]);
        match g.def {
            Def::Defined { .. } => match self.def_section(g) {
                Some(id) => Target::Section(id),
                None => Target::None,
            },
            Def::Undefined => {
                let name = g.name;
                let rest = name
                    .strip_prefix(b"__start_")
                    .or_else(|| name.strip_prefix(b"__stop_"));
                match rest {
                    Some(r) if is_c_identifier(r) => Target::StartStop(r),
                    _ => Target::None,
                }
            }
            Def::Common { .. } => Target::None,
        }
    }
}

/// A section name `__start_`/`__stop_` symbols exist for.
pub fn is_c_identifier(name: &[u8]) -> bool {
    !name.is_empty()
        && !name[0].is_ascii_digit()
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}
