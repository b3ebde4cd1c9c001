use super::*;

#[test]
fn dates_as_people_write_them() {
    for (written, iso) in [
        ("2024-01-05", "2024-01-05"),
        ("2024/1/5", "2024-01-05"),
        ("2024.1.5", "2024-01-05"),
        ("2024年1月5日", "2024-01-05"),
        ("20240105", "2024-01-05"),
        ("民國113年1月5日", "2024-01-05"),
        ("民国113年1月5日", "2024-01-05"),
        ("113/1/5", "2024-01-05"),
        ("45296", "2024-01-05"),
        ("２０２４／１／５", "2024-01-05"),
    ] {
        assert_eq!(normalize_date(written), iso, "{written}");
    }
    assert_eq!(
        normalize_date("2024-02-30"),
        "2024-02-30",
        "left for validation to reject"
    );
    assert_eq!(normalize_date("soon"), "soon");
}

#[test]
fn headers_in_three_languages() {
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        guess_mapping(&h(&[
            "姓名",
            "手机",
            "出生日期",
            "性别",
            "备注",
            "whatever"
        ])),
        vec![
            Some(ImportField::Name),
            Some(ImportField::Phone),
            Some(ImportField::BirthDate),
            Some(ImportField::Sex),
            Some(ImportField::Notes),
            None
        ]
    );
    assert_eq!(
        guess_mapping(&h(&[
            "病歷號",
            "姓名",
            "電話",
            "生日",
            "身分證字號",
            "過敏史"
        ])),
        vec![
            Some(ImportField::ExternalId),
            Some(ImportField::Name),
            Some(ImportField::Phone),
            Some(ImportField::BirthDate),
            Some(ImportField::IdNumber),
            Some(ImportField::Allergies)
        ]
    );
    assert_eq!(
        guess_mapping(&h(&[
            "Name",
            "Date of Birth",
            "E-mail",
            "Phone Number",
            "Payment Type"
        ])),
        vec![
            Some(ImportField::Name),
            Some(ImportField::BirthDate),
            Some(ImportField::Email),
            Some(ImportField::Phone),
            Some(ImportField::PaymentType)
        ]
    );
}

#[test]
fn payment_words() {
    assert_eq!(normalize_payment("健保"), "public-insurance");
    assert_eq!(normalize_payment("医保"), "public-insurance");
    assert_eq!(normalize_payment("自費"), "self-pay");
    assert_eq!(normalize_payment("商业保险"), "commercial-insurance");
    assert_eq!(normalize_payment("barter"), "barter");
}
