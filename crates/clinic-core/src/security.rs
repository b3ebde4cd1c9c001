//! The owner's key tasks: changing the passphrase (the database key stays), a recovery code
//! with its printed kit, and rotating the database key. The key file's format is in `key`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::access::{authorize, Action, Actor};
use crate::backup::BackupCounts;
use crate::clinic::{Clinic, DB_FILE, KEY_FILE};
use crate::error::{ClinicError, ErrorCode, Result};
use crate::handouts::pdf::{self, PageFrame, Paper};
use crate::handouts::template::{Block, Template};
use crate::key::{DbKey, KeyFile, RecoveryCode};
use crate::patients::Language;

/// The code, shown once on screen, and where the kit's PDF was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RecoveryKitSaved {
    pub code: String,
    pub path: String,
}

/// Whether the clinic has a recovery code (Settings shows "none yet: make one").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeyStatus {
    pub has_recovery_code: bool,
    /// True once the database key has been rotated away from the original one.
    pub rotated: bool,
}

impl Clinic {
    pub fn key_status(&self, actor: &Actor) -> Result<KeyStatus> {
        authorize(actor, Action::SettingsRead)?;
        let file = KeyFile::read(&self.dir().join(KEY_FILE))?;
        Ok(KeyStatus {
            has_recovery_code: file.has_recovery_code(),
            rotated: file.has_data_key(),
        })
    }

    /// Re-wraps the key under `new_passphrase`. `secret` is the current passphrase or the
    /// recovery code. The database is not touched; the keychain's cached key stays valid.
    pub fn change_passphrase(
        &self,
        actor: &Actor,
        secret: &str,
        new_passphrase: &str,
    ) -> Result<()> {
        authorize(actor, Action::KeyManagement)?;
        let _exclusive = crate::clinic::lock(&self.maintenance);
        reset_passphrase(self.dir(), secret, new_passphrase).map(drop)
    }

    /// Makes a new recovery code (an earlier one stops working) and its one-page kit. The
    /// kit is handed to `save` first; only once it is saved does the key file change, so a
    /// kit that could not be written never leaves a code nobody has.
    pub fn new_recovery_kit(
        &self,
        actor: &Actor,
        secret: &str,
        language: Language,
        paper: Paper,
        save: impl FnOnce(&[u8]) -> Result<()>,
    ) -> Result<RecoveryCode> {
        authorize(actor, Action::KeyManagement)?;
        let _exclusive = crate::clinic::lock(&self.maintenance);
        let path = self.dir().join(KEY_FILE);
        let (file, code) = KeyFile::read(&path)?.with_new_recovery_code(secret)?;
        let clinic_name = self.execute(actor, crate::settings::GetClinicProfile)?.name;
        let today = chrono::Local::now().date_naive();
        save(&recovery_kit_pdf(
            &clinic_name,
            self.clinic_id(),
            &code,
            today,
            language,
            paper,
        ))?;
        file.write(&path)?;
        Ok(code)
    }
}

/// Sets a new passphrase from the old one or the recovery code, without unlocking first —
/// the "forgot the passphrase" path of the unlock screen. Answers the database key.
pub fn reset_passphrase(dir: &Path, secret: &str, new_passphrase: &str) -> Result<DbKey> {
    let path = dir.join(KEY_FILE);
    let file = KeyFile::read(&path)?;
    let updated = file.with_passphrase(secret, new_passphrase)?;
    updated.write(&path)?;
    updated.unwrap_key(new_passphrase)
}

