//! The clinic's own details, printed at the top and foot of every handout.

use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::Result;
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
