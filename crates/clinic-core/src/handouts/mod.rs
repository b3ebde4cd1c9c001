//! Education handouts (衛教單張): templates chosen per patient, rendered to PDF.

mod fonts;
mod layout;
pub mod pdf;
pub mod template;
