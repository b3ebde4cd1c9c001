//! Reminders and the work list on a real encrypted clinic with an injected clock: each
//! rule's due date (closed days, month ends, 29 February), consent, one merged contact per
//! patient, roll-over and escalation, outcomes, the SMS batch and the effect per rule.

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use clinic_core::appointments::{
    AppointmentInput, AppointmentStatus, BookAppointment, ClosedDay, GetSchedule,
    SetAppointmentStatus, SetSchedule,
};
use clinic_core::patients::{CreatePatient, PatientInput, RecordConsent};
use clinic_core::reminders::due::{self, DueFacts, PastVisit};
use clinic_core::reminders::{
    ContactInput, DueReminders, ExportReminderBatch, GetReminderRules, LogContact, Priority,
    ReminderEffect, ReminderKind, ReminderRules, SetReminderRules, VisitCheckIns, WorkList,
};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic};
use uuid::Uuid;

fn owner() -> Actor {
    Actor::owner()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 10:00 in Shanghai on that date.
fn morning(date: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(&format!("{date}T10:00:00+08:00"))
            .unwrap()
            .with_timezone(&Utc),
    )
}

fn setup() -> (tempfile::TempDir, Clinic) {
    let (tmp, c) = common::clinic();
    let mut s = c.execute(&owner(), GetSchedule).unwrap();
    s.time_zone = "Asia/Shanghai".into();
    s.closed_days = vec![
        ClosedDay {
            date: d("2026-12-31"),
            reason: "year end".into(),
        },
        ClosedDay {
            date: d("2027-01-01"),
            reason: "New Year".into(),
        },
    ];
    c.execute(&owner(), SetSchedule(s)).unwrap();
    c.execute(
        &owner(),
        clinic_core::settings::SetClinicProfile(clinic_core::settings::ClinicProfile {
            name: "康乐牙科".into(),
            address: String::new(),
            phone: "020-8888".into(),
        }),
    )
    .unwrap();
    (tmp, c)
}

fn patient(c: &Clinic, name: &str, consent: bool, channel: &str) -> Uuid {
    let id = c
        .execute(
            &owner(),
            CreatePatient {
                input: PatientInput {
                    name: name.into(),
                    sex: Some("F".into()),
                    phone: Some(format!("1380000{:04}", name.len() * 7 % 10000)),
                    preferred_channel: Some(channel.into()),
                    birth_date: Some("1980-12-02".into()),
                    ..Default::default()
                },
                allow_duplicate: true,
            },
        )
        .unwrap()
        .id;
    if consent {
        for purpose in ["reminders", "marketing"] {
            c.execute(
                &owner(),
                RecordConsent {
                    patient_id: id,
                    purpose: purpose.into(),
                    given: true,
                    note: None,
                },
            )
            .unwrap();
        }
    }
    id
}

fn book(c: &Clinic, p: Uuid, when: &str, now: &str) -> Uuid {
    c.execute(
        &owner(),
        BookAppointment {
            input: AppointmentInput {
                patient_id: p.to_string(),
                at: when.into(),
                doctor: Some("陈医生".into()),
                ..Default::default()
            },
            now: morning(now),
        },
    )
    .unwrap()
    .id
}

fn visit(c: &Clinic, p: Uuid, date: &str, treatment: &str, follow_up_by: Option<&str>) -> Uuid {
    c.execute(
        &owner(),
        AddVisit(VisitInput {
            patient_id: p.to_string(),
            at: format!("{date}T10:00+08:00"),
            department: "牙科".into(),
            visit_type: "return".into(),
            treatment: Some(treatment.into()),
            follow_up_by: follow_up_by.map(Into::into),
            ..Default::default()
        }),
    )
    .unwrap()
    .id
}

fn list(c: &Clinic, today: &str) -> WorkList {
    c.execute(
        &owner(),
        DueReminders {
            date: None,
            now: morning(today),
        },
    )
    .unwrap()
}

fn kinds(w: &WorkList, p: Uuid) -> Vec<(ReminderKind, u32)> {
    w.contacts
        .iter()
        .filter(|c| c.patient_id == p)
        .flat_map(|c| c.items.iter().map(|i| (i.kind, i.step)))
        .collect()
}

