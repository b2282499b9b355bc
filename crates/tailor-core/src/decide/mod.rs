//! Stage 3, decisions: the export plan ([`plan`]) and its rendering as a GNU ld version script
//! ([`version_script`]). A plan is data: it can be printed, diffed and tested before anything
//! is written.

pub mod dynamic_list;
pub mod plan;
pub mod profile;
pub mod version_script;
