//! Stage 2, analysis: the provider's own by-name lookups, as found in its objects.
//!
//! A dynamic linker that looks its own entry points up (`find_sym(&ldso, "__dls3")`) passes a
//! string literal; in an object file that literal is a whole NUL-terminated string that a
//! relocation points at. `tailor gc`'s fixed point ([`super::gc`]) finds those strings in the
//! *live* sections of the link — no string tails (`pipe` in "Broken pipe"), no strings of
//! code the link drops — and `tailor link` plans them as exports through these hits.

use super::byname::ByNameHit;

/// A by-name hit found in an object: the export and where the string is.
#[derive(Debug, Clone)]
pub struct ObjectHit<'n> {
    pub name: &'n [u8],
    /// `object.o` or `archive.a(member.o)`, then `:section`.
    pub place: String,
    pub offset: u64,
}

/// The hits as [`ByNameHit`]s for the plan (the place goes in the section field).
pub fn as_byname_hits<'a>(hits: &'a [ObjectHit<'a>]) -> Vec<ByNameHit<'a>> {
    hits.iter()
        .map(|h| ByNameHit {
            name: h.name,
            section: h.place.as_bytes(),
            offset: h.offset,
            suffix: false,
        })
        .collect()
}
