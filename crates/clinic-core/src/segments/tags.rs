//! Staff's own tags: a name and a colour, put on patients one by one or in bulk (a list of
//! patients, or every member of a segment). Rule segments can test for a tag by name, so a
//! renamed tag is renamed in the saved rules too, and a tag still in a rule is not deleted.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::access::{Action, Actor};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;
use crate::patients::profile::code_enum;

code_enum!(
    /// The tag palette (names; the window picks the shades).
    TagColour {
        Grey = "grey",
        Red = "red",
        Orange = "orange",
        Gold = "gold",
        Green = "green",
        Teal = "teal",
        Blue = "blue",
        Purple = "purple",
        Pink = "pink",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Tag {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub colour: TagColour,
    /// Active patients carrying it.
    #[ts(type = "number")]
    pub patients: u64,
}

const NAME_MAX: usize = 40;

fn clean_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ClinicError::validation(
            "name",
            ValidationRule::Required,
            "a tag needs a name",
        ));
    }
    if name.chars().count() > NAME_MAX {
        return Err(ClinicError::validation(
            "name",
            ValidationRule::TooLong,
            format!("a tag name has at most {NAME_MAX} characters"),
        ));
    }
    Ok(name.to_string())
}

fn name_taken(name: &str) -> ClinicError {
    ClinicError::validation(
        "name",
        ValidationRule::Taken,
        format!("there is already a tag called {name}"),
    )
}

/// Every tag with its number of active patients, by name.
pub struct ListTags;

impl Operation for ListTags {
    type Output = Vec<Tag>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<Tag>> {
        list(tx)
    }
}

pub(crate) fn list(tx: &Transaction<'_>) -> Result<Vec<Tag>> {
    let mut stmt = tx.prepare(
        "SELECT t.id, t.name, t.colour,
                (SELECT count(*) FROM patient_tag pt JOIN patient p ON p.id = pt.patient_id
                 WHERE pt.tag_id = t.id AND p.archived_at IS NULL)
         FROM tag t ORDER BY t.name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], |r| {
        let colour: String = r.get(2)?;
        Ok(Tag {
            id: r.get(0)?,
            name: r.get(1)?,
            colour: TagColour::parse(&colour).unwrap_or(TagColour::Grey),
            patients: r.get::<_, i64>(3)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn find(tx: &Transaction<'_>, id: i64) -> Result<Tag> {
    list(tx)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ClinicError::not_found("tag", &id.to_string()))
}

/// The tag called `name` (any case), if there is one.
pub(crate) fn by_name(tx: &Transaction<'_>, name: &str) -> Result<Option<i64>> {
    Ok(tx
        .query_row("SELECT id FROM tag WHERE name = ?1", [name.trim()], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A new tag, or a changed name or colour (`id` set). A rename is carried into every saved
/// rule that names the tag.
pub struct SaveTag {
    pub id: Option<i64>,
    pub name: String,
    pub colour: TagColour,
}

impl Operation for SaveTag {
    type Output = Tag;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Tag> {
        let name = clean_name(&self.name)?;
        if let Some(other) = by_name(tx, &name)? {
            if Some(other) != self.id {
                return Err(name_taken(&name));
            }
        }
        let id = match self.id {
            None => {
                tx.execute(
                    "INSERT INTO tag (name, colour, created_at) VALUES (?1, ?2, ?3)",
                    params![name, self.colour.code(), now_text()],
                )?;
                tx.last_insert_rowid()
            }
            Some(id) => {
                let old = find(tx, id)?;
                tx.execute(
                    "UPDATE tag SET name = ?1, colour = ?2 WHERE id = ?3",
                    params![name, self.colour.code(), id],
                )?;
                if old.name != name {
                    super::saved::rename_tag_in_rules(tx, &old.name, &name)?;
                }
                id
            }
        };
        find(tx, id)
    }
}

/// Removes a tag from every patient and from the list; refused while a saved segment's
/// rule still uses it (the message names the segments).
pub struct DeleteTag {
    pub id: i64,
}

impl Operation for DeleteTag {
    type Output = ();
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<()> {
        let tag = find(tx, self.id)?;
        let users = super::saved::segments_using_tag(tx, &tag.name)?;
        if !users.is_empty() {
            return Err(ClinicError::new(
                ErrorCode::InUse,
                format!(
                    "the tag {} is used by the segment(s) {}; change them first",
                    tag.name,
                    users.join(", ")
                ),
            ));
        }
        tx.execute("DELETE FROM patient_tag WHERE tag_id = ?1", [self.id])?;
        tx.execute("DELETE FROM tag WHERE id = ?1", [self.id])?;
        Ok(())
    }
}

/// Puts a tag on (or takes it off) a list of patients, in one transaction. Returns how many
/// patients changed (those who already had it, or did not, are left as they were).
pub struct TagPatients {
    pub tag_id: i64,
    pub patients: Vec<Uuid>,
    /// `true` takes the tag off.
    pub remove: bool,
}

impl Operation for TagPatients {
    type Output = u64;
    fn action(&self) -> Action {
        Action::PatientWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<u64> {
        find(tx, self.tag_id)?;
        let now = now_text();
        let mut changed = 0;
        let mut seen = HashSet::new();
        let mut exists = tx.prepare("SELECT 1 FROM patient WHERE id = ?1")?;
        for id in self.patients.iter().filter(|id| seen.insert(**id)) {
            let id = id.to_string();
            if !exists.exists([&id])? {
                return Err(ClinicError::not_found("patient", &id));
            }
            changed += if self.remove {
                tx.execute(
                    "DELETE FROM patient_tag WHERE patient_id = ?1 AND tag_id = ?2",
                    params![id, self.tag_id],
                )?
            } else {
                tx.execute(
                    "INSERT OR IGNORE INTO patient_tag (patient_id, tag_id, tagged_at, tagged_by)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![id, self.tag_id, now, by.name],
                )?
            } as u64;
        }
        Ok(changed)
    }
}

/// One patient's tags, by name.
pub struct PatientTags {
    pub patient_id: Uuid,
}

impl Operation for PatientTags {
    type Output = Vec<Tag>;
    fn action(&self) -> Action {
        Action::PatientRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<Tag>> {
        let mine: HashSet<i64> = tx
            .prepare("SELECT tag_id FROM patient_tag WHERE patient_id = ?1")?
            .query_map([self.patient_id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(list(tx)?
            .into_iter()
            .filter(|t| mine.contains(&t.id))
            .collect())
    }
}
