//! Staff accounts (a name, a role, an Argon2id password or PIN) and the roles the owner
//! makes from permissions. Signing in checks the password and backs off after wrong ones:
//! three are free, then each costs a wait that doubles (30 s, 1 min, 2 min … at most an
//! hour), kept in the file so that restarting the app does not reset it.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{audit, Action, Actor, Permission, Role};
use crate::clinic::Operation;
use crate::error::{ClinicError, ErrorCode, Result, ValidationRule};
use crate::patients::now_text;

/// Wrong passwords allowed before the first wait.
const FREE_ATTEMPTS: i64 = 3;
const FIRST_WAIT_SECONDS: i64 = 30;
const LONGEST_WAIT_SECONDS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    /// `owner`, `doctor`, `front-desk` or the name of a role the owner made.
    pub role: String,
    pub active: bool,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CustomRole {
    pub name: String,
    pub permissions: Vec<Permission>,
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ClinicError::new(ErrorCode::Storage, format!("password hashing: {e}")))
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A PIN is at least 4 digits; a password at least 8 characters.
fn check_password(password: &str) -> Result<()> {
    let pin = !password.is_empty() && password.chars().all(|c| c.is_ascii_digit());
    let long_enough = if pin {
        password.len() >= 4
    } else {
        password.chars().count() >= 8
    };
    if long_enough {
        Ok(())
    } else {
        Err(ClinicError::validation(
            "password",
            ValidationRule::TooShort,
            "a PIN of at least 4 digits or a password of at least 8 characters",
        ))
    }
}

/// The permissions of a role by its name (built in or made by the owner).
fn actor_for(tx: &Transaction<'_>, name: &str, role: &str) -> Result<Actor> {
    if let Some(r) = Role::built_in(role) {
        return Ok(Actor::with_role(name, r));
    }
    let permissions: Option<String> = tx
        .query_row(
            "SELECT permissions FROM staff_role WHERE name = ?1",
            [role],
            |r| r.get(0),
        )
        .optional()?;
    let permissions = permissions
        .ok_or_else(|| ClinicError::not_found("role", role))?
        .lines()
        .filter_map(Permission::parse)
        .collect();
    Ok(Actor::custom(name, role, permissions))
}