struct KitText {
    title: &'static str,
    made: &'static str,
    keep: &'static str,
    code: &'static str,
    typing: &'static str,
    when: &'static str,
    steps: [&'static str; 3],
    replaced: &'static str,
    clinic_id: &'static str,
}

fn kit_text(language: Language) -> KitText {
    match language {
        Language::ZhCn => KitText {
            title: "恢复工具包",
            made: "制作日期",
            keep: "这张纸可以打开本诊所全部的病人资料。请把它放在偷走电脑的人找不到的地方：家中上锁的抽屉、保险箱，或交给诊所的律师或会计保管。不要拍照，也不要存在电脑里。",
            code: "恢复码",
            typing: "输入时不分大小写；字母 O 可以输入为数字 0，字母 I 或 L 可以输入为数字 1；横线可以省略。",
            when: "什么时候用到它",
            steps: [
                "忘记了密码：在解锁画面选择“忘记密码？”，输入恢复码，然后设置新密码。",
                "电脑坏了或被偷：在新电脑上安装诊所客户管理，选择“从备份恢复”，选择最新的备份文件（例如 U 盘上的），在要求输入密码的地方输入恢复码。",
                "用命令行：clinic backup restore 备份文件，在要求输入密码时输入恢复码。",
            ],
            replaced: "在“设置 → 安全”中制作新的恢复码后，这一张就失效了：请把它销毁。",
            clinic_id: "诊所编号",
        },
        Language::ZhTw => KitText {
            title: "復原工具包",
            made: "製作日期",
            keep: "這張紙可以打開本診所全部的病人資料。請把它放在偷走電腦的人找不到的地方：家中上鎖的抽屜、保險箱，或交給診所的律師或會計保管。不要拍照，也不要存在電腦裡。",
            code: "復原碼",
            typing: "輸入時不分大小寫；字母 O 可以輸入為數字 0，字母 I 或 L 可以輸入為數字 1；橫線可以省略。",
            when: "什麼時候用到它",
            steps: [
                "忘記了密碼：在解鎖畫面選擇「忘記密碼？」，輸入復原碼，然後設定新密碼。",
                "電腦壞了或被偷：在新電腦上安裝診所客戶管理，選擇「從備份還原」，選擇最新的備份檔（例如隨身碟上的），在要求輸入密碼的地方輸入復原碼。",
                "用命令列：clinic backup restore 備份檔，在要求輸入密碼時輸入復原碼。",
            ],
            replaced: "在「設定 → 安全」中製作新的復原碼後，這一張就失效了：請把它銷毀。",
            clinic_id: "診所編號",
        },
        Language::En => KitText {
            title: "Recovery kit",
            made: "Made on",
            keep: "This page opens all of the clinic's patient records. Keep it where someone who steals the computer cannot find it: a locked drawer at home, a safe, or with the clinic's lawyer or accountant. Do not photograph it or keep it on the computer.",
            code: "Recovery code",
            typing: "Capitals do not matter; the letter O may be typed as the digit 0, and I or L as 1; the dashes may be left out.",
            when: "When you need it",
            steps: [
                "You forgot the passphrase: on the unlock screen choose \"Forgot the passphrase?\", type this code, then choose a new passphrase.",
                "The computer broke or was stolen: install Clinic CRM on a new computer, choose \"Restore from a backup\", pick the latest backup file (for example on the USB disk) and type this code where the passphrase is asked for.",
                "From a script: clinic backup restore FILE accepts this code where it asks for the passphrase.",
            ],
            replaced: "Making a new recovery code in Settings → Security makes this one stop working: then destroy this page.",
            clinic_id: "Clinic ID",
        },
    }
}

/// The one-page recovery kit: clinic, date, the code, and what to do with it.
pub fn recovery_kit_pdf(
    clinic_name: &str,
    clinic_id: &str,
    code: &RecoveryCode,
    made_on: chrono::NaiveDate,
    language: Language,
    paper: Paper,
) -> Vec<u8> {
    let t = kit_text(language);
    let template = Template {
        title: if clinic_name.is_empty() {
            t.title.to_string()
        } else {
            format!("{} · {clinic_name}", t.title)
        },
        blocks: vec![
            Block::Paragraph(format!("{} {made_on}", t.made)),
            Block::Note(t.keep.to_string()),
            Block::Heading(t.code.to_string()),
            Block::Heading(code.display()),
            Block::Paragraph(t.typing.to_string()),
            Block::Heading(t.when.to_string()),
            Block::List {
                ordered: true,
                items: t.steps.iter().map(|s| s.to_string()).collect(),
            },
            Block::Paragraph(t.replaced.to_string()),
            Block::Paragraph(format!("{}: {clinic_id}", t.clinic_id)),
        ],
    };
    let frame = PageFrame {
        clinic_name: clinic_name.to_string(),
        clinic_contact: String::new(),
        patient_line: made_on.to_string(),
        logo: None,
        title: template.title.clone(),
    };
    pdf::render(&template, language, false, paper, &frame)
}

/// How far a key rotation has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationProgress {
    pub stage: RotationStage,
    /// Bytes written under the new key so far, of about `total`.
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum RotationStage {
    /// Copying every page into a new file under the new key.
    Copying,
    /// Reading the new file back: both integrity checks and the row counts.
    Checking,
    /// Putting the new file and key in place.
    Switching,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RotationReport {
    pub counts: BackupCounts,
    #[ts(type = "number")]
    pub millis: u64,
}

const ROTATING_DB: &str = "clinic.db.rotating";
const ROTATING_KEY: &str = "clinic.key.rotating";
const OLD_DB: &str = "clinic.db.old";

fn remove_db_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Clinic {
    /// Re-encrypts the whole database under a new random key (`sqlcipher_export` into a new
    /// file), checks the new file, then switches to it and records the new key in the key
    /// file, wrapped by the same master key: the passphrase and recovery code keep working.
    /// Writes wait while it runs. Returns the new key, for the keychain.
    ///
    /// Crash safety: the new key file is written (as `clinic.key.rotating`) only after the
    /// new database checked out; the switch is three renames, and `folder_state` finishes or
    /// undoes one cut short (see `finish_interrupted_rotation`).
    pub fn rotate_key(
        &self,
        actor: &Actor,
        secret: &str,
        progress: &(dyn Fn(RotationProgress) + Sync),
    ) -> Result<(RotationReport, DbKey)> {
        authorize(actor, Action::KeyManagement)?;
        let started = Instant::now();
        let _exclusive = crate::clinic::lock(&self.maintenance);
        let dir = self.dir().to_path_buf();
        let key_path = dir.join(KEY_FILE);
        let new_key = DbKey::generate();
        // The secret is checked before any work: a typo costs half a second, not a copy.
        let new_file = KeyFile::read(&key_path)?.with_data_key(secret, &new_key)?;

        let mut conn = self.connection();
        let rotating = dir.join(ROTATING_DB);
        remove_db_files(&rotating);
        let copied = export_under(&conn, &rotating, &new_key, progress);
        let checked = copied.and_then(|source_counts| {
            progress(RotationProgress {
                stage: RotationStage::Checking,
                done: 0,
                total: 0,
            });
            let (_, counts) = crate::backup::check_database(&rotating, &new_key, &rotating)?;
            if counts != source_counts {
                return Err(ClinicError::new(
                    ErrorCode::Storage,
                    format!(
                        "the re-encrypted copy holds {counts:?} but the clinic holds {source_counts:?}; nothing was changed"
                    ),
                ));
            }
            Ok(counts)
        });
        let counts = match checked {
            Ok(c) => c,
            Err(e) => {
                remove_db_files(&rotating);
                return Err(e);
            }
        };
        progress(RotationProgress {
            stage: RotationStage::Switching,
            done: 0,
            total: 0,
        });
        if let Err(e) = new_file.write(&dir.join(ROTATING_KEY)) {
            remove_db_files(&rotating);
            return Err(e);
        }
        // Everything in the WAL goes into the main file, then the connection closes, so the
        // old file stands alone when it is moved aside.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let closed = std::mem::replace(&mut *conn, Connection::open_in_memory()?);
        if let Err((old, e)) = closed.close() {
            *conn = old;
            remove_db_files(&rotating);
            let _ = std::fs::remove_file(dir.join(ROTATING_KEY));
            return Err(e.into());
        }
        let switched = switch_files(&dir);
        if switched.is_err() {
            finish_interrupted_rotation(&dir);
        }
        // Reopen whichever file is live now, under whichever key opens it: the clinic must
        // not be left without a connection.
        let live = dir.join(DB_FILE);
        let old_key = self.key();
        let (reopened, key) = match crate::db::open(&live, &new_key, false) {
            Ok(c) => (c, new_key),
            Err(_) => (crate::db::open(&live, &old_key, false)?, old_key),
        };
        self.replace_connection(&mut conn, reopened, &key);
        switched?;
        Ok((
            RotationReport {
                counts,
                millis: started.elapsed().as_millis() as u64,
            },
            key,
        ))
    }
}

/// Copies the live database into `to` under `key`; answers the source's counts. A thread
/// watches the new file grow for the progress bar (the export itself is one SQL call).
fn export_under(
    conn: &Connection,
    to: &Path,
    key: &DbKey,
    progress: &(dyn Fn(RotationProgress) + Sync),
) -> Result<BackupCounts> {
    // About what the new file will weigh (SQLCipher answers `PRAGMA page_size` as text).
    let total = conn
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());
    let source_counts = crate::backup::counts(conn)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let done = std::sync::atomic::AtomicBool::new(false);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let written = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
                progress(RotationProgress {
                    stage: RotationStage::Copying,
                    done: written.min(total),
                    total,
                });
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let result = (|| -> Result<()> {
            // An empty file is an empty database; ATTACH may not create one, because the
            // clinic's connection was opened without the create flag.
            std::fs::File::create(to)?;
            let turn = crate::db::keying_turn();
            conn.execute(
                &format!(
                    "ATTACH DATABASE ?1 AS rotated KEY {}",
                    key.pragma_literal().as_str()
                ),
                [to.display().to_string()],
            )?;
            drop(turn);
            let exported = (|| -> rusqlite::Result<()> {
                conn.query_row("SELECT sqlcipher_export('rotated')", [], |_| Ok(()))?;
                conn.execute_batch(&format!(
                    "PRAGMA rotated.user_version = {version}; PRAGMA rotated.application_id = {app_id};"
                ))
            })();
            let detached = conn.execute_batch("DETACH DATABASE rotated");
            exported?;
            detached?;
            Ok(())
        })();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    });
    result?;
    progress(RotationProgress {
        stage: RotationStage::Copying,
        done: total,
        total,
    });
    Ok(source_counts)
}

