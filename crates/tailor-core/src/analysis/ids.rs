//! Stage 2, analysis: the typed ids of a loaded link — one `u32` newtype per kind of thing
//! the link model and the section graph number densely, so that a section id cannot index
//! the globals and no id doubles as a marker (absence is `Option`, never a reserved value).

/// Defines a dense `u32` id: `index()` for `Vec` indexing, `from_index` from a position.
macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);

        impl $name {
            /// The position this id numbers.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// The id of position `i` (ids are `u32`: callers keep counts under 2³²).
            #[inline]
            pub fn from_index(i: usize) -> Self {
                debug_assert!(u32::try_from(i).is_ok());
                $name(i as u32)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id! {
    /// A section of the link: dense over every loaded object's sections (an object's
    /// section `i` is `Obj::base + i`).
    SectionId
}

id! {
    /// A loaded object (a plain object or an extracted archive member): index in
    /// `Link::objects`.
    ObjId
}

id! {
    /// A global symbol of the link: index in `Link::globals`.
    GlobalId
}

id! {
    /// An input file of the link: index in `LinkFiles::files`.
    InputId
}

id! {
    /// A consumer given to tailor (an ELF file whose needs are read): index in input order.
    FileId
}

id! {
    /// A root of the garbage collection: index in `GcResult::roots`.
    RootId
}

impl SectionId {
    /// The section `local` sections after this one (an object's section `local`, from its
    /// `base`).
    #[inline]
    pub fn offset(self, local: u32) -> SectionId {
        SectionId(self.0 + local)
    }

    /// Every section id below `count`.
    pub fn all(
        count: u32,
    ) -> impl DoubleEndedIterator<Item = SectionId> + ExactSizeIterator + Clone {
        (0..count).map(SectionId)
    }
}