fn log(c: &Clinic, w: &WorkList, p: Uuid, outcome: &str, today: &str) {
    let contact = w.contacts.iter().find(|x| x.patient_id == p).unwrap();
    c.execute(
        &owner(),
        LogContact {
            input: ContactInput {
                patient_id: p.to_string(),
                reminder_ids: contact.items.iter().filter_map(|i| i.reminder_id).collect(),
                outcome: outcome.into(),
                ..Default::default()
            },
            now: morning(today),
        },
    )
    .unwrap();
}

#[test]
fn appointment_reminders_merge_and_skip_closed_days() {
    let (_t, c) = setup();
    let p = patient(&c, "王丽", true, "sms");
    // Booked on Monday 30 November for Wednesday 2 December.
    book(&c, p, "2026-12-02 10:00", "2026-11-30");
    let mon = list(&c, "2026-11-30");
    assert_eq!(kinds(&mon, p), vec![(ReminderKind::Confirmation, 1)]);
    let msg = &mon.contacts[0].message;
    assert!(msg.starts_with("王女士您好，"), "{msg}");
    assert!(msg.contains("12月2日（周三） 10:00陈医生"), "{msg}");
    assert!(msg.ends_with("【康乐牙科 020-8888】"), "{msg}");
    assert_eq!(mon.contacts[0].sms_parts, 1);

    // Not worked on Monday: on Tuesday it is overdue, the day-before is due, and the two
    // about the same appointment make one contact saying it once.
    let tue = list(&c, "2026-12-01");
    assert_eq!(tue.contacts.len(), 1);
    assert_eq!(
        kinds(&tue, p),
        vec![
            (ReminderKind::Confirmation, 1),
            (ReminderKind::DayBefore, 1)
        ]
    );
    assert_eq!(tue.contacts[0].priority, Priority::Overdue);
    assert_eq!(tue.contacts[0].message.matches("10:00").count(), 1);
    log(&c, &tue, p, "sent", "2026-12-01");
    assert!(list(&c, "2026-12-01").contacts.is_empty());
    assert_eq!(list(&c, "2026-12-01").done, 1);
    // Booked again the same afternoon: one contact a day, so its confirmation waits for
    // tomorrow.
    book(&c, p, "2026-12-09 10:00", "2026-12-01");
    assert!(list(&c, "2026-12-01").contacts.is_empty());
    // (Her birthday is that day too: one message says both.)
    assert_eq!(
        kinds(&list(&c, "2026-12-02"), p),
        vec![(ReminderKind::Confirmation, 1), (ReminderKind::Birthday, 1)]
    );

    // Closed on Thursday 31 December and Friday 1 January: an appointment on Saturday
    // 2 January is reminded the last open day before, Wednesday 30 December.
    let q = patient(&c, "李娜", true, "phone");
    book(&c, q, "2027-01-02 09:30", "2026-12-20");
    assert!(kinds(&list(&c, "2026-12-29"), q)
        .iter()
        .all(|k| k.0 != ReminderKind::DayBefore));
    assert!(kinds(&list(&c, "2026-12-30"), q).contains(&(ReminderKind::DayBefore, 1)));

    // A Monday appointment is reminded on Saturday (Sunday is closed).
    let r = patient(&c, "赵敏", true, "phone");
    book(&c, r, "2026-12-14 09:00", "2026-12-10");
    assert!(!kinds(&list(&c, "2026-12-11"), r).contains(&(ReminderKind::DayBefore, 1)));
    assert!(kinds(&list(&c, "2026-12-12"), r).contains(&(ReminderKind::DayBefore, 1)));
}

