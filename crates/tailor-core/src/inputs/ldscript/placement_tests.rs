//! Unit tests of [`super::placement`]: which output section a script's rules give an input
//! section — the first matching input section description in script order, file patterns
//! with `archive:member`, `EXCLUDE_FILE`, `/DISCARD/`, `ONLY_IF_RO`/`ONLY_IF_RW`, and a later
//! `KEEP` rule keeping a section an earlier rule placed.

use std::path::Path;

use object::elf;

use super::placement::{InputSection, Placement, Placer};

const SCRIPT: &str = "SECTIONS {
  /DISCARD/ : { *(.discard .discard.*) }
  .text : { *(EXCLUDE_FILE(*special.o) .text .text.*) }
  .special : { *special.o(.text .text.*) }
  .mdata : { lib.a:m.o(.data.*) }
  .data : { *(.data .data.*) }
  .init_array : { *(.init_array) KEEP(*(.init_array)) }
  .kept : { KEEP(*(.kept)) }
  .ro : ONLY_IF_RO { *(.either) }
  .rw : ONLY_IF_RW { *(.either) }
}";

const CODE: u64 = (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64;
const DATA: u64 = (elf::SHF_ALLOC | elf::SHF_WRITE) as u64;

/// Where each (file, archive, section, flags) goes: the output section's name,
/// `/DISCARD/`, or `orphan`; `+KEEP` when a `KEEP` rule keeps it.
fn places(sections: &[(&str, Option<&str>, &str, u64)]) -> Vec<String> {
    let script = super::parse_text(SCRIPT.as_bytes(), Path::new("t.ld"), &[]).expect("script");
    let placer = Placer::new(&script);
    sections
        .iter()
        .map(|&(file, archive, name, sh_flags)| {
            let s = InputSection {
                file: file.as_bytes(),
                archive: archive.map(str::as_bytes),
                name: name.as_bytes(),
                sh_type: elf::SHT_PROGBITS,
                sh_flags,
            };
            match placer.place(&s) {
                Placement::Placed {
                    output, keep_rule, ..
                } => {
                    let out = &placer.outputs[output as usize].name;
                    match keep_rule {
                        Some(_) => format!("{out}+KEEP"),
                        None => out.clone(),
                    }
                }
                Placement::Discarded { .. } => "/DISCARD/".into(),
                Placement::Orphan => "orphan".into(),
            }
        })
        .collect()
}

#[test]
fn section_patterns_take_exact_names_and_prefixes() {
    assert_eq!(
        places(&[
            ("a.o", None, ".text", CODE),
            ("a.o", None, ".text.f", CODE),
            // `.text.*` needs the dot: `.textual` is no `.text` section.
            ("a.o", None, ".textual", CODE),
            ("a.o", None, ".data.x", DATA),
        ]),
        [".text", ".text", "orphan", ".data"]
    );
}

#[test]
fn exclude_file_sends_a_file_to_a_later_rule() {
    assert_eq!(
        places(&[
            ("dir/special.o", None, ".text", CODE),
            // `*special.o` matches `notspecial.o` too: it is a glob over the whole name.
            ("notspecial.o", None, ".text", CODE),
            // Inside the section list, EXCLUDE_FILE applies to the one pattern after it
            // (`.text`), not to `.text.*` (GNU ld's manual, "Input Section Basics").
            ("special.o", None, ".text.f", CODE),
        ]),
        [".special", ".special", ".text"]
    );
    assert_eq!(places(&[("plain.o", None, ".text", CODE)]), [".text"]);
}

#[test]
fn archive_member_patterns_match_members_of_that_archive_only() {
    assert_eq!(
        places(&[
            ("m.o", Some("lib.a"), ".data.x", DATA),
            ("m.o", None, ".data.x", DATA),
            ("other.o", Some("lib.a"), ".data.x", DATA),
            ("m.o", Some("libother.a"), ".data.x", DATA),
        ]),
        [".mdata", ".data", ".data", ".data"]
    );
}

#[test]
fn discard_rules_drop_and_keep_rules_keep_even_after_an_earlier_rule() {
    assert_eq!(
        places(&[
            ("a.o", None, ".discard", DATA),
            ("a.o", None, ".discard.x", DATA),
            // Placed by `*(.init_array)`, kept by the `KEEP` after it (GNU ld marks every
            // section a KEEP rule matches).
            ("a.o", None, ".init_array", DATA),
            ("a.o", None, ".kept", DATA),
        ]),
        ["/DISCARD/", "/DISCARD/", ".init_array+KEEP", ".kept+KEEP"]
    );
}

#[test]
fn only_if_ro_and_only_if_rw_choose_by_write_flag() {
    assert_eq!(
        places(&[
            ("a.o", None, ".either", elf::SHF_ALLOC as u64),
            ("a.o", None, ".either", DATA),
        ]),
        [".ro", ".rw"]
    );
}

#[test]
fn an_orphan_goes_after_the_output_section_of_its_kind() {
    let script = super::parse_text(SCRIPT.as_bytes(), Path::new("t.ld"), &[]).expect("script");
    let placer = Placer::new(&script);
    let orphan = |name: &'static str, sh_flags| InputSection {
        file: b"a.o",
        archive: None,
        name: name.as_bytes(),
        sh_type: elf::SHT_PROGBITS,
        sh_flags,
    };
    assert_eq!(
        placer.orphan_home(&orphan(".textual", CODE)),
        "as its own output section `.textual` after `.text`"
    );
    assert_eq!(
        placer.orphan_home(&orphan(".rodata.x", elf::SHF_ALLOC as u64)),
        "as its own output section `.rodata.x` (the script has no `.rodata`)"
    );
}
