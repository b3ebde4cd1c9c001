use super::*;

fn keys(name: &str, phone: &[&str]) -> Vec<String> {
    keys_for(&Searchable {
        name,
        phone: phone.first().copied(),
        other_phones: phone.iter().skip(1).copied().collect(),
        id_number: None,
    })
    .into_iter()
    .map(|k| format!("{}{}", ["=", "≈", "~"][k.rank as usize], k.key))
    .collect()
}

fn has(keys: &[String], k: &str) -> bool {
    keys.iter().any(|x| x == k)
}

#[test]
fn chinese_name_keys() {
    let k = keys("张伟明", &[]);
    for want in [
        "=张伟明",
        "~伟明",
        "~明",
        "=zhangweiming",
        "~weiming",
        "=zwm",
        "~wm",
        "=zhangwm",
    ] {
        assert!(has(&k, want), "{want} missing from {k:?}");
    }
}

#[test]
fn traditional_characters_have_the_same_pinyin() {
    let k = keys("張偉明", &[]);
    assert!(has(&k, "=zhangweiming") && has(&k, "=zwm"), "{k:?}");
}

#[test]
fn surname_heteronyms_are_indexed() {
    // 单 is "shan" as a surname, 曾 is "zeng".
    assert!(has(&keys("单田芳", &[]), "≈shantianfang"));
    assert!(has(&keys("曾志伟", &[]), "≈zengzhiwei"));
    // ü: both spellings are the usual reading.
    assert!(has(&keys("吕布", &[]), "=lvbu") && has(&keys("吕布", &[]), "=lubu"));
}

#[test]
fn latin_names_by_word_and_initials() {
    let k = keys("Li Wei", &[]);
    for want in ["=li wei", "=liwei", "~wei", "=lw"] {
        assert!(has(&k, want), "{want} missing from {k:?}");
    }
}

#[test]
fn phones_by_any_fragment_of_four_digits() {
    let k = keys("x", &["+86 138-1234-5678"]);
    assert!(has(&k, "=13812345678"));
    assert!(has(&k, "~5678"));
    assert!(!k.iter().any(|x| x.ends_with("~678")));
    assert_eq!(phone_digits("+886 912 345 678"), "0912345678");
    assert_eq!(phone_digits("02-2345-6789"), "0223456789");
    assert_eq!(phone_digits("１３８１２３４５６７８"), "13812345678");
}

#[test]
fn queries() {
    assert_eq!(normalize_query("  ZWM "), Some("zwm".into()));
    assert_eq!(normalize_query("567"), None);
    assert_eq!(normalize_query("5678"), Some("5678".into()));
    assert_eq!(normalize_query("138 1234"), Some("1381234".into()));
    assert_eq!(normalize_query("Li  Wei"), Some("li wei".into()));
    assert_eq!(normalize_query(""), None);
}
