//! Recall postcards for patients who prefer mail: one A5 page each (name and address at
//! the top for a window envelope, then the message), in the patient's language, and the
//! same addresses on a sheet of labels; each contact logged as sent.

use super::*;
use crate::handouts::pdf::{self, Paper};
use crate::handouts::template::{Block, Template};
use crate::patients::Language;

#[derive(Debug, Clone)]
pub struct Postcards {
    pub pdf: Vec<u8>,
    /// The same patients' names and addresses on A4 sheets of 24 labels.
    pub labels: Vec<u8>,
    pub cards: u32,
}

/// Today's contacts by post with an address, as one PDF; each is logged as sent (the PDF
/// is returned first and the log committed with it, so a failure leaves nothing marked).
pub struct PrintPostcards {
    pub now: Option<DateTime<Utc>>,
}

fn heading(language: Language) -> &'static str {
    match language {
        Language::ZhCn => "复诊提醒",
        Language::ZhTw => "回診提醒",
        Language::En => "A reminder from your clinic",
    }
}

impl Operation for PrintPostcards {
    type Output = Postcards;
    fn action(&self) -> Action {
        Action::ReminderWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<Postcards> {
        let list = DueReminders {
            date: None,
            now: self.now,
        }
        .run(tx, by)?;
        let brand = crate::handouts::Branding::load(tx)?;
        let mut laid = vec![];
        let mut sent = vec![];
        let mut labels = vec![];
        for c in list
            .contacts
            .iter()
            .filter(|c| c.channel == ContactChannel::Post)
        {
            let Some(address) = reach_of(tx, &c.patient_id.to_string())?.and_then(|r| r.address)
            else {
                continue;
            };
            let language = Language::parse(&c.language).unwrap_or(Language::ZhCn);
            labels.push(vec![c.name.clone(), address.clone()]);
            let template = Template {
                title: heading(language).to_string(),
                blocks: vec![
                    Block::Heading(c.name.clone()),
                    Block::Paragraph(address),
                    Block::Paragraph(c.message.clone()),
                ],
            };
            let frame = brand.frame(
                list.date.to_string(),
                format!("{} · {}", heading(language), c.name),
            );
            laid.push(pdf::lay_out(&template, language, true, Paper::A5, &frame));
            sent.push(c);
        }
        if laid.is_empty() {
            return Err(ClinicError::validation(
                "channel",
                ValidationRule::Required,
                "no one due today prefers post (with an address on record)",
            ));
        }
        let pdf = pdf::draw_all(&laid);
        // One sheet for every patient: the clinic's language picks the face (the other face
        // fills in any character it lacks).
        let label_language =
            Language::parse(&super::rules::load(tx)?.default_language).unwrap_or(Language::ZhCn);
        let labels = pdf::address_labels(&labels, label_language, &brand.profile.name);
        for c in &sent {
            super::outcomes::log_sent(tx, by, c, ContactChannel::Post, self.now)?;
        }
        Ok(Postcards {
            pdf,
            labels,
            cards: sent.len() as u32,
        })
    }
}
