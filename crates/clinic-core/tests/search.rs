//! Patient search on a real encrypted file: pinyin, initials, Traditional characters, phone
//! fragments, ranking, archive, edits, and keys built for files made before search keys.

use clinic_core::patients::{
    ArchivePatient, CreatePatient, PatientInput, SearchPatients, UpdatePatient,
};
mod common;

use clinic_core::{Actor, Clinic};
use common::{clinic_and_key as clinic, first_release_file, raw};

fn add(c: &Clinic, name: &str, phone: Option<&str>) -> uuid::Uuid {
    let input = PatientInput {
        name: name.into(),
        phone: phone.map(Into::into),
        ..Default::default()
    };
    c.execute(&Actor::owner(), CreatePatient::new(input))
        .unwrap()
        .id
}

fn search(c: &Clinic, q: &str) -> Vec<String> {
    c.execute(
        &Actor::owner(),
        SearchPatients {
            query: q.into(),
            limit: 50,
        },
    )
    .unwrap()
    .into_iter()
    .map(|p| p.name)
    .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn sample(c: &Clinic) {
    add(c, "张伟明", Some("13812345678"));
    add(c, "張偉明", Some("+886 912-345-678"));
    add(c, "章薇", Some("13900005678"));
    add(c, "王芳", Some("021-6543 2100"));
    add(c, "单田芳", None);
    add(c, "Li Wei", Some("+44 7700 900123"));
    add(c, "魏明", None);
}

#[test]
fn pinyin_initials_and_traditional_characters() {
    let (_t, c, _k) = clinic();
    sample(&c);
    assert_eq!(sorted(search(&c, "zwm")), vec!["张伟明", "張偉明"]);
    assert_eq!(sorted(search(&c, "zhangweiming")), vec!["张伟明", "張偉明"]);
    assert_eq!(sorted(search(&c, "ZhangWeiMing")), vec!["张伟明", "張偉明"]);
    assert_eq!(sorted(search(&c, "zhangwm")), vec!["张伟明", "張偉明"]);
    assert_eq!(
        search(&c, "shantianfang"),
        vec!["单田芳"],
        "surname reading of 单"
    );
    assert_eq!(search(&c, "stf"), vec!["单田芳"]);
    // A fragment of the pinyin from a syllable boundary, and of the characters.
    assert_eq!(
        sorted(search(&c, "weiming")),
        vec!["张伟明", "張偉明", "魏明"]
    );
    assert_eq!(search(&c, "偉"), vec!["張偉明"]);
    assert_eq!(search(&c, "田芳"), vec!["单田芳"]);
    assert_eq!(search(&c, "lw"), vec!["Li Wei"]);
    assert_eq!(search(&c, "li wei"), vec!["Li Wei"]);
    assert!(search(&c, "xyzzy").is_empty());
}

#[test]
fn exact_then_prefix_then_inside() {
    let (_t, c, _k) = clinic();
    sample(&c);
    // "wei": 魏明 starts with it (prefix); 张伟明/張偉明/Li Wei/章薇 have it inside.
    let found = search(&c, "wei");
    assert_eq!(found[0], "魏明", "{found:?}");
    assert_eq!(found.len(), 5, "{found:?}");
    // An exact initials match leads over longer keys that merely start with it.
    add(&c, "周文", None); // zw
                           // 章薇 is "zw" too: both exact matches come first, in order of registration.
    let found = search(&c, "zw");
    assert_eq!(found[..2], ["章薇", "周文"], "{found:?}");
    assert!(found[2..].contains(&"张伟明".to_string()), "{found:?}");
}

#[test]
fn phone_fragments_of_four_digits_or_more() {
    let (_t, c, _k) = clinic();
    sample(&c);
    assert_eq!(sorted(search(&c, "5678")), vec!["张伟明", "張偉明", "章薇"]);
    assert_eq!(search(&c, "138 1234"), vec!["张伟明"]);
    assert_eq!(
        search(&c, "0912345678"),
        vec!["張偉明"],
        "+886 stored, dialled as 09…"
    );
    assert_eq!(search(&c, "６５４３"), vec!["王芳"], "full-width digits");
    assert!(
        search(&c, "678").is_empty(),
        "three digits are too few to mean a phone"
    );
}

#[test]
fn edits_and_archive_keep_the_keys_true() {
    let (_t, c, _k) = clinic();
    let id = add(&c, "张伟明", Some("13812345678"));
    let renamed = PatientInput {
        name: "李娜".into(),
        phone: Some("13600001111".into()),
        ..Default::default()
    };
    c.execute(
        &Actor::owner(),
        UpdatePatient {
            id,
            input: renamed,
            reason: None,
        },
    )
    .unwrap();
    assert!(search(&c, "zwm").is_empty(), "old name no longer found");
    assert!(search(&c, "5678").is_empty(), "old phone no longer found");
    assert_eq!(search(&c, "ln"), vec!["李娜"]);
    assert_eq!(search(&c, "1111"), vec!["李娜"]);

    c.execute(&Actor::owner(), ArchivePatient { id, archived: true })
        .unwrap();
    assert!(
        search(&c, "ln").is_empty(),
        "archived patients leave search"
    );
    c.execute(
        &Actor::owner(),
        ArchivePatient {
            id,
            archived: false,
        },
    )
    .unwrap();
    assert_eq!(search(&c, "ln"), vec!["李娜"]);
}

#[test]
fn a_file_from_before_search_keys_gets_them_when_opened() {
    let (tmp, c, key) = clinic();
    drop(c);
    // A database exactly as the first release wrote it: migration 0001 only.
    {
        let conn = first_release_file(tmp.path(), &key);
        for (n, name, phone) in [(1, "张伟明", "13812345678"), (2, "王芳", "021-6543 2100")] {
            conn.execute(
                "INSERT INTO patient (id, name, name_fold, phone, phone_digits, created_at, updated_at)
                 VALUES (?1, ?2, ?2, ?3, ?4, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                (
                    format!("00000000-0000-4000-8000-00000000000{n}"),
                    name,
                    phone,
                    phone.replace(['-', ' '], ""),
                ),
            )
            .unwrap();
        }
    }
    let c = Clinic::open_with_key(tmp.path(), &key).unwrap();
    assert_eq!(search(&c, "zwm"), vec!["张伟明"]);
    assert_eq!(search(&c, "6543"), vec!["王芳"]);
    // New patients after the upgrade get fresh numbers, not reused ones.
    add(&c, "周文", None);
    assert_eq!(search(&c, "zw")[0], "周文");
    assert_eq!(search(&c, "zw").len(), 2);
}

#[test]
fn keys_made_by_an_older_build_are_rebuilt() {
    let (tmp, c, key) = clinic();
    sample(&c);
    drop(c);
    raw(tmp.path(), &key)
        .execute_batch(
            "DELETE FROM patient_key; UPDATE meta SET value = '0' WHERE name = 'search_key_version';",
        )
        .unwrap();
    let c = Clinic::open_with_key(tmp.path(), &key).unwrap();
    assert_eq!(search(&c, "stf"), vec!["单田芳"]);
}

#[test]
fn the_usual_reading_ranks_above_a_rare_one() {
    let (_t, c, _k) = clinic();
    add(&c, "陳雯", None); // usually chen wen; 陳 can also be read zhen
    add(&c, "朱文", None); // zhu wen
    assert_eq!(search(&c, "zw"), vec!["朱文", "陳雯"]);
    assert_eq!(search(&c, "cw"), vec!["陳雯"]);
}

#[test]
fn id_numbers_are_validated_searchable_and_masked() {
    let (_t, c, _k) = clinic();
    let input = PatientInput {
        name: "陳美玲".into(),
        id_number: Some(" a123456789 ".into()),
        ..Default::default()
    };
    let p = c
        .execute(&Actor::owner(), CreatePatient::new(input))
        .unwrap();
    assert_eq!(p.id_number.as_deref(), Some("A123456789"));
    assert_eq!(p.id_number_masked.as_deref(), Some("A1****6789"));
    assert_eq!(search(&c, "A123456789"), vec!["陳美玲"]);
    assert_eq!(
        search(&c, "a1234"),
        vec!["陳美玲"],
        "a prefix of the number"
    );
    assert_eq!(search(&c, "6789"), vec!["陳美玲"], "its last four");

    let typo = PatientInput {
        name: "王芳".into(),
        id_number: Some("11010519491231002Y".into()),
        ..Default::default()
    };
    let err = c
        .execute(&Actor::owner(), CreatePatient::new(typo))
        .unwrap_err();
    assert_eq!(err.code, clinic_core::ErrorCode::Validation);
    assert_eq!(err.field.as_deref(), Some("idNumber"));
    assert_eq!(
        search(&c, "wf"),
        Vec::<String>::new(),
        "nothing half-written"
    );
}
#[test]
fn a_search_reads_keys_and_the_compact_row_index_never_the_table() {
    let (t, c, key) = clinic();
    drop(c);
    let conn = raw(t.path(), &key);
    let plan = |sql: &str| -> String {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let params = vec![0; st.parameter_count()];
        let steps: Vec<String> = st
            .query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        steps.join(" / ")
    };
    let find = plan(clinic_core::search::FIND_SQL);
    assert!(
        find.contains("SEARCH k USING PRIMARY KEY")
            && find.contains("COVERING INDEX patient_summary")
            && !find.contains("TEMP B-TREE"),
        "{find}"
    );
    let row = plan(&clinic_core::patients::search_summary_sql());
    assert!(row.contains("COVERING INDEX patient_summary"), "{row}");
}