#[test]
fn consent_decides_who_is_contacted() {
    let (_t, c) = setup();
    let yes = patient(&c, "同意者", true, "sms");
    let no = patient(&c, "未同意", false, "sms");
    book(&c, yes, "2026-12-02 10:00", "2026-11-30");
    let other = book(&c, no, "2026-12-02 11:00", "2026-11-30");
    let w = list(&c, "2026-11-30");
    assert_eq!(w.contacts.len(), 1);
    assert_eq!(w.contacts[0].patient_id, yes);
    assert_eq!(w.skipped.get("no-consent"), Some(&1));
    // Consent given later: on the list the next day.
    c.execute(
        &owner(),
        RecordConsent {
            patient_id: no,
            purpose: "reminders".into(),
            given: true,
            note: None,
        },
    )
    .unwrap();
    let w = list(&c, "2026-12-01");
    assert!(w.contacts.iter().any(|x| x.patient_id == no));
    // A cancelled appointment takes its reminders off the list.
    c.execute(
        &owner(),
        SetAppointmentStatus {
            id: other,
            status: AppointmentStatus::Cancelled,
            visit_id: None,
            now: morning("2026-12-01"),
        },
    )
    .unwrap();
    assert!(list(&c, "2026-12-01")
        .contacts
        .iter()
        .all(|x| x.patient_id != no));
    // "Do not contact again" withdraws consent: nothing more for this patient.
    let w = list(&c, "2026-12-01");
    log(&c, &w, yes, "do-not-contact", "2026-12-01");
    book(&c, yes, "2026-12-09 10:00", "2026-12-01");
    assert!(list(&c, "2026-12-08")
        .contacts
        .iter()
        .all(|x| x.patient_id != yes));
}

#[test]
fn missed_follow_up_escalates_to_a_call_and_clears_on_booking() {
    let (_t, c) = setup();
    let p = patient(&c, "周芳", true, "phone");
    // Seen Thursday 1 October 2026, asked to return by Tuesday 20 October.
    visit(&c, p, "2026-10-01", "根管治疗第一次", Some("2026-10-20"));
    let at = |day: &str| {
        kinds(&list(&c, day), p)
            .into_iter()
            .filter(|k| k.0 == ReminderKind::FollowUp)
            .collect::<Vec<_>>()
    };
    assert!(at("2026-10-16").is_empty());
    assert_eq!(
        at("2026-10-17"),
        vec![(ReminderKind::FollowUp, 1)],
        "three days before"
    );
    // No answer twice: still there, now a call task.
    for day in ["2026-10-17", "2026-10-19"] {
        let w = list(&c, day);
        log(&c, &w, p, "no-answer", day);
    }
    let w = list(&c, "2026-10-20");
    let contact = w.contacts.iter().find(|x| x.patient_id == p).unwrap();
    assert_eq!(contact.priority, Priority::Call);
    assert_eq!(contact.items[0].attempts, 2);
    // A week after the first: the second reminder (the first has lapsed).
    assert_eq!(at("2026-10-24"), vec![(ReminderKind::FollowUp, 2)]);
    // A week later: a staff call (2026-10-31 is a Saturday, open).
    let w = list(&c, "2026-10-31");
    let contact = w.contacts.iter().find(|x| x.patient_id == p).unwrap();
    assert_eq!(
        contact
            .items
            .iter()
            .find(|i| i.kind == ReminderKind::FollowUp)
            .unwrap()
            .step,
        3
    );
    assert_eq!(contact.priority, Priority::Call);
    // Booking clears it.
    book(&c, p, "2026-11-05 10:00", "2026-10-31");
    assert!(at("2026-10-31").is_empty());
}

#[test]
fn check_ins_store_answers_on_the_visit() {
    let (_t, c) = setup();
    let p = patient(&c, "陈静", true, "phone");
    // Extraction on Monday 2 November 2026: check-ins on day 1 and day 7.
    let v = visit(&c, p, "2026-11-02", "下颌智齿拔除", None);
    let w = list(&c, "2026-11-03");
    assert_eq!(kinds(&w, p), vec![(ReminderKind::CheckIn, 1)]);
    let contact = &w.contacts[0];
    assert!(
        contact.message.contains("拔牙后感觉如何"),
        "{}",
        contact.message
    );
    c.execute(
        &owner(),
        LogContact {
            input: ContactInput {
                patient_id: p.to_string(),
                reminder_ids: vec![contact.items[0].reminder_id.unwrap()],
                outcome: "reached".into(),
                pain: Some(3),
                satisfaction: Some(5),
                note: Some("a little swelling".into()),
                ..Default::default()
            },
            now: morning("2026-11-03"),
        },
    )
    .unwrap();
    let answers = c.execute(&owner(), VisitCheckIns(v)).unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(
        (answers[0].day, answers[0].pain, answers[0].satisfaction),
        (1, Some(3), Some(5))
    );
    // Day 7 is Sunday 8 November (closed): worked Monday 9 November.
    assert!(kinds(&list(&c, "2026-11-07"), p).is_empty());
    assert_eq!(
        kinds(&list(&c, "2026-11-09"), p),
        vec![(ReminderKind::CheckIn, 7)]
    );
    // Unworked, it lapses after two days.
    assert!(kinds(&list(&c, "2026-11-12"), p).is_empty());
}

