//! `clinic points …`: a patient's balance and history, redeeming a reward, settling a
//! voucher, staff adjustments and reversals, the expiry run; the reward catalogue and the
//! programme's rules (`clinic points rewards|reward-add|settings`).

use chrono::{Datelike, NaiveDate};
use clap::{Subcommand, ValueEnum};
use clinic_core::loyalty::{
    AdjustPoints, ExpirePoints, GetLoyaltySettings, GetMembership, GetPoints, Jurisdiction,
    ListRewards, LoyaltySettings, PointsStatement, PostBirthdayBonuses, PrintPointsStatement,
    RedeemReward, ReferralTree, Referrals, RequalifyTiers, ReverseEntry, RewardInput, RewardKind,
    SaveReward, SetLoyaltySettings, SettleVoucher, VoucherState,
};
use clinic_core::{Actor, Clinic, Result};

use crate::output::Output;

#[derive(Clone, Copy, ValueEnum)]
pub enum JurisdictionArg {
    MainlandChina,
    Taiwan,
    Other,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RewardKindArg {
    CheckUp,
    Discount,
    Gift,
}

#[derive(Subcommand)]
pub enum PointsCommand {
    /// A patient's balance, what may be spent today and what expires when
    Balance { patient: String },
    /// A patient's points history, newest first
    History { patient: String },
    /// Spend a patient's points on a reward; prints the voucher code
    Redeem { patient: String, reward: String },
    /// Mark a voucher used, or cancel it (its points come back)
    Voucher {
        code: String,
        #[arg(long, conflicts_with = "cancel", required_unless_present = "cancel")]
        used: bool,
        #[arg(long)]
        cancel: bool,
    },
    /// Add (or, negative, take away) points by hand, saying why
    Adjust {
        patient: String,
        #[arg(allow_hyphen_values = true)]
        points: i64,
        #[arg(long)]
        reason: String,
    },
    /// Undo one entry exactly, saying why
    Reverse {
        entry: i64,
        #[arg(long)]
        reason: String,
    },
    /// A patient's points statement as a PDF (their language unless --lang says otherwise)
    Statement {
        patient: String,
        /// zh-CN, zh-TW or en
        #[arg(long)]
        lang: Option<String>,
        /// a4 or a5
        #[arg(long, default_value = "a4")]
        paper: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Post the expiry of every patient's points whose day has come (today when left out)
    Expire {
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Post the birthday bonus to patients whose birthday fell in the week up to the date
    /// (today when left out; the app does it daily)
    Birthdays {
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Members per tier; with --requalify, requalify everyone from the last 12 months (the app
    /// does it at the start of each month)
    Tiers {
        #[arg(long)]
        requalify: bool,
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// A patient's tier, the facts it rests on and its history
    Tier { patient: String },
    /// New patients of a period by how they came, and the top referrers (this month when
    /// left out)
    Referrals {
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// The people a patient referred, and whom they referred in turn
    ReferralTree {
        patient: String,
        #[arg(long, default_value_t = 5)]
        depth: u32,
    },
    /// The reward catalogue
    Rewards {
        /// Include rewards no longer offered
        #[arg(long)]
        all: bool,
    },
    /// Add a reward to the catalogue; prints its id
    RewardAdd {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: RewardKindArg,
        #[arg(long)]
        cost: i64,
        /// How many there are (unlimited when left out)
        #[arg(long)]
        stock: Option<i64>,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        until: Option<NaiveDate>,
    },
    /// Show the programme's rules, or start from a jurisdiction's preset and switch it on/off
    Settings {
        /// Replace the rules with this jurisdiction's safe preset
        #[arg(long, value_enum)]
        jurisdiction: Option<JurisdictionArg>,
        #[arg(long, conflicts_with = "off")]
        on: bool,
        #[arg(long)]
        off: bool,
    },
}

fn today(clinic: &Clinic, actor: &Actor) -> Result<NaiveDate> {
    Ok(clinic
        .execute(actor, clinic_core::appointments::GetSchedule)?
        .today(chrono::Utc::now()))
}

pub fn run(cmd: PointsCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    let on = today(clinic, &actor)?;
    let statement = |patient: String| {
        clinic.execute(
            &actor,
            GetPoints {
                patient_id: patient,
                on,
            },
        )
    };
    match cmd {
        PointsCommand::Balance { patient } => {
            let s = statement(patient)?;
            if out.json {
                out.print_json(&serde_json::json!({
                    "patientId": s.patient_id, "on": s.on, "balance": s.balance,
                    "available": s.available, "expiring": s.expiring, "programmeOn": s.programme_on,
                }));
            } else {
                print_balance(&s);
            }
        }
        PointsCommand::History { patient } => {
            let s = statement(patient)?;
            if out.json {
                out.print_json(&s.entries);
            } else {
                print_balance(&s);
                for e in &s.entries {
                    println!(
                        "{:>6}  {}  {:<8} {:>+7}  {}{}",
                        e.id,
                        e.effective_on,
                        e.kind.code(),
                        e.points,
                        e.reason,
                        e.reversed_by
                            .map(|r| format!("  (reversed by {r})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        PointsCommand::Redeem { patient, reward } => {
            let v = clinic.execute(
                &actor,
                RedeemReward {
                    patient_id: patient,
                    reward_id: reward,
                    on,
                },
            )?;
            if out.json {
                out.print_json(&v);
            } else {
                println!("{}  {}  −{} points", v.code, v.reward_name, v.points);
            }
        }
        PointsCommand::Voucher { code, used, .. } => {
            let v = clinic.execute(
                &actor,
                SettleVoucher {
                    code,
                    state: if used {
                        VoucherState::Used
                    } else {
                        VoucherState::Cancelled
                    },
                    on,
                },
            )?;
            if out.json {
                out.print_json(&v);
            } else {
                println!("{}  {:?}", v.code, v.state);
            }
        }
        PointsCommand::Adjust {
            patient,
            points,
            reason,
        } => {
            let s = clinic.execute(
                &actor,
                AdjustPoints {
                    patient_id: patient,
                    points,
                    reason,
                    on,
                },
            )?;
            show(out, &s);
        }
        PointsCommand::Reverse { entry, reason } => {
            let s = clinic.execute(
                &actor,
                ReverseEntry {
                    entry_id: entry,
                    reason,
                    on,
                },
            )?;
            show(out, &s);
        }
        PointsCommand::Statement {
            patient,
            lang,
            paper,
            out: path,
        } => {
            let pdf = clinic.execute(
                &actor,
                PrintPointsStatement {
                    patient_id: patient,
                    on,
                    language: lang.as_deref().map(crate::parse_language).transpose()?,
                    paper: crate::parse_paper(&paper)?,
                },
            )?;
            clinic_core::export::save(&path, &pdf)?;
            out.exported(&path, pdf.len());
        }
        PointsCommand::Expire { date } => {
            let run = clinic.execute(
                &actor,
                ExpirePoints {
                    on: date.unwrap_or(on),
                },
            )?;
            if out.json {
                out.print_json(&run);
            } else {
                println!(
                    "{} points of {} patients expired (up to {})",
                    run.points, run.patients, run.on
                );
            }
        }
        PointsCommand::Birthdays { date } => {
            let run = clinic.execute(
                &actor,
                PostBirthdayBonuses {
                    on: date.unwrap_or(on),
                },
            )?;
            if out.json {
                out.print_json(&run);
            } else {
                println!(
                    "{} points to {} patients for their birthday",
                    run.points, run.patients
                );
            }
        }
        PointsCommand::Tiers { requalify, date } => {
            let run = clinic.execute(
                &actor,
                RequalifyTiers {
                    on: date.unwrap_or(on),
                    force: requalify,
                },
            )?;
            if out.json {
                out.print_json(&run);
            } else {
                if run.ran {
                    println!("{} patients changed tier ({})", run.changed, run.on);
                }
                for t in &run.members {
                    println!("{:<10} {}", t.tier, t.patients);
                }
            }
        }
        PointsCommand::Tier { patient } => {
            let m = clinic.execute(
                &actor,
                GetMembership {
                    patient_id: patient,
                },
            )?;
            if out.json {
                out.print_json(&m);
            } else {
                println!(
                    "{}{}  ({} visits, {} spent in the 12 months to {})",
                    m.tier,
                    m.since.map(|d| format!(" since {d}")).unwrap_or_default(),
                    m.visits,
                    rust_decimal::Decimal::new(m.spend_minor, 2),
                    m.qualified_on
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "—".into())
                );
                for c in &m.changes {
                    println!("  {}  {} → {}", c.on, c.from, c.to);
                }
            }
        }
        PointsCommand::Referrals { from, to, limit } => {
            let first_of_month = on.with_day(1).unwrap_or(on);
            let r = clinic.execute(
                &actor,
                Referrals {
                    from: from.unwrap_or(first_of_month),
                    to: to.unwrap_or(on),
                    limit,
                },
            )?;
            if out.json {
                out.print_json(&r);
            } else {
                println!(
                    "{} to {}: {} new patients, {} referred by a patient ({}%)",
                    r.from, r.to, r.new_patients, r.referred, r.referred_percent
                );
                for c in &r.channels {
                    println!("  {:<10} {}", c.channel, c.patients);
                }
                for t in &r.top_referrers {
                    println!(
                        "{}  {}  {} new ({} in all)",
                        t.patient_id, t.name, t.new_patients, t.all_time
                    );
                }
            }
        }
        PointsCommand::ReferralTree { patient, depth } => {
            let tree = clinic.execute(
                &actor,
                ReferralTree {
                    patient_id: patient,
                    depth,
                },
            )?;
            if out.json {
                out.print_json(&tree);
            } else {
                fn show(n: &clinic_core::loyalty::ReferralNode, indent: usize) {
                    println!(
                        "{}{} {}{}",
                        "  ".repeat(indent),
                        n.name,
                        n.patient_id,
                        if n.visited { "" } else { "  (no visit yet)" }
                    );
                    for c in &n.referred {
                        show(c, indent + 1);
                    }
                }
                show(&tree, 0);
            }
        }
        PointsCommand::Rewards { all } => {
            let list = clinic.execute(
                &actor,
                ListRewards {
                    include_retired: all,
                },
            )?;
            if out.json {
                out.print_json(&list);
            } else {
                for r in list {
                    println!(
                        "{}  {:>6} points  {:<9} {}{}{}",
                        r.id,
                        r.cost_points,
                        format!("{:?}", r.kind).to_lowercase(),
                        r.name,
                        r.stock.map(|s| format!("  ({s} left)")).unwrap_or_default(),
                        if r.retired { "  [retired]" } else { "" }
                    );
                }
            }
        }
        PointsCommand::RewardAdd {
            name,
            kind,
            cost,
            stock,
            from,
            until,
        } => {
            let r = clinic.execute(
                &actor,
                SaveReward(RewardInput {
                    id: None,
                    name,
                    kind: match kind {
                        RewardKindArg::CheckUp => RewardKind::CheckUp,
                        RewardKindArg::Discount => RewardKind::Discount,
                        RewardKindArg::Gift => RewardKind::Gift,
                    },
                    cost_points: cost,
                    stock,
                    active_from: from,
                    active_until: until,
                }),
            )?;
            if out.json {
                out.print_json(&r);
            } else {
                println!("{}", r.id);
            }
        }
        PointsCommand::Settings {
            jurisdiction,
            on: switch_on,
            off,
        } => {
            let mut s = match jurisdiction {
                Some(j) => LoyaltySettings::preset(match j {
                    JurisdictionArg::MainlandChina => Jurisdiction::MainlandChina,
                    JurisdictionArg::Taiwan => Jurisdiction::Taiwan,
                    JurisdictionArg::Other => Jurisdiction::Other,
                }),
                None => clinic.execute(&actor, GetLoyaltySettings)?,
            };
            if switch_on || off {
                s.enabled = switch_on;
            }
            let s = if jurisdiction.is_some() || switch_on || off {
                clinic.execute(&actor, SetLoyaltySettings(s))?
            } else {
                s
            };
            out.print_json(&s);
        }
    }
    Ok(())
}

fn print_balance(s: &PointsStatement) {
    println!(
        "balance {}  available {}  tier {}{}",
        s.balance,
        s.available,
        s.tier,
        if s.programme_on {
            ""
        } else {
            "  (points programme off)"
        }
    );
    for e in &s.expiring {
        println!("  {} expire on {}", e.points, e.on);
    }
}

fn show(out: &Output, s: &PointsStatement) {
    if out.json {
        out.print_json(s);
    } else {
        print_balance(s);
    }
}
