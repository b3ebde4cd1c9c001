//! Loyalty on real encrypted files: points earned by visits and referrals under each
//! jurisdiction's rules, rewards redeemed into vouchers, expiry, an append-only ledger, two
//! redemptions racing for the last points — and property tests of the ledger's arithmetic
//! against an independent model that tracks every single point.

mod common;

use chrono::NaiveDate;
use clinic_core::loyalty::*;
use clinic_core::patients::{CreatePatient, PatientInput, PaymentType};
use clinic_core::segments::{CountSegments, Dimension, EvaluateRule, ExplainPatient, Rule};
use clinic_core::visits::{AddVisit, VisitInput};
use clinic_core::{Actor, Clinic, ErrorCode};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn patient(
    c: &Clinic,
    name: &str,
    phone: &str,
    pay: Option<PaymentType>,
    referred_by: Option<String>,
) -> String {
    c.execute(
        &Actor::owner(),
        CreatePatient::new(PatientInput {
            name: name.into(),
            phone: Some(phone.into()),
            payment_type: pay.map(|p| p.code().to_string()),
            referral_channel: referred_by.as_ref().map(|_| "patient".into()),
            referred_by,
            ..Default::default()
        }),
    )
    .unwrap()
    .id
    .to_string()
}

fn visit(c: &Clinic, patient: &str, at: &str, department: &str, amount: Option<&str>) {
    c.execute(
        &Actor::owner(),
        AddVisit(VisitInput {
            patient_id: patient.into(),
            at: at.into(),
            department: department.into(),
            visit_type: "return".into(),
            amount: amount.map(str::to_string),
            ..Default::default()
        }),
    )
    .unwrap();
}

fn points(c: &Clinic, patient: &str, on: &str) -> PointsStatement {
    c.execute(
        &Actor::owner(),
        GetPoints {
            patient_id: patient.into(),
            on: d(on),
        },
    )
    .unwrap()
}

fn mainland(c: &Clinic) {
    c.execute(
        &Actor::owner(),
        SetLoyaltySettings(LoyaltySettings::preset(Jurisdiction::MainlandChina)),
    )
    .unwrap();
}

fn reward(c: &Clinic, name: &str, cost: i64, stock: Option<i64>) -> Reward {
    c.execute(
        &Actor::owner(),
        SaveReward(RewardInput {
            id: None,
            name: name.into(),
            kind: RewardKind::CheckUp,
            cost_points: cost,
            stock,
            active_from: None,
            active_until: None,
        }),
    )
    .unwrap()
}