fn role_exists(tx: &Transaction<'_>, role: &str) -> Result<bool> {
    Ok(Role::built_in(role).is_some()
        || tx
            .query_row("SELECT 1 FROM staff_role WHERE name = ?1", [role], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
}

/// Adds a staff member. The first account must be the owner's.
pub struct AddStaff {
    pub name: String,
    pub role: String,
    pub password: String,
}

impl Operation for AddStaff {
    type Output = StaffMember;
    fn action(&self) -> Action {
        Action::StaffWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<StaffMember> {
        let name = self.name.trim().to_string();
        let role = self.role.trim().to_string();
        if name.is_empty() {
            return Err(ClinicError::validation(
                "name",
                ValidationRule::Required,
                "a name",
            ));
        }
        check_password(&self.password)?;
        if !role_exists(tx, &role)? {
            return Err(ClinicError::validation(
                "role",
                ValidationRule::UnknownValue,
                "owner, doctor, front-desk or a role made in Staff",
            ));
        }
        let none_yet: bool = tx.query_row("SELECT count(*) = 0 FROM staff", [], |r| r.get(0))?;
        if none_yet && role != Role::Owner.code() {
            return Err(ClinicError::validation(
                "role",
                ValidationRule::UnknownValue,
                "the first staff account is the owner's",
            ));
        }
        let taken: bool = tx.query_row(
            "SELECT count(*) > 0 FROM staff WHERE name = ?1",
            [&name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(ClinicError::new(
                ErrorCode::Duplicate,
                format!("there is already a staff member called {name}"),
            ));
        }
        let member = StaffMember {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            role,
            active: true,
            created_at: now_text(),
            last_sign_in_at: None,
        };
        tx.execute(
            "INSERT INTO staff (id, name, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                member.id,
                member.name,
                member.role,
                hash_password(&self.password)?,
                member.created_at
            ],
        )?;
        audit::append(
            tx,
            by,
            "staff-add",
            None,
            &serde_json::json!({"staff": member.name, "role": member.role}).to_string(),
        )?;
        Ok(member)
    }
}

/// Everyone, active first, by name.
pub struct ListStaff;

impl Operation for ListStaff {
    type Output = Vec<StaffMember>;
    fn action(&self) -> Action {
        Action::StaffRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<StaffMember>> {
        let mut stmt = tx.prepare(
            "SELECT id, name, role, disabled_at IS NULL, created_at, last_sign_in_at FROM staff
             ORDER BY disabled_at IS NOT NULL, name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StaffMember {
                id: r.get(0)?,
                name: r.get(1)?,
                role: r.get(2)?,
                active: r.get(3)?,
                created_at: r.get(4)?,
                last_sign_in_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Switches an account off (it can no longer sign in; its trail stays). The last active
/// owner cannot be switched off.
pub struct DisableStaff {
    pub name: String,
}

impl Operation for DisableStaff {
    type Output = ();
    fn action(&self) -> Action {
        Action::StaffWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<()> {
        let name = self.name.trim();
        let role: Option<String> = tx
            .query_row(
                "SELECT role FROM staff WHERE name = ?1 AND disabled_at IS NULL",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        let role = role.ok_or_else(|| ClinicError::not_found("staff member", name))?;
        if role == Role::Owner.code() && other_owners(tx, name)? == 0 {
            return Err(ClinicError::new(
                ErrorCode::InUse,
                "the last owner's account cannot be switched off: add another owner first",
            ));
        }
        tx.execute(
            "UPDATE staff SET disabled_at = ?2 WHERE name = ?1",
            params![name, now_text()],
        )?;
        audit::append(
            tx,
            by,
            "staff-disable",
            None,
            &serde_json::json!({"staff": name}).to_string(),
        )?;
        Ok(())
    }
}

/// The number of active owners other than `name`.
fn other_owners(tx: &Transaction<'_>, name: &str) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT count(*) FROM staff WHERE role = 'owner' AND disabled_at IS NULL AND name <> ?1",
        [name],
        |r| r.get(0),
    )?)
}

/// Gives a staff member another role (the last owner stays an owner).
pub struct SetStaffRole {
    pub name: String,
    pub role: String,
}

impl Operation for SetStaffRole {
    type Output = StaffMember;
    fn action(&self) -> Action {
        Action::StaffWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<StaffMember> {
        let name = self.name.trim();
        let role = self.role.trim();
        if !role_exists(tx, role)? {
            return Err(ClinicError::validation(
                "role",
                ValidationRule::UnknownValue,
                "owner, doctor, front-desk or a role made in Staff",
            ));
        }
        let was: String = tx
            .query_row("SELECT role FROM staff WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| ClinicError::not_found("staff member", name))?;
        if was == Role::Owner.code() && role != was && other_owners(tx, name)? == 0 {
            return Err(ClinicError::new(
                ErrorCode::InUse,
                "the last owner stays an owner: make someone else owner first",
            ));
        }
        tx.execute(
            "UPDATE staff SET role = ?2 WHERE name = ?1",
            params![name, role],
        )?;
        audit::append(
            tx,
            by,
            "staff-role",
            None,
            &serde_json::json!({"staff": name, "changes": {"role": [was, role]}}).to_string(),
        )?;
        ListStaff
            .run(tx, by)?
            .into_iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ClinicError::not_found("staff member", name))
    }
}

/// A new password or PIN for a staff member who forgot theirs (the wait after wrong
/// passwords is lifted too).
pub struct ResetStaffPassword {
    pub name: String,
    pub password: String,
}

impl Operation for ResetStaffPassword {
    type Output = ();
    fn action(&self) -> Action {
        Action::StaffWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<()> {
        let name = self.name.trim();
        check_password(&self.password)?;
        let n = tx.execute(
            "UPDATE staff SET password_hash = ?2, failed_logins = 0, locked_until_ms = 0
             WHERE name = ?1",
            params![name, hash_password(&self.password)?],
        )?;
        if n == 0 {
            return Err(ClinicError::not_found("staff member", name));
        }
        audit::append(
            tx,
            by,
            "staff-password",
            None,
            &serde_json::json!({"staff": name}).to_string(),
        )?;
        Ok(())
    }
}

/// A signed-in staff member changes their own password or PIN (the current one first).
pub struct ChangeOwnPassword {
    pub current: String,
    pub new: String,
}

impl Operation for ChangeOwnPassword {
    type Output = ();
    fn action(&self) -> Action {
        // Anyone signed in, for themselves only: the current password is the check.
        Action::SignIn
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<()> {
        let stored: Option<String> = tx
            .query_row(
                "SELECT password_hash FROM staff WHERE name = ?1 AND disabled_at IS NULL",
                [&by.name],
                |r| r.get(0),
            )
            .optional()?;
        if !stored.is_some_and(|h| password_matches(&self.current, &h)) {
            return Err(ClinicError::new(
                ErrorCode::SignInFailed,
                "the current password is not right",
            ));
        }
        check_password(&self.new)?;
        tx.execute(
            "UPDATE staff SET password_hash = ?2 WHERE name = ?1",
            params![by.name, hash_password(&self.new)?],
        )?;
        audit::append(tx, by, "staff-password", None, r#"{"own":true}"#)?;
        Ok(())
    }
}

/// Makes (or redefines) a role from permissions.
pub struct DefineRole {
    pub name: String,
    pub permissions: Vec<Permission>,
}

impl Operation for DefineRole {
    type Output = CustomRole;
    fn action(&self) -> Action {
        Action::StaffWrite
    }
    fn run(self, tx: &Transaction<'_>, by: &Actor) -> Result<CustomRole> {
        let name = self.name.trim().to_string();
        if name.is_empty() || Role::built_in(&name).is_some() || name == Role::Custom.code() {
            return Err(ClinicError::validation(
                "name",
                ValidationRule::UnknownValue,
                "a name of its own (not owner, doctor, front-desk or custom)",
            ));
        }
        let mut permissions = self.permissions;
        permissions.sort();
        permissions.dedup();
        let text: Vec<&str> = permissions.iter().map(|p| p.code()).collect();
        tx.execute(
            "INSERT INTO staff_role (name, permissions, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions",
            params![name, text.join("\n"), now_text()],
        )?;
        audit::append(
            tx,
            by,
            "role-define",
            None,
            &serde_json::json!({"role": name, "permissions": text}).to_string(),
        )?;
        Ok(CustomRole { name, permissions })
    }
}

/// The roles the owner made.
pub struct ListRoles;

impl Operation for ListRoles {
    type Output = Vec<CustomRole>;
    fn action(&self) -> Action {
        Action::StaffRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Vec<CustomRole>> {
        let mut stmt =
            tx.prepare("SELECT name, permissions FROM staff_role ORDER BY name COLLATE NOCASE")?;
        let rows = stmt.query_map([], |r| {
            let text: String = r.get(1)?;
            Ok(CustomRole {
                name: r.get(0)?,
                permissions: text.lines().filter_map(Permission::parse).collect(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Whether any staff account exists (none: the passphrase holder is the owner).
pub struct HasStaff;

impl Operation for HasStaff {
    type Output = bool;
    fn action(&self) -> Action {
        // A read anyone may make (asked before every command in the window).
        Action::SettingsRead
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<bool> {
        Ok(tx.query_row("SELECT count(*) > 0 FROM staff", [], |r| r.get(0))?)
    }
}

/// Checks a staff member's password. Its output is itself a result: a wrong password is
/// an answer whose bookkeeping (the count, the wait, the audit entry) must be committed,
/// not rolled back with an error. `Clinic::sign_in` unwraps it.
pub struct SignIn {
    pub name: String,
    pub password: String,
    /// The moment of the attempt (now when `None`): tests move the clock.
    pub now: Option<DateTime<Utc>>,
}

impl Operation for SignIn {
    type Output = Result<Actor>;
    fn action(&self) -> Action {
        Action::SignIn
    }
    fn run(self, tx: &Transaction<'_>, _: &Actor) -> Result<Result<Actor>> {
        let now = self.now.unwrap_or_else(Utc::now);
        let now_ms = now.timestamp_millis();
        let name = self.name.trim();
        let row: Option<(String, String, String, bool, i64, i64)> = tx
            .query_row(
                "SELECT name, role, password_hash, disabled_at IS NULL, failed_logins,
                        locked_until_ms
                 FROM staff WHERE name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let stranger = Actor::custom(name, "unknown", Vec::new());
        let failed = || {
            ClinicError::new(
                ErrorCode::SignInFailed,
                "no active staff account with this name and password",
            )
        };
        let Some((name, role, hash, active, failures, locked_until)) = row else {
            audit::append(tx, &stranger, "sign-in-failed", None, "{}")?;
            return Ok(Err(failed()));
        };
        let who = actor_for(tx, &name, &role).unwrap_or(stranger);
        if locked_until > now_ms {
            let wait = (locked_until - now_ms + 999) / 1000;
            return Ok(Err(ClinicError::new(
                ErrorCode::TooManyAttempts,
                format!("too many wrong passwords: try again in {wait} s"),
            )));
        }
        if !active || !password_matches(&self.password, &hash) {
            let failures = failures + 1;
            let locked_until = if failures > FREE_ATTEMPTS {
                let doublings = (failures - FREE_ATTEMPTS - 1).min(16) as u32;
                let wait = (FIRST_WAIT_SECONDS << doublings).min(LONGEST_WAIT_SECONDS);
                now_ms + wait * 1000
            } else {
                0
            };
            tx.execute(
                "UPDATE staff SET failed_logins = ?2, locked_until_ms = ?3 WHERE name = ?1",
                params![name, failures, locked_until],
            )?;
            audit::append(
                tx,
                &who,
                "sign-in-failed",
                None,
                &serde_json::json!({"failures": failures, "active": active}).to_string(),
            )?;
            return Ok(Err(failed()));
        }
        tx.execute(
            "UPDATE staff SET failed_logins = 0, locked_until_ms = 0, last_sign_in_at = ?2
             WHERE name = ?1",
            params![name, now.to_rfc3339()],
        )?;
        audit::append(tx, &who, "sign-in", None, "{}")?;
        Ok(Ok(who))
    }
}