#[test]
fn recalls_over_month_ends_and_leap_days() {
    let (_t, c) = setup();
    let p = patient(&c, "林洁", true, "phone");
    // Scaling on 31 August 2025: six months later is 28 February 2026, a Saturday.
    visit(&c, p, "2025-08-31", "全口洗牙", None);
    assert!(kinds(&list(&c, "2026-02-27"), p).is_empty());
    let w = list(&c, "2026-02-28");
    assert_eq!(kinds(&w, p), vec![(ReminderKind::Recall, 1)]);
    assert!(w.contacts[0].message.contains("洗牙"));
    // A later scaling replaces it.
    visit(&c, p, "2026-03-02", "洗牙", None);
    assert!(kinds(&list(&c, "2026-03-02"), p).is_empty());

    // The pure rules on days the file cannot hold yet: 31 Aug 2027 + 6 months is
    // 29 February 2028 (a Tuesday in a leap year); a birthday on 29 February is greeted
    // on 1 March in other years; 31 January + 1 month is the end of February.
    let rules = ReminderRules::default();
    let schedule = c.execute(&owner(), GetSchedule).unwrap();
    let v = PastVisit {
        id: Uuid::nil(),
        patient_id: Uuid::nil(),
        date: d("2027-08-31"),
        treatment: "Scaling and polish".into(),
        diagnosis: String::new(),
        follow_up_by: None,
        seen_since: false,
        booked_since: false,
        recalled_since: vec![],
        birth_date: None,
    };
    let facts = DueFacts {
        visits: vec![v],
        ..Default::default()
    };
    let due_on = |day: &str| due::candidates(&facts, &rules, &schedule, d(day));
    assert!(due_on("2028-02-28").is_empty());
    assert_eq!(due_on("2028-02-29")[0].due, d("2028-02-29"));
    assert_eq!(due::add_months(d("2027-01-31"), 1), d("2027-02-28"));
    assert_eq!(due::add_months(d("2028-01-31"), 1), d("2028-02-29"));
    assert_eq!(due::birthday_in(d("2000-02-29"), 2027), d("2027-03-01"));
    assert_eq!(due::birthday_in(d("2000-02-29"), 2028), d("2028-02-29"));
}

#[test]
fn one_contact_per_patient_with_everything_due() {
    let (_t, c) = setup();
    let p = patient(&c, "Mary Smith", true, "sms");
    c.execute(
        &owner(),
        clinic_core::patients::UpdatePatient {
            id: p,
            input: PatientInput {
                name: "Mary Smith".into(),
                sex: Some("F".into()),
                phone: Some("0912345678".into()),
                preferred_channel: Some("sms".into()),
                preferred_language: Some("en".into()),
                birth_date: Some("1980-11-20".into()),
                ..Default::default()
            },
            reason: None,
        },
    )
    .unwrap();
    // A scaling six months ago and an extraction yesterday: both due on Friday
    // 20 November, her birthday too.
    visit(&c, p, "2026-05-20", "scaling", None);
    visit(&c, p, "2026-11-19", "extraction 38", None);
    let w = list(&c, "2026-11-20");
    assert_eq!(w.contacts.len(), 1);
    let contact = &w.contacts[0];
    let mut got: Vec<_> = contact.items.iter().map(|i| i.kind).collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ReminderKind::CheckIn,
            ReminderKind::Recall,
            ReminderKind::Birthday
        ]
    );
    assert!(
        contact.message.starts_with("Dear Ms Smith, "),
        "{}",
        contact.message
    );
    assert!(contact.message.contains("extraction"));
    assert!(contact.message.contains("happy birthday"));
    assert!(contact
        .message
        .contains("six months since your last scaling"));
    assert!(
        contact.sms_parts >= 2,
        "{} is longer than one SMS",
        contact.message
    );
}

