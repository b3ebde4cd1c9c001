//! Clinic CRM core: the domain and the encrypted storage, with no Tauri or WebKit
//! dependency. The desktop app (`src-tauri`) and the `clinic` CLI are thin adapters over
//! [`Clinic::execute`], the one door every command goes through.

pub mod access;
pub mod appointments;
pub mod backup;
pub mod clinic;
mod db;
pub mod error;
pub mod export;
mod fsutil;
pub mod handouts;
pub mod idnumber;
pub mod import;
pub mod key;
pub mod keychain;
pub mod loyalty;
pub mod patients;
pub mod privacy;
pub mod reminders;
pub mod reports;
pub mod search;
pub mod security;
pub mod segments;
pub mod settings;
pub mod synth;
mod validate;
pub mod visits;

pub use access::{Action, Actor, Role};
pub use clinic::{
    default_data_dir, folder_state, AppStatus, Clinic, FolderState, Operation, DB_FILE, KEY_FILE,
};
pub use db::SCHEMA_VERSION;
pub use error::{ClinicError, ErrorCode, Result, ValidationRule};
pub use key::{DbKey, KdfParams, RecoveryCode};