/// The switch: old database aside, new database and key file in, old database deleted.
/// On a failure before the new database is in place, everything is put back.
fn switch_files(dir: &Path) -> Result<()> {
    let live = dir.join(DB_FILE);
    let old = dir.join(OLD_DB);
    remove_db_files(&old);
    std::fs::rename(&live, &old)?;
    if let Err(e) = std::fs::rename(dir.join(ROTATING_DB), &live) {
        let _ = std::fs::rename(&old, &live);
        remove_db_files(&dir.join(ROTATING_DB));
        let _ = std::fs::remove_file(dir.join(ROTATING_KEY));
        return Err(e.into());
    }
    sync_dir(dir);
    // From here on the new database is live: the folder repair finishes the rest if this
    // process dies.
    std::fs::rename(dir.join(ROTATING_KEY), dir.join(KEY_FILE))?;
    sync_dir(dir);
    remove_db_files(&old);
    Ok(())
}

/// Finishes or undoes a key rotation that a crash or power cut interrupted. Called before
/// the folder is looked at. The new key file is only written once the new database has
/// been checked, so its presence decides: with it, the new database wins; without it, the
/// half-made copy is thrown away.
pub fn finish_interrupted_rotation(dir: &Path) {
    let p = |name: &str| -> PathBuf { dir.join(name) };
    let (live, rotating_db, rotating_key, old) =
        (p(DB_FILE), p(ROTATING_DB), p(ROTATING_KEY), p(OLD_DB));
    if !rotating_key.exists() {
        if rotating_db.exists() {
            remove_db_files(&rotating_db);
        }
        if old.exists() && live.exists() {
            remove_db_files(&old);
        }
        return;
    }
    if rotating_db.exists() {
        if live.exists() {
            // Cut off before the switch began: the live database is the old one, untouched.
            remove_db_files(&rotating_db);
            let _ = std::fs::remove_file(&rotating_key);
            return;
        }
        // Cut off between moving the old database aside and moving the new one in.
        if std::fs::rename(&rotating_db, &live).is_err() {
            return;
        }
    }
    if std::fs::rename(&rotating_key, p(KEY_FILE)).is_ok() {
        sync_dir(dir);
        remove_db_files(&old);
    }
}