#[test]
fn sms_batch_marks_sent_and_effect_counts_returns() {
    let (_t, c) = setup();
    let a = patient(&c, "甲", true, "sms");
    let b = patient(&c, "乙乙", true, "phone");
    let none = patient(&c, "丙丙丙", false, "sms");
    for p in [a, b, none] {
        visit(&c, p, "2026-05-20", "洗牙", None);
    }
    // Due 20 November; the SMS one goes in the batch, the phone one stays for a call.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sms.csv");
    let done = c
        .execute(
            &owner(),
            ExportReminderBatch {
                out: out.clone(),
                date: None,
                now: morning("2026-11-20"),
            },
        )
        .unwrap();
    assert_eq!(done.messages, 1);
    assert_eq!(done.send_after, None);
    let csv = std::fs::read_to_string(&out).unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    assert!(csv.starts_with("phone,message,name,send_after"));
    assert_eq!(csv.lines().count(), 2);
    let w = list(&c, "2026-11-20");
    assert_eq!(w.contacts.len(), 1);
    assert_eq!(w.contacts[0].patient_id, b);
    // A second export the same day sends nothing twice.
    let again = c
        .execute(
            &owner(),
            ExportReminderBatch {
                out: out.clone(),
                date: None,
                now: morning("2026-11-20"),
            },
        )
        .unwrap();
    assert_eq!(again.messages, 0);
    // In quiet hours the file says when to send.
    let late = DateTime::parse_from_rfc3339("2026-11-20T22:30:00+08:00")
        .unwrap()
        .with_timezone(&Utc);
    let quiet = c
        .execute(
            &owner(),
            ExportReminderBatch {
                out,
                date: None,
                now: Some(late),
            },
        )
        .unwrap();
    assert_eq!(quiet.send_after.unwrap().to_string(), "2026-11-21 08:00:00");

    // The SMS patient books: contacted and returned; the unconsented one did not come.
    book(&c, a, "2026-11-25 10:00", "2026-11-21");
    // b's reminder is never worked and lapses.
    list(&c, "2027-01-25");
    let effect = c
        .execute(
            &owner(),
            ReminderEffect {
                from: d("2026-11-01"),
                to: d("2026-11-30"),
                days: 30,
            },
        )
        .unwrap();
    let recall = effect
        .iter()
        .find(|e| e.kind == ReminderKind::Recall)
        .unwrap();
    assert_eq!((recall.contacted, recall.contacted_returned), (1, 1));
    assert_eq!(
        (recall.not_contacted, recall.not_contacted_returned),
        (2, 0)
    );
}

#[test]
fn rules_are_validated() {
    let (_t, c) = setup();
    let mut rules = c.execute(&owner(), GetReminderRules).unwrap();
    rules.day_before.message.en = "See you {tomorow}".into();
    let err = c
        .execute(&owner(), SetReminderRules(rules.clone()))
        .unwrap_err();
    assert_eq!(err.rule, Some(clinic_core::ValidationRule::UnknownValue));
    rules.day_before.message.en = "See you on {date} at {time}.".into();
    rules.day_before.days_before = 2;
    rules.quiet_from = "22:00".into();
    let saved = c.execute(&owner(), SetReminderRules(rules)).unwrap();
    assert_eq!(saved.day_before.days_before, 2);
    assert_eq!(saved.quiet_from, "22:00");
}

#[test]
fn a_rule_previewed_for_a_real_patient_before_saving() {
    let (_t, c) = setup();
    let p = patient(&c, "王丽", true, "sms");
    book(&c, p, "2026-12-02 10:00", "2026-11-24");
    let mut rules = c.execute(&owner(), GetReminderRules).unwrap();
    rules.day_before.message.zh_cn = "明天{time}见，{doctor}已为您留好时间。".into();
    let preview = c
        .execute(
            &owner(),
            clinic_core::reminders::PreviewReminder {
                patient_id: p,
                kind: ReminderKind::DayBefore,
                rule: None,
                rules,
                now: morning("2026-11-25"),
            },
        )
        .unwrap();
    assert_eq!(preview.language, "zh-CN");
    assert_eq!(
        preview.message,
        "王女士您好，明天10:00见，陈医生已为您留好时间。【康乐牙科 020-8888】"
    );
    assert_eq!(preview.sms_parts, 1);
    // Nothing was saved.
    let saved = c.execute(&owner(), GetReminderRules).unwrap();
    assert!(saved.day_before.message.zh_cn.starts_with("提醒您明天"));
}

