//! `clinic key …`: the recovery kit, a new passphrase, a new database key. Each asks for
//! the current passphrase or the recovery code (CLINIC_PASSPHRASE or stdin), even when the
//! keychain could open the clinic: these change who can open it.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use clinic_core::keychain::KeyCache;
use clinic_core::security::RotationStage;
use clinic_core::{Actor, Clinic, ClinicError, ErrorCode, Result};

use crate::output::Output;
use crate::{parse_language, parse_paper, read_passphrase};

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Whether a recovery code exists and whether the database key was rotated
    Status,
    /// Make a new recovery code and its one-page kit as PDF (an earlier code stops working)
    RecoveryKit {
        #[arg(long)]
        out: PathBuf,
        /// zh-CN, zh-TW or en
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// a4 or a5
        #[arg(long, default_value = "a4")]
        paper: String,
    },
    /// Set a new passphrase (CLINIC_NEW_PASSPHRASE or the next line of stdin); the data and
    /// the recovery code stay as they are. Works with the recovery code when the passphrase
    /// is forgotten
    Passphrase,
    /// Re-encrypt the whole database under a new random key, check it, switch to it
    Rotate,
}

/// The current passphrase or the recovery code.
pub fn secret() -> Result<String> {
    read_passphrase("Passphrase or recovery code: ").ok_or_else(|| {
        ClinicError::new(
            ErrorCode::Locked,
            "no passphrase: set CLINIC_PASSPHRASE (the passphrase or the recovery code) or pipe it on stdin",
        )
    })
}

fn new_passphrase() -> Result<String> {
    if let Ok(p) = std::env::var("CLINIC_NEW_PASSPHRASE") {
        return Ok(p);
    }
    let first = read_line_or_prompt("New passphrase: ")?;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let again = read_line_or_prompt("Repeat the new passphrase: ")?;
        if again != first {
            return Err(ClinicError::validation(
                "passphrase",
                clinic_core::ValidationRule::InvalidFormat,
                "the two new passphrases are different",
            ));
        }
    }
    Ok(first)
}

fn read_line_or_prompt(prompt: &str) -> Result<String> {
    // CLINIC_PASSPHRASE holds the current one; the new one comes from stdin.
    let stdin = std::io::stdin();
    if std::io::IsTerminal::is_terminal(&stdin) {
        return rpassword::prompt_password(prompt).map_err(Into::into);
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdin.lock(), &mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_string();
    if line.is_empty() {
        return Err(ClinicError::new(
            ErrorCode::Locked,
            "no new passphrase: set CLINIC_NEW_PASSPHRASE or pipe it on stdin",
        ));
    }
    Ok(line)
}

/// Writes the kit and tells the owner the code once, on the terminal.
pub fn recovery_kit(
    clinic: &Clinic,
    secret: &str,
    file: &Path,
    lang: &str,
    paper: &str,
    out: &Output,
) -> Result<()> {
    let code = clinic.new_recovery_kit(
        &Actor::owner(),
        secret,
        parse_language(lang)?,
        parse_paper(paper)?,
        |pdf| clinic_core::export::save(file, pdf),
    )?;
    out.recovery_kit(file, &code.display());
    Ok(())
}

pub fn run(cmd: KeyCommand, dir: &Path, cache: &dyn KeyCache, out: &Output) -> Result<()> {
    let owner = Actor::owner();
    if let KeyCommand::Passphrase = cmd {
        let secret = secret()?;
        let new = new_passphrase()?;
        clinic_core::security::reset_passphrase(dir, &secret, &new)?;
        out.done(
            "The passphrase is changed. The recovery code and this computer's keychain still work.",
        );
        return Ok(());
    }
    let secret = secret()?;
    let (clinic, _) = Clinic::unlock_with_passphrase(dir, &secret)?;
    match cmd {
        KeyCommand::Status => out.key_status(&clinic.key_status(&owner)?),
        KeyCommand::RecoveryKit {
            out: file,
            lang,
            paper,
        } => recovery_kit(&clinic, &secret, &file, &lang, &paper, out)?,
        KeyCommand::Rotate => {
            let quiet = out.json;
            let (report, key) = clinic.rotate_key(&owner, &secret, &|p| {
                if quiet {
                    return;
                }
                let line = match p.stage {
                    RotationStage::Copying if p.total > 0 => {
                        format!("re-encrypting… {}%", p.done * 100 / p.total)
                    }
                    RotationStage::Copying => "re-encrypting…".to_string(),
                    RotationStage::Checking => "checking the new file…".to_string(),
                    RotationStage::Switching => "switching to the new key…".to_string(),
                };
                let mut err = std::io::stderr();
                let _ = write!(err, "\r{line:<40}");
                if p.stage == RotationStage::Switching {
                    let _ = writeln!(err);
                }
            })?;
            // The keychain held the old key: it would no longer open anything.
            let cached = cache.store(clinic.clinic_id(), &key).is_ok();
            out.rotated(&report, cached);
        }
        KeyCommand::Passphrase => unreachable!("handled above"),
    }
    Ok(())
}
