//! The database key: a random 256-bit key, wrapped by the owner's passphrase
//! (Argon2id + XChaCha20-Poly1305) in a small versioned JSON file beside the database.
//! That file is the source of truth; the OS keychain only caches the raw key.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::fsutil::write_atomically;

pub const MIN_PASSPHRASE_CHARS: usize = 8;
const KEY_FILE_VERSION: u32 = 1;

/// The raw SQLCipher key. Wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct DbKey([u8; 32]);

impl DbKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        DbKey(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(DbKey)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The `PRAGMA key` literal: a raw key, so SQLCipher skips its own KDF on every open.
    pub(crate) fn pragma_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", hex::encode(self.0)))
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

/// Argon2id cost, stored in the key file so it can be raised later without breaking old files.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes: about half a second on a clinic desktop.
    fn default() -> Self {
        KdfParams {
            m_cost: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyFileV1 {
    format: String,
    version: u32,
    /// Identifies this clinic file, e.g. as the keychain entry's name.
    clinic_id: String,
    kdf: String,
    params: KdfParams,
    salt: String,
    nonce: String,
    wrapped_key: String,
}

const FORMAT_TAG: &str = "clinic-crm-key";

/// What a key file holds, once read (the key still wrapped).
#[derive(Debug, Clone)]
pub struct KeyFile {
    inner: KeyFileV1,
}

pub fn validate_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ClinicError::validation(
            "passphrase",
            ValidationRule::TooShort,
            format!("must be at least {MIN_PASSPHRASE_CHARS} characters"),
        ));
    }
    Ok(())
}

fn derive_wrapping_key(
    passphrase: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>> {
    let argon_params =
        Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32)).map_err(|e| {
            ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!("bad KDF parameters: {e}"),
            )
        })?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| {
            ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!("key derivation failed: {e}"),
            )
        })?;
    Ok(out)
}

/// Binds the header to the ciphertext so nobody can lower the KDF cost in the file unnoticed.
fn associated_data(file: &KeyFileV1) -> Vec<u8> {
    format!(
        "{}/v{}/{}/{}/{}/{}/{}",
        file.format,
        file.version,
        file.clinic_id,
        file.kdf,
        file.params.m_cost,
        file.params.t_cost,
        file.params.p_cost
    )
    .into_bytes()
}

impl KeyFile {
    /// Wraps `key` under `passphrase`.
    pub fn wrap(key: &DbKey, passphrase: &str, clinic_id: &str, params: KdfParams) -> Result<Self> {
        validate_passphrase(passphrase)?;
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut file = KeyFileV1 {
            format: FORMAT_TAG.into(),
            version: KEY_FILE_VERSION,
            clinic_id: clinic_id.into(),
            kdf: "argon2id".into(),
            params,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped_key: String::new(),
        };
        let wrapping = derive_wrapping_key(passphrase, &salt, params)?;
        let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
        let aad = associated_data(&file);
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| ClinicError::new(ErrorCode::KeyFileInvalid, "could not wrap the key"))?;
        file.wrapped_key = hex::encode(ct);
        Ok(KeyFile { inner: file })
    }

    pub fn clinic_id(&self) -> &str {
        &self.inner.clinic_id
    }

    /// Unwraps the key; a wrong passphrase is `WRONG_PASSPHRASE`, never a crash.
    pub fn unwrap_key(&self, passphrase: &str) -> Result<DbKey> {
        let f = &self.inner;
        let invalid = |what: &str| {
            ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!("key file damaged: {what}"),
            )
        };
        let salt = hex::decode(&f.salt).map_err(|_| invalid("salt"))?;
        let nonce = hex::decode(&f.nonce).map_err(|_| invalid("nonce"))?;
        let ct = hex::decode(&f.wrapped_key).map_err(|_| invalid("wrapped key"))?;
        if nonce.len() != 24 || salt.len() < 8 {
            return Err(invalid("nonce or salt length"));
        }
        let wrapping = derive_wrapping_key(passphrase, &salt, f.params)?;
        let cipher = XChaCha20Poly1305::new(wrapping.as_ref().into());
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &ct,
                        aad: &associated_data(f),
                    },
                )
                .map_err(|_| {
                    ClinicError::new(ErrorCode::WrongPassphrase, "the passphrase is not correct")
                })?,
        );
        DbKey::from_bytes(&plain).ok_or_else(|| invalid("key length"))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ClinicError::new(
                    ErrorCode::KeyFileMissing,
                    format!("the key file {} is missing", path.display()),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        Self::from_text(&text, &path.display().to_string())
    }

    /// The file's text (JSON), as written to disk and carried inside a backup.
    pub fn to_text(&self) -> String {
        serde_json::to_string_pretty(&self.inner).expect("key file serialises")
    }

    /// Reads a key file's text; `origin` names it in errors.
    pub fn from_text(text: &str, origin: &str) -> Result<Self> {
        let not_ours = || {
            ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!("{origin} is not a Clinic CRM key file"),
            )
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| not_ours())?;
        if value.get("format").and_then(|v| v.as_str()) != Some(FORMAT_TAG) {
            return Err(not_ours());
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(KEY_FILE_VERSION) {
            return Err(ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!(
                    "key file version {version} is not supported by this version of Clinic CRM"
                ),
            ));
        }
        let inner: KeyFileV1 = serde_json::from_value(value).map_err(|_| not_ours())?;
        Ok(KeyFile { inner })
    }

    /// Written atomically (temp file, fsync, rename): a crash never leaves half a key file.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomically(path, self.to_text().as_bytes())
    }
}
