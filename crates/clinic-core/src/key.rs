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

/// A secret-wrapped copy of the master key: Argon2id(secret, salt) → XChaCha20-Poly1305.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    salt: String,
    nonce: String,
    wrapped_key: String,
}

/// The SQLCipher key wrapped directly by the master key (no KDF: the master key is random).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DataKeySlot {
    nonce: String,
    wrapped_key: String,
}

/// The key file. The passphrase slot sits at the top level, as the first release wrote it.
/// `recovery` (optional) wraps the same master key under the recovery code. `data_key`
/// appears after the first key rotation: the database key is then a key of its own,
/// wrapped by the master key, so rotating it needs neither a new passphrase nor a new
/// recovery code. Without it, the master key is the database key.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recovery: Option<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_key: Option<DataKeySlot>,
}

const FORMAT_TAG: &str = "clinic-crm-key";
/// Written when a file has a `data_key`: a release that predates it would unwrap the master
/// key and take it for the database key, so it must refuse the file instead.
const KEY_FILE_VERSION_WITH_DATA_KEY: u32 = 2;

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
    secret: &str,
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
        .hash_password_into(secret.as_bytes(), salt, out.as_mut())
        .map_err(|e| {
            ClinicError::new(
                ErrorCode::KeyFileInvalid,
                format!("key derivation failed: {e}"),
            )
        })?;
    Ok(out)
}

/// Binds the header to the ciphertext so nobody can lower the KDF cost in the file unnoticed.
/// Each slot adds its own label, so a slot cannot be moved into another's place.
fn associated_data(file: &KeyFileV1, slot: &str) -> Vec<u8> {
    let mut aad = format!(
        "{}/v1/{}/{}/{}/{}/{}",
        file.format,
        file.clinic_id,
        file.kdf,
        file.params.m_cost,
        file.params.t_cost,
        file.params.p_cost
    );
    if !slot.is_empty() {
        aad.push('/');
        aad.push_str(slot);
    }
    aad.into_bytes()
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn invalid(what: &str) -> ClinicError {
    ClinicError::new(
        ErrorCode::KeyFileInvalid,
        format!("key file damaged: {what}"),
    )
}

fn seal(key: &[u8; 32], nonce: &[u8; 24], msg: &[u8], aad: &[u8]) -> Result<String> {
    XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(nonce), Payload { msg, aad })
        .map(hex::encode)
        .map_err(|_| ClinicError::new(ErrorCode::KeyFileInvalid, "could not wrap the key"))
}

/// `None` when the key does not open the box (wrong secret or tampered file).
fn open_box(key: &[u8; 32], nonce_hex: &str, ct_hex: &str, aad: &[u8]) -> Result<Option<DbKey>> {
    let nonce = hex::decode(nonce_hex).map_err(|_| invalid("nonce"))?;
    let ct = hex::decode(ct_hex).map_err(|_| invalid("wrapped key"))?;
    if nonce.len() != 24 {
        return Err(invalid("nonce length"));
    }
    let Ok(plain) = XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &ct, aad })
    else {
        return Ok(None);
    };
    let plain = Zeroizing::new(plain);
    DbKey::from_bytes(&plain)
        .map(Some)
        .ok_or_else(|| invalid("key length"))
}

impl Slot {
    fn wrap(master: &DbKey, secret: &str, params: KdfParams, aad: &[u8]) -> Result<Slot> {
        let salt = random::<16>();
        let nonce = random::<24>();
        let wrapping = derive_wrapping_key(secret, &salt, params)?;
        Ok(Slot {
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            wrapped_key: seal(&wrapping, &nonce, master.as_bytes(), aad)?,
        })
    }