#[test]
fn recall_postcards_for_patients_who_prefer_post() {
    let (_t, c) = setup();
    let p = c
        .execute(
            &owner(),
            CreatePatient {
                input: PatientInput {
                    name: "张伟明".into(),
                    sex: Some("M".into()),
                    address: Some("上海市徐汇区漕溪北路 100 号".into()),
                    preferred_channel: Some("post".into()),
                    ..Default::default()
                },
                allow_duplicate: true,
            },
        )
        .unwrap()
        .id;
    c.execute(
        &owner(),
        RecordConsent {
            patient_id: p,
            purpose: "reminders".into(),
            given: true,
            note: None,
        },
    )
    .unwrap();
    visit(&c, p, "2026-05-20", "洗牙", None);
    let cards = c
        .execute(
            &owner(),
            clinic_core::reminders::PrintPostcards {
                now: morning("2026-11-20"),
            },
        )
        .unwrap();
    assert_eq!(cards.cards, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cards.pdf");
    std::fs::write(&file, &cards.pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace([' ', '\n'], "");
    for words in [
        "张先生您好",
        "上海市徐汇区漕溪北路100号",
        "距上次洗牙已满半年",
        "复诊提醒",
        "康乐牙科",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    // The address label sheet: no header or footer, the name and the address.
    let labels = dir.path().join("labels.pdf");
    std::fs::write(&labels, &cards.labels).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&labels)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace([' ', '\n'], "");
    assert_eq!(
        text.trim_matches('\u{c}'),
        "张伟明上海市徐汇区漕溪北路100号"
    );
    // Logged as sent: nothing left to print.
    assert!(list(&c, "2026-11-20").contacts.is_empty());
    let again = c
        .execute(
            &owner(),
            clinic_core::reminders::PrintPostcards {
                now: morning("2026-11-20"),
            },
        )
        .unwrap_err();
    assert_eq!(again.rule, Some(clinic_core::ValidationRule::Required));
}

#[test]
fn a_recall_aimed_at_a_segment_reaches_its_members_once_a_stretch() {
    use clinic_core::reminders::rules::{RecallRule, Words};
    use clinic_core::segments::{Rule, SaveSegment, SaveTag, TagColour, TagPatients};
    let (_t, c) = setup();
    let member = patient(&c, "王会员", true, "sms");
    let booked = patient(&c, "李已约", true, "sms");
    let unwilling = patient(&c, "赵拒绝", false, "sms");
    let outsider = patient(&c, "陈路人", true, "sms");
    let tag = c
        .execute(
            &owner(),
            SaveTag {
                id: None,
                name: "VIP".into(),
                colour: TagColour::Gold,
            },
        )
        .unwrap();
    c.execute(
        &owner(),
        TagPatients {
            tag_id: tag.id,
            patients: vec![member, booked, unwilling],
            remove: false,
        },
    )
    .unwrap();
    c.execute(
        &owner(),
        SaveSegment {
            id: None,
            name: "VIP名单".into(),
            description: None,
            rule: Rule::Tag { name: "VIP".into() },
            template: None,
        },
    )
    .unwrap();
    book(&c, booked, "2026-12-21 10:00", "2026-11-20");
    let mut rules = c.execute(&owner(), GetReminderRules).unwrap();
    let checkup = RecallRule {
        key: "vip-checkup".into(),
        name: Words::new("会员体检", "會員體檢", "Members' check-up"),
        keywords: vec![],
        months: 6,
        max_age: None,
        message: Words::new(
            "会员年度检查可以预约了。",
            "會員年度檢查可以預約了。",
            "your members' check-up is due.",
        ),
        segment: Some("VIP名单".into()),
    };
    rules.recalls.push(checkup.clone());
    c.execute(&owner(), SetReminderRules(rules.clone()))
        .unwrap();

    let w = list(&c, "2026-11-30");
    assert_eq!(kinds(&w, member), vec![(ReminderKind::Recall, 1)]);
    let contact = w.contacts.iter().find(|x| x.patient_id == member).unwrap();
    assert!(
        contact.message.contains("会员年度检查"),
        "{}",
        contact.message
    );
    // Booked already (only the booking's own reminders); no consent; not in the segment.
    for p in [booked, unwilling, outsider] {
        assert!(!kinds(&w, p).iter().any(|k| k.0 == ReminderKind::Recall));
    }
    // Opening the list again writes nothing twice; once reached, not again for six
    // months, then again while still a member.
    assert_eq!(kinds(&list(&c, "2026-11-30"), member).len(), 1);
    log(&c, &w, member, "reached", "2026-11-30");
    assert!(kinds(&list(&c, "2026-12-01"), member).is_empty());
    assert!(kinds(&list(&c, "2027-05-28"), member).is_empty());
    assert_eq!(
        kinds(&list(&c, "2027-05-31"), member),
        vec![(ReminderKind::Recall, 1)]
    );
    // Out of the segment: the open reminder is no longer due.
    c.execute(
        &owner(),
        TagPatients {
            tag_id: tag.id,
            patients: vec![member],
            remove: true,
        },
    )
    .unwrap();
    assert!(kinds(&list(&c, "2027-06-01"), member).is_empty());

    // A rule needs words or a segment; a deleted segment selects nobody and the list
    // still opens.
    let mut neither = rules.clone();
    neither.recalls.last_mut().unwrap().segment = Some("  ".into());
    let e = c.execute(&owner(), SetReminderRules(neither)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("recalls"));
    let mut gone = rules;
    gone.recalls.last_mut().unwrap().segment = Some("已删除的分群".into());
    c.execute(&owner(), SetReminderRules(gone)).unwrap();
    assert!(list(&c, "2027-06-02")
        .contacts
        .iter()
        .all(|x| x.patient_id != member));
}

/// The owner's reminder-effect report counts a return within the days asked for.
#[test]
fn the_report_counts_a_return_within_the_days_asked_for() {
    use clinic_core::reports::{Cell, ReportFilter, ReportName, RunReport};
    let (_t, c) = setup();
    let a = patient(&c, "甲", true, "sms");
    let b = patient(&c, "乙乙", false, "sms");
    visit(&c, a, "2026-04-20", "洗牙", None);
    visit(&c, b, "2026-04-20", "洗牙", None);
    // Due 20 October, sent in that day's SMS batch; the patient books ten days later.
    // The other one is never contacted (no consent) and comes on 1 November, 12 days on.
    let dir = tempfile::tempdir().unwrap();
    c.execute(
        &owner(),
        ExportReminderBatch {
            out: dir.path().join("sms.csv"),
            date: None,
            now: morning("2026-10-20"),
        },
    )
    .unwrap();
    book(&c, a, "2026-11-07 10:00", "2026-10-30");
    visit(&c, b, "2026-11-01", "补牙", None);
    let recall = |within_days: Option<u32>| {
        let report = c.execute(
            &owner(),
            RunReport {
                name: ReportName::ReminderEffect,
                filter: ReportFilter {
                    from: d("2026-10-01"),
                    to: d("2026-10-31"),
                    within_days,
                    ..Default::default()
                },
                today: Some(d("2027-01-10")),
            },
        )?;
        let row = report.tables[0]
            .rows
            .iter()
            .find(|r| matches!(&r[0], Cell::Text(k) if k == "recall"))
            .cloned()
            .expect("a recall row");
        Ok::<_, clinic_core::ClinicError>((
            row[1..3].to_vec(),
            row[4..6].to_vec(),
            report.definition,
        ))
    };
    let count = |n| Cell::Count(n);
    let (contacted, not_contacted, definition) = recall(None).unwrap();
    assert_eq!(contacted, [count(1), count(1)]);
    assert_eq!(not_contacted, [count(1), count(1)]);
    assert!(definition.contains("within 30 days"), "{definition}");
    let (contacted, not_contacted, definition) = recall(Some(7)).unwrap();
    assert_eq!(contacted, [count(1), count(0)]);
    assert_eq!(not_contacted, [count(1), count(0)]);
    assert!(definition.contains("within 7 days"), "{definition}");
    // The last day of the window still counts: booked on the tenth, came on the twelfth.
    let (contacted, not_contacted, _) = recall(Some(10)).unwrap();
    assert_eq!(contacted, [count(1), count(1)]);
    assert_eq!(not_contacted, [count(1), count(0)]);
    let (_, not_contacted, _) = recall(Some(12)).unwrap();
    assert_eq!(not_contacted, [count(1), count(1)]);
    for bad in [0, 366] {
        let e = recall(Some(bad)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("withinDays"));
    }
}