#[test]
fn off_until_a_jurisdiction_is_chosen_and_taiwan_starts_off() {
    let (_t, c) = common::clinic();
    let s = c.execute(&Actor::owner(), GetLoyaltySettings).unwrap();
    assert!(!s.enabled && s.jurisdiction.is_none());
    let p = patient(&c, "张伟明", "13812345678", None, None);
    visit(
        &c,
        &p,
        "2026-11-02T10:00:00+08:00",
        "dental",
        Some("300.00"),
    );
    visit(
        &c,
        &p,
        "2026-11-20T10:00:00+08:00",
        "dental",
        Some("300.00"),
    );
    assert_eq!(points(&c, &p, "2026-11-23").balance, 0);
    let r = reward(&c, "洗牙一次", 10, None);
    let e = c
        .execute(
            &Actor::owner(),
            RedeemReward {
                patient_id: p.clone(),
                reward_id: r.id,
                on: d("2026-11-23"),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::PointsOff);
    // Switching on without saying where is refused; Taiwan's preset stays off.
    let e = c
        .execute(
            &Actor::owner(),
            SetLoyaltySettings(LoyaltySettings {
                enabled: true,
                ..Default::default()
            }),
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("jurisdiction"));
    let tw = c
        .execute(
            &Actor::owner(),
            SetLoyaltySettings(LoyaltySettings::preset(Jurisdiction::Taiwan)),
        )
        .unwrap();
    assert!(!tw.enabled);
}

#[test]
fn visits_earn_by_the_rules_and_a_referral_brings_its_bonus_once() {
    let (_t, c) = common::clinic();
    mainland(&c);
    let a = patient(
        &c,
        "张伟明",
        "13812345678",
        Some(PaymentType::SelfPay),
        None,
    );
    // First visit: money only (¥125.00 at 1 point per ¥10, rounded down) — no return bonus.
    visit(
        &c,
        &a,
        "2026-01-10T10:00:00+08:00",
        "dental",
        Some("125.00"),
    );
    assert_eq!(points(&c, &a, "2026-01-10").balance, 12);
    // A return visit: 10 + 9 (¥99.99).
    visit(&c, &a, "2026-02-10T10:00:00+08:00", "dental", Some("99.99"));
    let s = points(&c, &a, "2026-02-10");
    assert_eq!(s.balance, 31);
    assert_eq!(s.entries[0].reason, "return visit 10 + 99.99 spent, 9");
    assert_eq!(s.entries[0].expires_on, Some(d("2028-02-10")));
    // 医保 pays: the visit earns its return bonus but nothing for the money.
    let b = patient(
        &c,
        "李娜",
        "13912345678",
        Some(PaymentType::PublicInsurance),
        Some(a.clone()),
    );
    visit(
        &c,
        &b,
        "2026-03-01T09:00:00+08:00",
        "dental",
        Some("500.00"),
    );
    assert_eq!(points(&c, &b, "2026-03-01").balance, 0);
    // …and B's first visit brought A the referral bonus, once.
    assert_eq!(points(&c, &a, "2026-03-01").balance, 81);
    visit(
        &c,
        &b,
        "2026-03-08T09:00:00+08:00",
        "dental",
        Some("500.00"),
    );
    assert_eq!(points(&c, &b, "2026-03-08").balance, 10);
    assert_eq!(points(&c, &a, "2026-03-08").balance, 81);
    // An excluded department earns nothing.
    let mut s = c.execute(&Actor::owner(), GetLoyaltySettings).unwrap();
    s.excluded_departments = vec!["cosmetic".into()];
    c.execute(&Actor::owner(), SetLoyaltySettings(s)).unwrap();
    visit(
        &c,
        &a,
        "2026-03-09T10:00:00+08:00",
        "cosmetic",
        Some("900.00"),
    );
    assert_eq!(points(&c, &a, "2026-03-09").balance, 81);
    // Return points follow the desk's visit type: a specialist visit earns only its money;
    // two visits typed in the same minute still make the second a return.
    let typed = |at: &str, visit_type: &str| {
        c.execute(
            &Actor::owner(),
            AddVisit(VisitInput {
                patient_id: a.clone(),
                at: at.into(),
                department: "dental".into(),
                visit_type: visit_type.into(),
                amount: Some("50.00".into()),
                ..Default::default()
            }),
        )
        .unwrap();
    };
    typed("2026-04-01T10:00:00+08:00", "specialist");
    assert_eq!(points(&c, &a, "2026-04-01").balance, 86);
    let c2 = patient(&c, "孙丽", "13500001111", Some(PaymentType::SelfPay), None);
    visit(&c, &c2, "2026-04-02T10:00:00+08:00", "dental", None);
    visit(&c, &c2, "2026-04-02T10:00:00+08:00", "dental", None);
    assert_eq!(points(&c, &c2, "2026-04-02").balance, 10);
}

#[test]
fn tiers_requalify_monthly_from_the_last_twelve_months_and_every_change_is_logged() {
    let (_t, c) = common::clinic();
    mainland(&c);
    let owner = Actor::owner();
    let p = patient(&c, "钱多", "13800003333", Some(PaymentType::SelfPay), None);
    let q = patient(
        &c,
        "李娜",
        "13900003333",
        Some(PaymentType::PublicInsurance),
        None,
    );
    visit(
        &c,
        &p,
        "2026-01-15T10:00:00+08:00",
        "dental",
        Some("1500.00"),
    );
    visit(
        &c,
        &p,
        "2026-02-15T10:00:00+08:00",
        "dental",
        Some("600.00"),
    );
    // 医保 pays for her: her ¥3,000 does not count towards a tier; visits still do.
    visit(
        &c,
        &q,
        "2026-02-01T10:00:00+08:00",
        "dental",
        Some("3000.00"),
    );
    let run = c
        .execute(
            &owner,
            RequalifyTiers {
                on: d("2026-03-01"),
                force: false,
            },
        )
        .unwrap();
    assert!(run.ran);
    assert_eq!(run.changed, 1);
    let m = c
        .execute(
            &owner,
            GetMembership {
                patient_id: p.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        (m.tier.as_str(), m.spend_minor, m.visits),
        ("silver", 210_000, 2)
    );
    assert_eq!(m.changes[0].from, "regular");
    assert_eq!(points(&c, &p, "2026-03-01").tier, "silver");
    assert_eq!(
        c.execute(
            &owner,
            GetMembership {
                patient_id: q.clone()
            }
        )
        .unwrap()
        .tier,
        "regular"
    );
    // Once a month: a second run in March changes nothing.
    let again = c
        .execute(
            &owner,
            RequalifyTiers {
                on: d("2026-03-20"),
                force: false,
            },
        )
        .unwrap();
    assert!(!again.ran);
    // A year on, the visits have left the window: back to the base tier, logged.
    let later = c
        .execute(
            &owner,
            RequalifyTiers {
                on: d("2027-02-16"),
                force: false,
            },
        )
        .unwrap();
    assert_eq!(later.changed, 1);
    let m = c.execute(&owner, GetMembership { patient_id: p }).unwrap();
    assert_eq!(m.tier, "regular");
    assert_eq!(m.changes.len(), 2);
    assert_eq!(
        (m.changes[0].from.as_str(), m.changes[0].to.as_str()),
        ("silver", "regular")
    );
    assert_eq!(later.members.iter().map(|t| t.patients).sum::<u64>(), 2);
}

#[test]
fn a_redemption_is_a_voucher_and_cancelling_it_gives_everything_back() {
    let (t, c, key) = common::clinic_and_key();
    mainland(&c);
    let p = patient(
        &c,
        "陳美玲",
        "13812345678",
        Some(PaymentType::SelfPay),
        None,
    );
    visit(
        &c,
        &p,
        "2026-11-02T10:00:00+08:00",
        "dental",
        Some("300.00"),
    );
    assert_eq!(points(&c, &p, "2026-11-02").balance, 30);
    let check_up = reward(&c, "免费口腔检查", 25, Some(1));
    let owner = Actor::owner();
    let redeem = |reward: &str| {
        c.execute(
            &owner,
            RedeemReward {
                patient_id: p.clone(),
                reward_id: reward.into(),
                on: d("2026-11-23"),
            },
        )
    };
    let v = redeem(&check_up.id).unwrap();
    assert_eq!(v.code.len(), 9);
    assert_eq!((v.points, v.state), (25, VoucherState::Issued));
    let s = points(&c, &p, "2026-11-23");
    assert_eq!((s.balance, s.available), (5, 5));
    assert_eq!(s.entries[0].voucher_code.as_deref(), Some(v.code.as_str()));
    // Out of stock, then not enough points for another reward.
    let e = redeem(&check_up.id).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rewardId"));
    let gift = reward(&c, "牙刷", 6, None);
    assert_eq!(
        redeem(&gift.id).unwrap_err().code,
        ErrorCode::InsufficientPoints
    );
    // A redemption is undone by cancelling its voucher, not by a bare reversal.
    let redeem_entry = s.entries[0].id;
    let e = c
        .execute(
            &owner,
            ReverseEntry {
                entry_id: redeem_entry,
                reason: "mistake".into(),
                on: d("2026-11-23"),
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("entryId"));
    let cancelled = c
        .execute(
            &owner,
            SettleVoucher {
                code: v.code.to_lowercase(),
                state: VoucherState::Cancelled,
                on: d("2026-11-23"),
            },
        )
        .unwrap();
    assert_eq!(cancelled.state, VoucherState::Cancelled);
    let s = points(&c, &p, "2026-11-23");
    assert_eq!(s.balance, 30);
    assert_eq!(s.entries[0].reverses, Some(redeem_entry));
    assert_eq!(s.entries[1].reversed_by, Some(s.entries[0].id));
    let listed = c
        .execute(
            &owner,
            ListRewards {
                include_retired: false,
            },
        )
        .unwrap();
    assert_eq!(
        listed.iter().find(|r| r.id == check_up.id).unwrap().stock,
        Some(1)
    );
    // Used once, a voucher cannot be used or cancelled again.
    let v = redeem(&check_up.id).unwrap();
    let settle = |state| {
        c.execute(
            &owner,
            SettleVoucher {
                code: v.code.clone(),
                state,
                on: d("2026-11-24"),
            },
        )
    };
    settle(VoucherState::Used).unwrap();
    assert!(settle(VoucherState::Cancelled).is_err());
    // The ledger is append-only in the file itself.
    let raw = common::raw(t.path(), &key);
    let update = raw.execute("UPDATE points_entry SET points = 999", []);
    assert!(update.unwrap_err().to_string().contains("never changed"));
    let delete = raw.execute("DELETE FROM points_entry", []);
    assert!(delete.unwrap_err().to_string().contains("never deleted"));
    // Front desk redeems but does not adjust; a doctor neither adjusts.
    for role in [clinic_core::Role::FrontDesk, clinic_core::Role::Doctor] {
        let staff = Actor::with_role("staff", role);
        let e = c
            .execute(
                &staff,
                AdjustPoints {
                    patient_id: p.clone(),
                    points: 100,
                    reason: "goodwill".into(),
                    on: d("2026-11-24"),
                },
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::PermissionDenied);
    }
}

#[test]
fn points_expire_first_in_first_out_once() {
    let (_t, c) = common::clinic();
    mainland(&c);
    let p = patient(&c, "王芳", "13600002222", Some(PaymentType::SelfPay), None);
    visit(
        &c,
        &p,
        "2024-01-10T10:00:00+08:00",
        "dental",
        Some("200.00"),
    ); // 20, till 2026-01-10
    visit(
        &c,
        &p,
        "2025-06-01T10:00:00+08:00",
        "dental",
        Some("100.00"),
    ); // 10 + 10, till 2027-06-01
    let owner = Actor::owner();
    c.execute(
        &owner,
        AdjustPoints {
            patient_id: p.clone(),
            points: -15,
            reason: "duplicate visit entered".into(),
            on: d("2025-07-01"),
        },
    )
    .unwrap();
    // The oldest 15 were taken: 5 of the first lot are left to expire.
    let s = points(&c, &p, "2025-12-01");
    assert_eq!(s.balance, 25);
    assert_eq!(
        s.expiring,
        vec![
            ExpiringPoints {
                on: d("2026-01-10"),
                points: 5
            },
            ExpiringPoints {
                on: d("2027-06-01"),
                points: 20
            }
        ]
    );
    // Past its day but not yet posted: not available.
    assert_eq!(points(&c, &p, "2026-01-10").available, 20);
    let run = c
        .execute(
            &owner,
            ExpirePoints {
                on: d("2026-01-10"),
            },
        )
        .unwrap();
    assert_eq!((run.patients, run.points), (1, 5));
    let again = c
        .execute(
            &owner,
            ExpirePoints {
                on: d("2026-01-11"),
            },
        )
        .unwrap();
    assert_eq!((again.patients, again.points), (0, 0));
    let s = points(&c, &p, "2026-01-11");
    assert_eq!((s.balance, s.available), (20, 20));
    assert_eq!(s.entries[0].kind, EntryKind::Expire);
}

#[test]
fn two_desks_redeeming_the_last_points_at_once_only_one_succeeds() {
    let (t, c, key) = common::clinic_and_key();
    mainland(&c);
    let p = patient(&c, "赵磊", "13700001111", Some(PaymentType::SelfPay), None);
    visit(
        &c,
        &p,
        "2026-11-02T10:00:00+08:00",
        "dental",
        Some("200.00"),
    );
    let r = reward(&c, "洗牙", 20, None);
    // Two connections to the file, as two windows or the app and the CLI would be.
    let other = Clinic::open_with_key(t.path(), &key).unwrap();
    for _ in 0..3 {
        let go = std::sync::Barrier::new(2);
        let results: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = [&c, &other]
                .into_iter()
                .map(|clinic| {
                    let (go, p, r) = (&go, p.clone(), r.id.clone());
                    s.spawn(move || {
                        go.wait();
                        clinic.execute(
                            &Actor::owner(),
                            RedeemReward {
                                patient_id: p,
                                reward_id: r,
                                on: d("2026-11-23"),
                            },
                        )
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(ok.len(), 1, "{results:?}");
        let err = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert_eq!(err.code, ErrorCode::InsufficientPoints);
        assert_eq!(points(&c, &p, "2026-11-23").balance, 0);
        // Give them back for the next round.
        c.execute(
            &Actor::owner(),
            SettleVoucher {
                code: ok[0].code.clone(),
                state: VoucherState::Cancelled,
                on: d("2026-11-23"),
            },
        )
        .unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// Property tests: the ledger against a model that tracks every point on its own.

#[derive(Debug, Clone)]
enum Op {
    Earn(i64, u32),
    Spend(i64),
    Expire,
    ReverseRandom(usize),
    Adjust(i64),
    Wait(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..60, 1u32..18).prop_map(|(p, m)| Op::Earn(p, m)),
        (1i64..80).prop_map(Op::Spend),
        Just(Op::Expire),
        any::<usize>().prop_map(Op::ReverseRandom),
        (-40i64..40)
            .prop_filter("not zero", |p| *p != 0)
            .prop_map(Op::Adjust),
        (1u32..120).prop_map(Op::Wait),
    ]
}

/// Every point on its own: (lot order, expires on). Spending takes the oldest unexpired.
#[derive(Default, Clone)]
struct Model {
    tokens: Vec<(i64, Option<NaiveDate>)>,
    taken: std::collections::HashMap<i64, Vec<(i64, Option<NaiveDate>)>>,
    added: std::collections::HashMap<i64, i64>,
}

impl Model {
    fn available(&self, on: NaiveDate) -> i64 {
        self.tokens
            .iter()
            .filter(|(_, e)| e.is_none_or(|e| e > on))
            .count() as i64
    }
    fn take(&mut self, id: i64, n: i64, on: NaiveDate) {
        self.tokens.sort_by_key(|t| t.0);
        let mut out = Vec::new();
        let mut keep = Vec::new();
        for t in self.tokens.drain(..) {
            if (out.len() as i64) < n && t.1.is_none_or(|e| e > on) {
                out.push(t);
            } else {
                keep.push(t);
            }
        }
        self.tokens = keep;
        self.taken.insert(id, out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Pure arithmetic: balance is the sum, never negative, FIFO and expiry agree with the
    /// per-point model, a reversal restores exactly.
    #[test]
    fn the_ledger_agrees_with_a_point_by_point_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut ledger = Ledger::default();
        let mut model = Model::default();
        let mut on = d("2026-01-01");
        let mut sum = 0i64;
        let mut next = 1i64;
        let mut ids: Vec<i64> = Vec::new();
        for o in ops {
            let id = next;
            let m = match o {
                Op::Wait(days) => { on += chrono::TimeDelta::days(i64::from(days)); continue; }
                Op::Earn(p, months) => Move { id, kind: EntryKind::Earn, points: p, effective_on: on,
                    expires_on: on.checked_add_months(chrono::Months::new(months)), reverses: None },
                Op::Spend(p) => Move { id, kind: EntryKind::Redeem, points: -p, effective_on: on, expires_on: None, reverses: None },
                Op::Adjust(p) => Move { id, kind: EntryKind::Adjust, points: p, effective_on: on,
                    expires_on: (p > 0).then(|| on.checked_add_months(chrono::Months::new(12))).flatten(), reverses: None },
                Op::Expire => {
                    let due = ledger.expired_by(on);
                    if due == 0 { continue; }
                    Move { id, kind: EntryKind::Expire, points: -due, effective_on: on, expires_on: Some(on), reverses: None }
                }
                Op::ReverseRandom(i) => {
                    if ids.is_empty() { continue; }
                    let target = ids[i % ids.len()];
                    match ledger.reversal_of(target, on) {
                        Ok(p) => Move { id, kind: EntryKind::Reverse, points: p, effective_on: on, expires_on: None, reverses: Some(target) },
                        Err(_) => continue,
                    }
                }
            };
            let before = ledger.balance();
            match ledger.apply(&m) {
                Err(Refusal::NotEnough { available, wanted }) => {
                    prop_assert!(wanted > available);
                    prop_assert_eq!(available, model.available(on));
                    prop_assert_eq!(ledger.balance(), before);
                    continue;
                }
                Err(other) => prop_assert!(false, "{:?}", other),
                Ok(()) => {}
            }
            // The model does the same.
            match m.kind {
                EntryKind::Earn | EntryKind::Adjust if m.points > 0 => {
                    model.tokens.extend((0..m.points).map(|_| (id, m.expires_on)));
                    model.added.insert(id, m.points);
                }
                EntryKind::Expire => {
                    let cutoff = m.expires_on.unwrap();
                    let (gone, keep): (Vec<_>, Vec<_>) = model.tokens.drain(..).partition(|t| t.1.is_some_and(|e| e <= cutoff));
                    prop_assert_eq!(gone.len() as i64, -m.points);
                    model.tokens = keep;
                    model.taken.insert(id, gone);
                }
                EntryKind::Reverse if m.points > 0 => {
                    let back = model.taken.remove(&m.reverses.unwrap()).unwrap_or_default();
                    prop_assert_eq!(back.len() as i64, m.points, "a reversal gives back exactly what was taken");
                    model.tokens.extend(back);
                }
                EntryKind::Reverse => {
                    let target = m.reverses.unwrap();
                    let n = model.tokens.iter().filter(|t| t.0 == target).count() as i64;
                    prop_assert_eq!(n, model.added[&target], "an added lot is reversed only whole and unspent");
                    model.tokens.retain(|t| t.0 != target);
                }
                _ => model.take(id, -m.points, on),
            }
            sum += m.points;
            ids.push(id);
            next += 1;
            prop_assert_eq!(ledger.balance(), sum);
            prop_assert!(ledger.balance() >= 0);
            prop_assert_eq!(ledger.balance(), model.tokens.len() as i64);
            prop_assert_eq!(ledger.available(on), model.available(on));
            // FIFO: the lots' remainders are the model's tokens per lot.
            for lot in ledger.lots() {
                let n = model.tokens.iter().filter(|t| t.0 == lot.entry).count() as i64;
                prop_assert_eq!(lot.left, n, "lot {}", lot.entry);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The same through the real file: whatever staff do, the stored entries sum to the
    /// statement's balance, which is never negative, and refusals change nothing.
    #[test]
    fn the_stored_ledger_always_sums_to_the_balance(ops in prop::collection::vec(op(), 1..25)) {
        let (_t, c) = common::clinic();
        mainland(&c);
        let p = patient(&c, "测试", "13800000000", Some(PaymentType::SelfPay), None);
        let r = reward(&c, "礼品", 15, None);
        let owner = Actor::owner();
        let mut on = d("2026-01-01");
        for o in ops {
            let before = points(&c, &p, &on.to_string());
            let result = match o {
                Op::Wait(days) => { on += chrono::TimeDelta::days(i64::from(days)); Ok(()) }
                Op::Earn(p_, _) => c.execute(&owner, AdjustPoints { patient_id: p.clone(), points: p_, reason: "earned".into(), on }).map(|_| ()),
                Op::Adjust(n) => c.execute(&owner, AdjustPoints { patient_id: p.clone(), points: n, reason: "fix".into(), on }).map(|_| ()),
                Op::Spend(_) => c.execute(&owner, RedeemReward { patient_id: p.clone(), reward_id: r.id.clone(), on }).map(|_| ()),
                Op::Expire => c.execute(&owner, ExpirePoints { on }).map(|_| ()),
                Op::ReverseRandom(i) => match before.entries.iter().filter(|e| e.voucher_code.is_none()).nth(i % before.entries.len().max(1)) {
                    Some(e) => c.execute(&owner, ReverseEntry { entry_id: e.id, reason: "undo".into(), on }).map(|_| ()),
                    None => Ok(()),
                },
            };
            let after = points(&c, &p, &on.to_string());
            let sum: i64 = after.entries.iter().map(|e| e.points).sum();
            prop_assert_eq!(after.balance, sum);
            prop_assert!(after.balance >= 0);
            if result.is_err() {
                prop_assert_eq!(after.entries.len(), before.entries.len());
            }
        }
    }
}

#[test]
fn referral_share_top_referrers_and_the_tree_of_a_patient() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    let a = patient(&c, "安娜", "13800004444", None, None);
    let b = patient(&c, "白杨", "13800005555", None, Some(a.clone()));
    let cc = patient(&c, "陈晨", "13800006666", None, Some(a.clone()));
    let dd = patient(&c, "邓丹", "13800007777", None, Some(b.clone()));
    let walk_in = c
        .execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: "方芳".into(),
                phone: Some("13800008888".into()),
                referral_channel: Some("walk-in".into()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
        .to_string();
    let unknown = patient(&c, "高歌", "13800009999", None, None);
    visit(&c, &a, "2026-01-01T10:00:00+08:00", "dental", None);
    visit(&c, &b, "2026-03-05T10:00:00+08:00", "dental", None);
    visit(&c, &cc, "2026-03-10T10:00:00+08:00", "dental", None);
    visit(&c, &walk_in, "2026-03-12T10:00:00+08:00", "dental", None);
    visit(&c, &unknown, "2026-02-20T10:00:00+08:00", "dental", None);
    // A second visit in March is not a new patient.
    visit(&c, &unknown, "2026-03-20T10:00:00+08:00", "dental", None);
    let r = c
        .execute(
            &owner,
            Referrals {
                from: d("2026-03-01"),
                to: d("2026-03-31"),
                limit: 10,
            },
        )
        .unwrap();
    assert_eq!((r.new_patients, r.referred), (3, 2));
    assert_eq!(r.referred_percent, 66.7);
    let channels: Vec<(&str, u64)> = r
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.patients))
        .collect();
    assert_eq!(channels, [("patient", 2), ("walk-in", 1)]);
    assert_eq!(r.top_referrers.len(), 1);
    assert_eq!(
        (
            r.top_referrers[0].name.as_str(),
            r.top_referrers[0].new_patients,
            r.top_referrers[0].all_time
        ),
        ("安娜", 2, 2)
    );
    let tree = c
        .execute(
            &owner,
            ReferralTree {
                patient_id: a.clone(),
                depth: 5,
            },
        )
        .unwrap();
    assert_eq!(tree.tree_size, 3);
    let names: Vec<&str> = tree.referred.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 2);
    let bai = tree.referred.iter().find(|n| n.name == "白杨").unwrap();
    assert_eq!(bai.referred[0].patient_id, dd);
    assert!(!bai.referred[0].visited);
    // One level only: B's referral is left out.
    let shallow = c
        .execute(
            &owner,
            ReferralTree {
                patient_id: a,
                depth: 1,
            },
        )
        .unwrap();
    assert_eq!(shallow.tree_size, 2);
}

#[test]
fn with_family_pooling_a_redemption_draws_on_linked_relatives_after_the_patient() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    let mut s = LoyaltySettings::preset(Jurisdiction::MainlandChina);
    c.execute(&owner, SetLoyaltySettings(s.clone())).unwrap();
    let mum = patient(
        &c,
        "林妈妈",
        "13800001212",
        Some(PaymentType::SelfPay),
        None,
    );
    let kid = patient(
        &c,
        "林小宝",
        "13800001313",
        Some(PaymentType::SelfPay),
        None,
    );
    c.execute(
        &owner,
        clinic_core::patients::LinkFamily {
            patient_id: mum.parse().unwrap(),
            relative_id: kid.clone(),
            relation: "child".into(),
        },
    )
    .unwrap();
    let adjust = |p: &str, n: i64| {
        c.execute(
            &owner,
            AdjustPoints {
                patient_id: p.into(),
                points: n,
                reason: "opening balance".into(),
                on: d("2026-11-01"),
            },
        )
        .unwrap();
    };
    adjust(&mum, 30);
    adjust(&kid, 20);
    let r = reward(&c, "家庭洁牙", 45, None);
    let redeem = || {
        c.execute(
            &owner,
            RedeemReward {
                patient_id: mum.clone(),
                reward_id: r.id.clone(),
                on: d("2026-11-23"),
            },
        )
    };
    // Without pooling, 30 is not enough.
    assert_eq!(redeem().unwrap_err().code, ErrorCode::InsufficientPoints);
    assert_eq!(points(&c, &mum, "2026-11-23").family_available, None);
    s.family_pooling = true;
    c.execute(&owner, SetLoyaltySettings(s)).unwrap();
    assert_eq!(points(&c, &mum, "2026-11-23").family_available, Some(50));
    let v = redeem().unwrap();
    // Her own 30 first, then 15 of her child's.
    assert_eq!(points(&c, &mum, "2026-11-23").balance, 0);
    assert_eq!(points(&c, &kid, "2026-11-23").balance, 5);
    c.execute(
        &owner,
        SettleVoucher {
            code: v.code,
            state: VoucherState::Cancelled,
            on: d("2026-11-23"),
        },
    )
    .unwrap();
    assert_eq!(points(&c, &mum, "2026-11-23").balance, 30);
    assert_eq!(points(&c, &kid, "2026-11-23").balance, 20);
}

#[test]
fn a_birthday_bonus_once_a_year_caught_up_within_a_week() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    let mut s = LoyaltySettings::preset(Jurisdiction::MainlandChina);
    s.birthday_bonus = 20;
    c.execute(&owner, SetLoyaltySettings(s)).unwrap();
    let born = |name: &str, phone: &str, birth: &str| {
        c.execute(
            &owner,
            CreatePatient::new(PatientInput {
                name: name.into(),
                phone: Some(phone.into()),
                birth_date: Some(birth.into()),
                ..Default::default()
            }),
        )
        .unwrap()
        .id
        .to_string()
    };
    let week_ago = born("周一", "13800002001", "1990-11-20");
    let too_early = born("周二", "13800002002", "1990-11-10");
    let leap = born("闰闰", "13800002003", "2000-02-29");
    let run = c
        .execute(
            &owner,
            PostBirthdayBonuses {
                on: d("2026-11-23"),
            },
        )
        .unwrap();
    assert_eq!((run.patients, run.points), (1, 20));
    assert_eq!(
        points(&c, &week_ago, "2026-11-23").entries[0].effective_on,
        d("2026-11-20")
    );
    assert_eq!(points(&c, &too_early, "2026-11-23").balance, 0);
    // Once a year.
    let again = c
        .execute(
            &owner,
            PostBirthdayBonuses {
                on: d("2026-11-24"),
            },
        )
        .unwrap();
    assert_eq!(again.patients, 0);
    // 29 February, in a year without one: 1 March.
    let leap_run = c
        .execute(
            &owner,
            PostBirthdayBonuses {
                on: d("2027-03-01"),
            },
        )
        .unwrap();
    assert_eq!(leap_run.patients, 1);
    assert_eq!(
        points(&c, &leap, "2027-03-01").entries[0].effective_on,
        d("2027-03-01")
    );
}

#[test]
fn merging_two_records_moves_the_unspent_points_lot_by_lot() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    mainland(&c);
    let keep = patient(&c, "郑强", "13800001414", Some(PaymentType::SelfPay), None);
    let dup = patient(&c, "郑强", "13900001414", Some(PaymentType::SelfPay), None);
    for (p, n, on) in [(&keep, 30, "2026-10-01"), (&dup, 12, "2026-06-01")] {
        c.execute(
            &owner,
            AdjustPoints {
                patient_id: p.clone(),
                points: n,
                reason: "opening balance".into(),
                on: d(on),
            },
        )
        .unwrap();
    }
    c.execute(
        &owner,
        clinic_core::patients::MergePatients {
            survivor: keep.parse().unwrap(),
            merged: dup.parse().unwrap(),
        },
    )
    .unwrap();
    let s = points(&c, &keep, "2026-11-24");
    assert_eq!(s.balance, 42);
    // The moved points keep their own expiry day.
    assert_eq!(
        s.expiring,
        vec![
            ExpiringPoints {
                on: d("2028-06-01"),
                points: 12
            },
            ExpiringPoints {
                on: d("2028-10-01"),
                points: 30
            }
        ]
    );
    assert_eq!(points(&c, &dup, "2026-11-24").balance, 0);
}

#[test]
fn bad_input_is_refused_with_its_field_and_nothing_is_written() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    mainland(&c);
    let p = patient(&c, "冯军", "13800001515", Some(PaymentType::SelfPay), None);
    let field = |e: clinic_core::ClinicError| e.field.unwrap_or_default();
    let bad_reward = |name: &str, cost: i64, stock: Option<i64>| {
        c.execute(
            &owner,
            SaveReward(RewardInput {
                id: None,
                name: name.into(),
                kind: RewardKind::Gift,
                cost_points: cost,
                stock,
                active_from: Some(d("2026-12-31")),
                active_until: Some(d("2026-12-01")),
            }),
        )
        .unwrap_err()
    };
    assert_eq!(field(bad_reward(" ", 10, None)), "name");
    assert_eq!(field(bad_reward("牙刷", 0, None)), "costPoints");
    assert_eq!(field(bad_reward("牙刷", 10, Some(-1))), "stock");
    assert_eq!(field(bad_reward("牙刷", 10, None)), "activeUntil");
    assert!(c
        .execute(
            &owner,
            ListRewards {
                include_retired: true
            }
        )
        .unwrap()
        .is_empty());
    let mut s = LoyaltySettings::preset(Jurisdiction::MainlandChina);
    s.expiry_months = Some(0);
    assert_eq!(
        field(
            c.execute(&owner, SetLoyaltySettings(s.clone()))
                .unwrap_err()
        ),
        "expiryMonths"
    );
    s.expiry_months = Some(24);
    s.spend.as_mut().unwrap().per = "0.001".parse().unwrap();
    assert_eq!(
        field(
            c.execute(&owner, SetLoyaltySettings(s.clone()))
                .unwrap_err()
        ),
        "spend.per"
    );
    s.spend = None;
    s.tiers[2].min_spend = "10".parse().unwrap(); // gold asking less than silver
    assert_eq!(
        field(c.execute(&owner, SetLoyaltySettings(s)).unwrap_err()),
        "tiers"
    );
    // The saved rules are untouched.
    assert_eq!(
        c.execute(&owner, GetLoyaltySettings).unwrap(),
        LoyaltySettings::preset(Jurisdiction::MainlandChina)
    );
    let on = d("2026-11-23");
    let e = c
        .execute(
            &owner,
            AdjustPoints {
                patient_id: p.clone(),
                points: 5,
                reason: "  ".into(),
                on,
            },
        )
        .unwrap_err();
    assert_eq!(field(e), "reason");
    let e = c
        .execute(
            &owner,
            AdjustPoints {
                patient_id: p.clone(),
                points: 0,
                reason: "x".into(),
                on,
            },
        )
        .unwrap_err();
    assert_eq!(field(e), "points");
    let e = c
        .execute(
            &owner,
            SettleVoucher {
                code: "NOPE-NOPE".into(),
                state: VoucherState::Used,
                on,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = c
        .execute(
            &owner,
            ReverseEntry {
                entry_id: 999,
                reason: "x".into(),
                on,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(points(&c, &p, "2026-11-23").entries.is_empty());
}

#[test]
fn membership_tiers_and_points_balances_classify_patients_and_say_why() {
    let (_t, c) = common::clinic();
    let owner = Actor::owner();
    let p = patient(&c, "钱多", "13800003333", Some(PaymentType::SelfPay), None);
    let q = patient(&c, "李娜", "13900003333", Some(PaymentType::SelfPay), None);
    let tier_of = |id: &str| {
        c.execute(
            &owner,
            ExplainPatient {
                patient_id: id.parse().unwrap(),
                today: Some(d("2026-03-02")),
            },
        )
        .unwrap()
        .into_iter()
        .find(|l| l.dimension == Dimension::MembershipTier)
    };
    // No programme, no tier.
    assert!(tier_of(&p).is_none());
    mainland(&c);
    visit(
        &c,
        &p,
        "2026-01-15T10:00:00+08:00",
        "dental",
        Some("1500.00"),
    );
    visit(
        &c,
        &p,
        "2026-02-15T10:00:00+08:00",
        "dental",
        Some("600.00"),
    );
    visit(&c, &q, "2026-02-01T10:00:00+08:00", "dental", Some("30.00"));
    let base = tier_of(&q).unwrap();
    assert_eq!((&*base.label, &*base.rule), ("regular", "tierBase"));
    c.execute(
        &owner,
        RequalifyTiers {
            on: d("2026-03-01"),
            force: false,
        },
    )
    .unwrap();
    let silver = tier_of(&p).unwrap();
    assert_eq!((&*silver.label, &*silver.rule), ("silver", "tierQualified"));
    assert_eq!(silver.facts["spend"], "2100.00");
    assert_eq!(silver.facts["visits"], "2");
    assert_eq!(silver.facts["qualifiedOn"], "2026-03-01");
    assert!(silver.text.contains("2100.00"), "{}", silver.text);

    let counts = c
        .execute(
            &owner,
            CountSegments {
                today: Some(d("2026-03-02")),
            },
        )
        .unwrap();
    let tiers = counts
        .iter()
        .find(|d| d.dimension == Dimension::MembershipTier)
        .unwrap();
    let got: Vec<(&str, u64)> = tiers.counts.iter().map(|l| (&*l.label, l.count)).collect();
    assert_eq!(got, [("regular", 1), ("silver", 1)]);

    let members = |rule: Rule| -> Vec<String> {
        c.execute(
            &owner,
            EvaluateRule {
                rule,
                today: Some(d("2026-03-02")),
                limit: None,
            },
        )
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.id.to_string())
        .collect()
    };
    assert_eq!(
        members(Rule::Label {
            dimension: Dimension::MembershipTier,
            label: "silver".into(),
        }),
        [p.as_str()]
    );
    let (bp, bq) = (
        points(&c, &p, "2026-03-02").balance,
        points(&c, &q, "2026-03-02").balance,
    );
    assert!(bp > 100 && bq < 100, "{bp} {bq}");
    let rich = c
        .execute(
            &owner,
            EvaluateRule {
                rule: Rule::Points {
                    min: Some(100),
                    max: None,
                },
                today: Some(d("2026-03-02")),
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(rich.count, 1);
    assert_eq!(rich.members[0].id.to_string(), p);
    assert_eq!(rich.members[0].why[0].facts["balance"], bp.to_string());
    assert_eq!(
        members(Rule::Points {
            min: None,
            max: Some(99),
        }),
        [q.as_str()]
    );
    // A tier with no name is no condition.
    let e = c
        .execute(
            &owner,
            EvaluateRule {
                rule: Rule::Label {
                    dimension: Dimension::MembershipTier,
                    label: " ".into(),
                },
                today: None,
                limit: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
}