    fn unwrap(&self, secret: &str, params: KdfParams, aad: &[u8]) -> Result<Option<DbKey>> {
        let salt = hex::decode(&self.salt).map_err(|_| invalid("salt"))?;
        if salt.len() < 8 {
            return Err(invalid("salt length"));
        }
        let wrapping = derive_wrapping_key(secret, &salt, params)?;
        open_box(&wrapping, &self.nonce, &self.wrapped_key, aad)
    }
}

impl KeyFile {
    /// Wraps `key` under `passphrase`; `key` is both the master key and the database key.
    pub fn wrap(key: &DbKey, passphrase: &str, clinic_id: &str, params: KdfParams) -> Result<Self> {
        validate_passphrase(passphrase)?;
        let mut file = KeyFileV1 {
            format: FORMAT_TAG.into(),
            version: KEY_FILE_VERSION,
            clinic_id: clinic_id.into(),
            kdf: "argon2id".into(),
            params,
            salt: String::new(),
            nonce: String::new(),
            wrapped_key: String::new(),
            recovery: None,
            data_key: None,
        };
        file.set_passphrase_slot(key, passphrase)?;
        Ok(KeyFile { inner: file })
    }

    pub fn clinic_id(&self) -> &str {
        &self.inner.clinic_id
    }

    pub fn has_recovery_code(&self) -> bool {
        self.inner.recovery.is_some()
    }

    /// Whether the database key was rotated away from the master key.
    pub fn has_data_key(&self) -> bool {
        self.inner.data_key.is_some()
    }

    /// The database key from what the owner typed at a "passphrase or recovery code"
    /// prompt: a well-formed recovery code is tried as one, anything else (and a code that
    /// does not fit) as the passphrase. Neither fitting is `WRONG_PASSPHRASE`.
    pub fn unwrap_key(&self, secret: &str) -> Result<DbKey> {
        let master = self.master(secret)?;
        self.data_key(&master)
    }

    /// A copy re-wrapped under `new_passphrase`; the database key and recovery code stay.
    pub fn with_passphrase(&self, secret: &str, new_passphrase: &str) -> Result<KeyFile> {
        validate_passphrase(new_passphrase)?;
        let master = self.master(secret)?;
        let mut inner = self.inner.clone();
        inner.set_passphrase_slot(&master, new_passphrase)?;
        Ok(KeyFile { inner })
    }

    /// A copy with a new recovery code (any earlier code stops working), and the code.
    pub fn with_new_recovery_code(&self, secret: &str) -> Result<(KeyFile, RecoveryCode)> {
        let master = self.master(secret)?;
        let code = RecoveryCode::generate();
        let mut inner = self.inner.clone();
        let aad = associated_data(&inner, "recovery");
        inner.recovery = Some(Slot::wrap(&master, code.normalized(), inner.params, &aad)?);
        Ok((KeyFile { inner }, code))
    }

    /// A copy whose database key is `new_key` (after `PRAGMA rekey` or an export under it).
    pub fn with_data_key(&self, secret: &str, new_key: &DbKey) -> Result<KeyFile> {
        let master = self.master(secret)?;
        let mut inner = self.inner.clone();
        let nonce = random::<24>();
        let aad = associated_data(&inner, "data-key");
        inner.data_key = Some(DataKeySlot {
            nonce: hex::encode(nonce),
            wrapped_key: seal(master.as_bytes(), &nonce, new_key.as_bytes(), &aad)?,
        });
        inner.version = KEY_FILE_VERSION_WITH_DATA_KEY;
        Ok(KeyFile { inner })
    }

    fn master_from_passphrase(&self, passphrase: &str) -> Result<Option<DbKey>> {
        let f = &self.inner;
        let slot = Slot {
            salt: f.salt.clone(),
            nonce: f.nonce.clone(),
            wrapped_key: f.wrapped_key.clone(),
        };
        slot.unwrap(passphrase, f.params, &associated_data(f, ""))
    }

