//! A validated patient as it is stored: its columns, its search keys, its lists.

use rusqlite::types::Value;

use super::profile::Lists;
use super::*;

/// Validated values, ready to store.
pub(crate) struct PatientRecord {
    pub(crate) name: String,
    pub(crate) sex: Option<Sex>,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) phone: Option<String>,
    pub(crate) id_number: Option<String>,
    /// Every other single-valued column, as (column, value).
    pub(super) columns: Vec<(String, Value)>,
    pub(super) referred_by: Option<Uuid>,
    pub(super) lists: Lists,
}

/// An optional text as a column value.
pub(super) fn text_value(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::Text)
}

/// An optional code as a column value.
pub(super) fn code_value(v: Option<&'static str>) -> Value {
    v.map_or(Value::Null, |c| Value::Text(c.to_string()))
}

impl PatientRecord {
    /// Column names and values, in one fixed order (so statements are cached once).
    pub(super) fn all_columns(&self) -> Vec<(String, Value)> {
        let mut all: Vec<(String, Value)> = [
            ("name", Value::Text(self.name.clone())),
            ("name_fold", Value::Text(self.name.to_lowercase())),
            ("sex", code_value(self.sex.map(Sex::code))),
            (
                "birth_date",
                text_value(self.birth_date.map(|d| d.to_string())),
            ),
            ("phone", text_value(self.phone.clone())),
            (
                "phone_digits",
                text_value(self.phone.as_deref().map(validate::digits_only)),
            ),
            ("id_number", text_value(self.id_number.clone())),
            (
                "referred_by",
                text_value(self.referred_by.map(|u| u.to_string())),
            ),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
        all.extend(self.columns.iter().cloned());
        all
    }

    /// A referrer must be another patient who exists.
    pub(super) fn check_referrer(&self, tx: &Transaction<'_>, own_id: Uuid) -> Result<()> {
        let Some(r) = self.referred_by else {
            return Ok(());
        };
        if r == own_id {
            return Err(ClinicError::validation(
                "referredBy",
                ValidationRule::UnknownValue,
                "a patient cannot refer themselves",
            ));
        }
        let known: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM patient WHERE id = ?1)")?
            .query_row([r.to_string()], |row| row.get(0))?;
        if !known {
            return Err(ClinicError::validation(
                "referredBy",
                ValidationRule::UnknownValue,
                format!("no patient with id {r}"),
            ));
        }
        Ok(())
    }

    /// Registers a new patient now, with its search keys.
    pub(crate) fn insert(&self, tx: &Transaction<'_>, external_id: Option<&str>) -> Result<Uuid> {
        let mut one = BulkInsert::new(tx)?;
        let id = one.add(tx, self, external_id)?;
        one.finish(tx)?;
        Ok(id)
    }

    /// Every stored column of a new patient, in one fixed order.
    pub(super) fn new_row(
        &self,
        id: Uuid,
        external_id: Option<&str>,
        search_no: i64,
    ) -> Vec<(String, Value)> {
        let now = now_text();
        let mut columns = self.all_columns();
        for (n, v) in [
            ("id", Value::Text(id.to_string())),
            ("created_at", Value::Text(now.clone())),
            ("updated_at", Value::Text(now)),
            ("external_id", text_value(external_id.map(str::to_string))),
            ("search_no", Value::Integer(search_no)),
        ] {
            columns.push((n.to_string(), v));
        }
        columns
    }

    /// Replaces every field and list of patient `id`, and its search keys.
    pub(crate) fn update(&self, tx: &Transaction<'_>, id: Uuid) -> Result<()> {
        self.check_referrer(tx, id)?;
        // What the patient was found by until now, so exactly those keys are replaced.
        let before = tx.query_row(
            "SELECT search_no, name, phone, id_number,
                 (SELECT group_concat(number, char(31)) FROM patient_phone WHERE patient_id = ?1)
             FROM patient WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok(SearchedAs {
                    search_no: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    id_number: r.get(3)?,
                    other_phones: r.get(4)?,
                })
            },
        )?;
        let mut columns = self.all_columns();
        columns.push(("updated_at".into(), Value::Text(now_text())));
        let sets: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| format!("{n} = ?{}", i + 2))
            .collect();
        let mut values = vec![Value::Text(id.to_string())];
        values.extend(columns.into_iter().map(|(_, v)| v));
        tx.prepare_cached(&format!(
            "UPDATE patient SET {} WHERE id = ?1",
            sets.join(", ")
        ))?
        .execute(rusqlite::params_from_iter(values))?;
        self.lists.save(tx, &id.to_string(), true)?;
        let old = Searchable {
            name: &before.name,
            phone: before.phone.as_deref(),
            other_phones: before
                .other_phones
                .as_deref()
                .map(|o| o.split('\u{1f}').collect())
                .unwrap_or_default(),
            id_number: before.id_number.as_deref(),
        };
        search::index_patient(tx, before.search_no, Some(&old), &self.searchable())
    }

    pub(crate) fn searchable(&self) -> Searchable<'_> {
        Searchable {
            name: &self.name,
            phone: self.phone.as_deref(),
            other_phones: self
                .lists
                .other_phones
                .iter()
                .map(|p| p.number.as_str())
                .collect(),
            id_number: self.id_number.as_deref(),
        }
    }

    /// Every phone: the primary first.
    pub(crate) fn phones(&self) -> impl Iterator<Item = &str> {
        self.phone
            .as_deref()
            .into_iter()
            .chain(self.lists.other_phones.iter().map(|p| p.number.as_str()))
    }
}

/// The stored fields a patient's search keys are made from.
struct SearchedAs {
    search_no: i64,
    name: String,
    phone: Option<String>,
    id_number: Option<String>,
    other_phones: Option<String>,
}
