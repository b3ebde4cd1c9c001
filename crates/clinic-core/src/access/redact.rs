//! What the signed-in person may not see is taken out in the core, before anything
//! leaves it (the window never receives it): without `view-clinical` no clinical notes
//! (conditions, history, allergies, medications, notes; a visit's complaint, diagnosis and
//! treatment), and — when the privacy settings say so — phone numbers masked and no ID
//! number. A save from such a person keeps what they could not see.

use rusqlite::Transaction;

use super::{Actor, Permission};
use crate::error::Result;
use crate::patients::{Patient, PatientInput, PatientSummary};
use crate::privacy::PrivacySettings;
use crate::visits::Visit;

/// `0912345678` → `0912***678`: enough to tell two numbers apart, not to call.
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 6 {
        return "***".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{head}***{tail}")
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Redaction {
    clinical: bool,
    phones: bool,
}

impl Redaction {
    pub(crate) fn for_actor(tx: &Transaction<'_>, by: &Actor) -> Result<Redaction> {
        if by.may(Permission::ViewClinical) {
            return Ok(Redaction::default());
        }
        Ok(Redaction {
            clinical: true,
            phones: PrivacySettings::load(tx)?.mask_for_front_desk,
        })
    }

    pub fn patient(self, p: &mut Patient) {
        if self.phones {
            p.phone = p.phone.as_deref().map(mask_phone);
            for other in &mut p.other_phones {
                other.number = mask_phone(&other.number);
            }
            p.id_number = None;
            p.policy_number = None;
        }
        if self.clinical {
            p.conditions.clear();
            p.past_history = None;
            p.family_history = None;
            p.allergies.clear();
            p.medications.clear();
            p.notes = None;
        }
    }

    /// Phone numbers shown masked, ID and policy numbers not at all.
    pub fn masks_phones(self) -> bool {
        self.phones
    }

    pub fn summary(self, s: &mut PatientSummary) {
        if self.phones {
            s.phone = s.phone.as_deref().map(mask_phone);
        }
    }

    pub fn visit(self, v: &mut Visit) {
        if self.clinical {
            v.chief_complaint = None;
            v.diagnosis = None;
            v.treatment = None;
        }
    }

    /// A save from someone who saw `stored` redacted: what they were not shown is kept.
    pub fn keep_hidden(self, input: &mut PatientInput, stored: &Patient) {
        let before = PatientInput::from(stored);
        if self.phones {
            let unchanged = |typed: &Option<String>, was: &Option<String>| {
                typed.is_none() || typed.as_deref() == was.as_deref().map(mask_phone).as_deref()
            };
            if unchanged(&input.phone, &before.phone) {
                input.phone = before.phone.clone();
            }
            for typed in &mut input.other_phones {
                if let Some(was) = before
                    .other_phones
                    .iter()
                    .find(|w| mask_phone(&w.number) == typed.number)
                {
                    typed.number = was.number.clone();
                }
            }
            if input.id_number.is_none() {
                input.id_number = before.id_number.clone();
            }
            if input.policy_number.is_none() {
                input.policy_number = before.policy_number.clone();
            }
        }
        if self.clinical {
            input.conditions = before.conditions.clone();
            input.past_history = before.past_history.clone();
            input.family_history = before.family_history.clone();
            input.allergies = before.allergies.clone();
            input.medications = before.medications.clone();
            input.notes = before.notes.clone();
        }
    }
}
