//! Caches the raw database key in the OS keychain so staff are not asked every morning.
//! A cache only: every failure here is reported as "not available" and the caller falls
//! back to the passphrase, never to an error screen.

use crate::key::DbKey;

const SERVICE: &str = "Clinic CRM";

pub trait KeyCache: Send + Sync {
    fn load(&self, clinic_id: &str) -> Option<DbKey>;
    /// Returns why caching failed, for a log line; never fatal.
    fn store(&self, clinic_id: &str, key: &DbKey) -> Result<(), String>;
    fn forget(&self, clinic_id: &str);
}

/// The platform keychain: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
pub struct OsKeychain;

impl KeyCache for OsKeychain {
    fn load(&self, clinic_id: &str) -> Option<DbKey> {
        let entry = keyring::Entry::new(SERVICE, clinic_id).ok()?;
        let secret = entry.get_secret().ok()?;
        DbKey::from_bytes(&secret)
    }

    fn store(&self, clinic_id: &str, key: &DbKey) -> Result<(), String> {
        let entry = keyring::Entry::new(SERVICE, clinic_id).map_err(|e| e.to_string())?;
        entry.set_secret(key.as_bytes()).map_err(|e| e.to_string())
    }

    fn forget(&self, clinic_id: &str) {
        if let Ok(entry) = keyring::Entry::new(SERVICE, clinic_id) {
            let _ = entry.delete_credential();
        }
    }
}

/// For headless machines, CI and `CLINIC_KEYCHAIN=off`: nothing is cached.
pub struct NoKeychain;

impl KeyCache for NoKeychain {
    fn load(&self, _: &str) -> Option<DbKey> {
        None
    }
    fn store(&self, _: &str, _: &DbKey) -> Result<(), String> {
        Err("keychain disabled".into())
    }
    fn forget(&self, _: &str) {}
}

/// The keychain unless `CLINIC_KEYCHAIN=off` says otherwise.
pub fn from_env() -> Box<dyn KeyCache> {
    match std::env::var("CLINIC_KEYCHAIN").as_deref() {
        Ok("off") | Ok("0") | Ok("false") => Box::new(NoKeychain),
        _ => Box::new(OsKeychain),
    }
}
