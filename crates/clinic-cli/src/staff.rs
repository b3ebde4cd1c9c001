//! `clinic staff …` and `clinic audit …`: staff accounts, the roles the owner makes, the
//! audit log and its check.

use chrono::NaiveDate;
use clap::Subcommand;
use clinic_core::access::audit::{ListAudit, VerifyAudit};
use clinic_core::access::staff::{
    AddStaff, DefineRole, DisableStaff, ListRoles, ListStaff, ResetStaffPassword, SetStaffRole,
};
use clinic_core::access::Permission;
use clinic_core::{Clinic, ClinicError, ErrorCode, Result, ValidationRule};

use crate::output::Output;

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Add a staff member; their password or PIN comes from CLINIC_NEW_STAFF_PASSWORD or
    /// stdin. The first account must be the owner's.
    Add {
        name: String,
        /// owner, doctor, front-desk, or a role made with `clinic staff role`
        #[arg(long)]
        role: String,
    },
    /// Everyone, active first
    List,
    /// Switch an account off (it can no longer sign in; its trail stays)
    Disable { name: String },
    /// Give a staff member another role (the last owner stays an owner)
    SetRole {
        name: String,
        #[arg(long)]
        role: String,
    },
    /// A new password or PIN (CLINIC_NEW_STAFF_PASSWORD or stdin); lifts the wait after
    /// wrong passwords
    ResetPassword { name: String },
    /// Make or change a role from permissions (comma-separated: view-clinical,
    /// edit-patients, archive-merge, adjust-points, export, backup-restore, manage-staff,
    /// manage-settings, view-reports, view-audit, erase)
    Role {
        name: String,
        #[arg(long, value_delimiter = ',')]
        permissions: Vec<String>,
    },
    /// The roles made so far
    Roles,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The log, newest first
    List {
        #[arg(long)]
        patient: Option<String>,
        #[arg(long)]
        staff: Option<String>,
        /// e.g. patient-write, sign-in, denied
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Check the chain of hashes; exit code 20 when it is broken
    Verify,
}

fn new_password() -> Result<String> {
    if let Ok(p) = std::env::var("CLINIC_NEW_STAFF_PASSWORD") {
        return Ok(p);
    }
    crate::read_line("New staff password or PIN: ").ok_or_else(|| {
        ClinicError::validation(
            "password",
            ValidationRule::Required,
            "set CLINIC_NEW_STAFF_PASSWORD or pipe it on stdin",
        )
    })
}

pub fn run(cmd: StaffCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        StaffCommand::Add { name, role } => {
            let m = clinic.execute(
                &actor,
                AddStaff {
                    name,
                    role,
                    password: new_password()?,
                },
            )?;
            if out.json {
                out.print_json(&m);
            } else {
                println!("Added {} ({})", m.name, m.role);
            }
        }
        StaffCommand::List => {
            let all = clinic.execute(&actor, ListStaff)?;
            if out.json {
                out.print_json(&all);
            } else {
                for m in all {
                    println!(
                        "{}\t{}\t{}\tlast signed in {}",
                        m.name,
                        m.role,
                        if m.active { "active" } else { "switched off" },
                        m.last_sign_in_at.as_deref().unwrap_or("never")
                    );
                }
            }
        }
        StaffCommand::Disable { name } => {
            clinic.execute(&actor, DisableStaff { name: name.clone() })?;
            if out.json {
                out.print_json(&serde_json::json!({ "disabled": name }));
            } else {
                println!("{name} can no longer sign in");
            }
        }
        StaffCommand::SetRole { name, role } => {
            let m = clinic.execute(&actor, SetStaffRole { name, role })?;
            if out.json {
                out.print_json(&m);
            } else {
                println!("{} is now {}", m.name, m.role);
            }
        }
        StaffCommand::ResetPassword { name } => {
            clinic.execute(
                &actor,
                ResetStaffPassword {
                    name: name.clone(),
                    password: new_password()?,
                },
            )?;
            if out.json {
                out.print_json(&serde_json::json!({ "reset": name }));
            } else {
                println!("{name} signs in with the new password");
            }
        }
        StaffCommand::Role { name, permissions } => {
            let permissions = permissions
                .iter()
                .map(|p| {
                    Permission::parse(p).ok_or_else(|| {
                        ClinicError::validation(
                            "permissions",
                            ValidationRule::UnknownValue,
                            format!("no permission called {p}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let r = clinic.execute(&actor, DefineRole { name, permissions })?;
            if out.json {
                out.print_json(&r);
            } else {
                let codes: Vec<&str> = r.permissions.iter().map(|p| p.code()).collect();
                println!("{}: {}", r.name, codes.join(", "));
            }
        }
        StaffCommand::Roles => {
            let roles = clinic.execute(&actor, ListRoles)?;
            if out.json {
                out.print_json(&roles);
            } else {
                for r in roles {
                    let codes: Vec<&str> = r.permissions.iter().map(|p| p.code()).collect();
                    println!("{}\t{}", r.name, codes.join(", "));
                }
            }
        }
    }
    Ok(())
}

pub fn run_audit(cmd: AuditCommand, clinic: &Clinic, out: &Output) -> Result<()> {
    let actor = crate::actor();
    match cmd {
        AuditCommand::List {
            patient,
            staff,
            action,
            from,
            to,
            limit,
        } => {
            let entries = clinic.execute(
                &actor,
                ListAudit {
                    patient_id: patient,
                    staff,
                    action,
                    from,
                    to,
                    limit,
                },
            )?;
            if out.json {
                out.print_json(&entries);
            } else {
                for e in entries {
                    println!(
                        "{}\t{}\t{} ({})\t{}\t{}\t{}",
                        e.seq,
                        e.at,
                        e.staff,
                        e.role,
                        e.action,
                        e.patient_id.as_deref().unwrap_or("-"),
                        e.detail
                    );
                }
            }
        }
        AuditCommand::Verify => {
            let v = clinic.execute(&actor, VerifyAudit)?;
            if out.json {
                out.print_json(&v);
            } else if v.intact {
                println!("The audit log is intact: {} entries", v.entries);
            }
            if !v.intact {
                return Err(ClinicError::new(
                    ErrorCode::AuditBroken,
                    format!(
                        "the audit log is broken at entry {}: {}",
                        v.first_broken.unwrap_or(0),
                        v.problem.unwrap_or_default()
                    ),
                ));
            }
        }
    }
    Ok(())
}
