use super::extract::number;
use super::*;

fn values(text: &str, lang: Lang) -> Vec<(String, bool)> {
    extract(text, lang)
        .into_iter()
        .map(|m| (m.text, m.hard))
        .collect()
}

#[test]
fn decimals_are_normalised() {
    assert_eq!(Decimal::from_parts("5000", ""), Decimal::from_u64(5000));
    assert_eq!(
        Decimal::from_parts("3", "50"),
        Decimal::from_parts("03", "5")
    );
    assert_eq!(
        Decimal::from_parts("1", "5").scaled(6),
        Decimal::from_u64(1_500_000)
    );
    assert_eq!(Decimal::from_parts("26469", "89").to_string(), "26469.89");
    assert_eq!(Decimal::from_parts("0", "068").to_string(), "0.068");
    assert_eq!(Decimal::from_parts("000", "0"), Decimal::from_u64(0));
}

#[test]
fn french_numbers_are_read_the_french_way() {
    let m = extract("5.000 personnes, 26.469,89 euros et 3,5 %", Lang::French);
    let v: Vec<_> = m.iter().map(|m| m.values[0].clone()).collect();
    assert_eq!(
        v,
        vec![
            Value::Number(Decimal::from_u64(5000)),
            Value::Number(Decimal::from_parts("26469", "89")),
            Value::Number(Decimal::from_parts("3", "5")),
        ]
    );
}

#[test]
fn english_reads_a_copied_french_thousands_dot_as_a_decimal() {
    let m = extract("5.000 people", Lang::English);
    assert_eq!(m[0].values, vec![Value::Number(Decimal::from_u64(5))]);
}

#[test]
fn soft_and_hard_mentions() {
    assert_eq!(
        values("les deux pays", Lang::French),
        vec![("deux".into(), false)]
    );
    assert_eq!(
        values("two countries", Lang::English),
        vec![("two".into(), true)]
    );
    assert_eq!(
        values("one of them", Lang::English),
        vec![("one".into(), false)]
    );
    assert_eq!(
        values("Louis XIV", Lang::English),
        vec![("XIV".into(), false)]
    );
    assert_eq!(
        values("au XIXe siècle", Lang::French),
        vec![("XIXe".into(), true)]
    );
    assert_eq!(
        values("5 m2", Lang::French),
        vec![("5".into(), true), ("2".into(), false)]
    );
}

#[test]
fn le_ce_me_and_mme_are_not_roman_numerals() {
    assert!(extract("Le Ce Me Mme Cie De", Lang::French).is_empty());
}

#[test]
fn number_words_combine() {
    let v = |t: &str, l| extract(t, l)[0].values[0].clone();
    assert_eq!(v("quatre-vingt-dix-neuf", Lang::French), number(99));
    assert_eq!(v("soixante-dix", Lang::French), number(70));
    assert_eq!(v("vingt et un", Lang::French), number(21));
    assert_eq!(v("deux mille treize", Lang::French), number(2013));
    assert_eq!(v("trois cents", Lang::French), number(300));
    assert_eq!(v("two hundred and fifty", Lang::English), number(250));
    assert_eq!(v("twenty-three", Lang::English), number(23));
    assert_eq!(v("nineteenth", Lang::English), number(19));
    assert_eq!(v("twentieth", Lang::English), number(20));
    assert_eq!(v("dix-neuvième", Lang::French), number(19));
}

#[test]
fn digits_in_protected_spans_are_not_numbers() {
    assert!(extract("Voir https://x.fr/2013/11/17 et @user42", Lang::French).is_empty());
}

#[test]
fn compare_names_what_is_missing_and_added() {
    let check = compare(
        "Il y avait 5.000 manifestants.",
        "There were 500 protesters.",
    );
    assert_eq!(check.missing.len(), 1);
    assert_eq!(check.missing[0].text, "5.000");
    assert_eq!(check.added[0].text, "500");
    assert!(compare(
        "Il y avait 5.000 manifestants.",
        "There were 5,000 protesters."
    )
    .is_consistent());
}

#[test]
fn only_ascii_digits_are_numbers() {
    // Rust's `\d` would match these and read them as 0.
    assert!(extract("٣ h, ١٢:٣٠ et ٢٠١٣-١١-١٧", Lang::French).is_empty());
}

#[test]
fn no_numbers_is_consistent() {
    assert!(compare("Bonjour.", "Hello.").is_consistent());
}