    fn master(&self, secret: &str) -> Result<DbKey> {
        let code = RecoveryCode::parse(secret);
        if let (Some(Ok(code)), Some(slot)) = (&code, &self.inner.recovery) {
            let aad = associated_data(&self.inner, "recovery");
            if let Some(master) = slot.unwrap(code.normalized(), self.inner.params, &aad)? {
                return Ok(master);
            }
        }
        if let Some(master) = self.master_from_passphrase(secret)? {
            return Ok(master);
        }
        Err(match code {
            Some(Err(e)) => e,
            Some(Ok(_)) if self.inner.recovery.is_some() => ClinicError::new(
                ErrorCode::WrongPassphrase,
                "neither the passphrase nor the current recovery code",
            ),
            _ => ClinicError::new(ErrorCode::WrongPassphrase, "the passphrase is not correct"),
        })
    }

    fn data_key(&self, master: &DbKey) -> Result<DbKey> {
        let Some(slot) = &self.inner.data_key else {
            return Ok(master.clone());
        };
        let aad = associated_data(&self.inner, "data-key");
        open_box(master.as_bytes(), &slot.nonce, &slot.wrapped_key, &aad)?
            .ok_or_else(|| invalid("database key"))
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
        if version != u64::from(KEY_FILE_VERSION)
            && version != u64::from(KEY_FILE_VERSION_WITH_DATA_KEY)
        {
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

impl KeyFileV1 {
    fn set_passphrase_slot(&mut self, master: &DbKey, passphrase: &str) -> Result<()> {
        let slot = Slot::wrap(master, passphrase, self.params, &associated_data(self, ""))?;
        self.salt = slot.salt;
        self.nonce = slot.nonce;
        self.wrapped_key = slot.wrapped_key;
        Ok(())
    }
}

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or copied by hand
/// has fewer look-alikes.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 24;

/// The recovery code: 23 random base-32 characters (115 bits) and a check character,
/// printed as six groups of four. It unwraps the master key like the passphrase does.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

fn check_char(data: &[u8]) -> u8 {
    // Position-weighted sum mod 31 (a prime): catches any single wrong character but a 0
    // typed for a Z or back (their values differ by 31), and most swapped pairs.
    let sum: usize = data
        .iter()
        .enumerate()
        .map(|(i, c)| (i + 1) * CROCKFORD.iter().position(|a| a == c).unwrap_or(0))
        .sum();
    CROCKFORD[sum % 31]
}

impl RecoveryCode {
    pub fn generate() -> RecoveryCode {
        let mut data = Vec::with_capacity(CODE_CHARS);
        let mut rng = rand::rngs::OsRng;
        while data.len() < CODE_CHARS - 1 {
            data.push(CROCKFORD[(rng.next_u32() % 32) as usize]);
        }
        data.push(check_char(&data));
        RecoveryCode(String::from_utf8(data).expect("ASCII"))
    }

    /// `None` when `text` is not shaped like a code at all (so it is a passphrase);
    /// `Some(Err)` when it is shaped like one but its check character does not fit (a typo).
    /// Case, spaces and dashes do not matter; O reads as 0 and I or L as 1.
    pub fn parse(text: &str) -> Option<Result<RecoveryCode>> {
        let mut data = Vec::with_capacity(CODE_CHARS);
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' | '\u{3000}' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !CROCKFORD.contains(&(c as u8)) {
                return None;
            }
            data.push(c as u8);
        }
        if data.len() != CODE_CHARS {
            return None;
        }
        if check_char(&data[..CODE_CHARS - 1]) != data[CODE_CHARS - 1] {
            return Some(Err(ClinicError::validation(
                "recoveryCode",
                ValidationRule::InvalidFormat,
                "this recovery code has a typo: check each group of four against the recovery kit",
            )));
        }
        Some(Ok(RecoveryCode(String::from_utf8(data).expect("ASCII"))))
    }

    fn normalized(&self) -> &str {
        &self.0
    }

    /// Six groups of four, as printed on the recovery kit.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("-")
    }
}
