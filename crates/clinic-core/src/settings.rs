//! The clinic's own details and logo, printed at the top and foot of every handout.

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, Result, ValidationRule};
use crate::validate;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ClinicProfile {
    pub name: String,
    pub address: String,
    pub phone: String,
}

pub struct GetClinicProfile;

impl Operation for GetClinicProfile {
    type Output = ClinicProfile;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ClinicProfile> {
        load(tx)
    }
}

pub(crate) fn load(tx: &Transaction<'_>) -> Result<ClinicProfile> {
    Ok(tx.query_row(
        "SELECT name, address, phone FROM clinic_profile WHERE id = 1",
        [],
        |r| {
            Ok(ClinicProfile {
                name: r.get(0)?,
                address: r.get(1)?,
                phone: r.get(2)?,
            })
        },
    )?)
}

pub struct SetClinicProfile(pub ClinicProfile);

impl Operation for SetClinicProfile {
    type Output = ClinicProfile;
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<ClinicProfile> {
        let p = self.0;
        let name = validate::optional_text("name", Some(&p.name), 80)?.unwrap_or_default();
        let address =
            validate::optional_text("address", Some(&p.address), 200)?.unwrap_or_default();
        let phone = validate::optional_text("phone", Some(&p.phone), 40)?.unwrap_or_default();
        tx.execute(
            "UPDATE clinic_profile SET name = ?1, address = ?2, phone = ?3 WHERE id = 1",
            [&name, &address, &phone],
        )?;
        load(tx)
    }
}

/// The largest logo accepted: a header logo needs a few hundred pixels, not a photo.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// The clinic's logo as stored (PNG or JPEG), if it has one.
pub struct GetClinicLogo;

impl Operation for GetClinicLogo {
    type Output = Option<Vec<u8>>;
    fn action(&self) -> Action {
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Option<Vec<u8>>> {
        load_logo(tx)
    }
}

pub(crate) fn load_logo(tx: &Transaction<'_>) -> Result<Option<Vec<u8>>> {
    Ok(
        tx.query_row("SELECT logo FROM clinic_profile WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

/// The logo decoded for drawing; a stored logo that no longer decodes is left off the page
/// rather than stopping every handout.
pub(crate) fn decode_logo(bytes: &[u8]) -> Result<printpdf::RawImage> {
    printpdf::RawImage::decode_from_bytes(bytes, &mut Vec::new()).map_err(|e| {
        ClinicError::validation(
            "logo",
            ValidationRule::InvalidFormat,
            format!("the logo must be a PNG or JPEG image ({e})"),
        )
    })
}

/// Sets (or with `None` removes) the logo printed on every handout: a PNG or JPEG of at
/// most 1 MB; anything else is refused and the old logo kept.
pub struct SetClinicLogo(pub Option<Vec<u8>>);

impl Operation for SetClinicLogo {
    type Output = ();
    fn action(&self) -> Action {
        Action::SettingsWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<()> {
        if let Some(bytes) = &self.0 {
            if bytes.len() > MAX_LOGO_BYTES {
                return Err(ClinicError::validation(
                    "logo",
                    ValidationRule::TooLong,
                    format!(
                        "the logo is {} KB; at most {} KB",
                        bytes.len() / 1024,
                        MAX_LOGO_BYTES / 1024
                    ),
                ));
            }
            decode_logo(bytes)?;
        }
        tx.execute(
            "UPDATE clinic_profile SET logo = ?1 WHERE id = 1",
            [&self.0],
        )?;
        Ok(())
    }
}

/// Settings kept as one JSON value in a one-row table (`segment_setting.rules`,
/// `schedule_setting.value`, `reminder_setting.value`): NULL, or a value this version
/// cannot read, gives the defaults.
pub(crate) fn load_json<T: serde::de::DeserializeOwned + Default>(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
) -> Result<T> {
    let text: Option<String> = tx.query_row(
        &format!("SELECT {column} FROM {table} WHERE id = 1"),
        [],
        |r| r.get(0),
    )?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

pub(crate) fn save_json<T: Serialize>(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    value: &T,
) -> Result<()> {
    tx.execute(
        &format!("UPDATE {table} SET {column} = ?1 WHERE id = 1"),
        [serde_json::to_string(value).expect("settings serialise")],
    )?;
    Ok(())
}
