//! Folding a name to lower-case ASCII words: any script transliterated to
//! Latin, accents dropped, punctuation turned into word breaks.

/// The words of `text`, transliterated to Latin and lower-cased.
///
/// Apostrophes join (`Qur'an` → `quran`, `Int'l` → `intl`); `&` is `and`;
/// letters written with dots and no spaces are one word (`S.A.` → `sa`,
/// `U.A.E.` → `uae`); every other mark separates words. Words run together
/// in mixed case break where the case says a new word starts
/// (`HalimaAdan` → `halima adan`, `GREENShipping` → `green shipping`), as
/// a space lost in typing leaves them; a name in one case is left whole.
pub fn fold_words(text: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(text);
    // Each word with whether a lone dot came directly after it.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut word = String::new();
    // Upper-case letters at the end of `word`, and whether its last letter
    // was lower-case.
    let (mut upper_run, mut after_lower) = (0usize, false);
    let mut chars = ascii.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() {
                // "HalimaAdan", "GenlTRADING": a capital after a lower-case
                // letter starts a word of three letters or more, so legal
                // forms written in mixed case ("GmbH", "KGaA", "SpA") stay
                // whole. "GREENShipping": a capital after three or more
                // starts a lower-case word ("LLCs", "O'Brien" stay whole).
                let ahead = || chars.clone().take(2);
                let starts_word = after_lower
                    && (ahead().filter(char::is_ascii_lowercase).count() == 2
                        || ahead().filter(char::is_ascii_uppercase).count() == 2)
                    || upper_run >= 3 && ahead().filter(char::is_ascii_lowercase).count() == 2;
                if starts_word && !word.is_empty() {
                    pieces.push((std::mem::take(&mut word), false));
                }
                upper_run += 1;
                after_lower = false;
            } else {
                upper_run = 0;
                after_lower = c.is_ascii_lowercase();
            }
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if c == '\'' || c == '`' {
            continue;
        }
        (upper_run, after_lower) = (0, false);
        if !word.is_empty() {
            let dot_joins = c == '.' && chars.peek().is_some_and(char::is_ascii_alphanumeric);
            pieces.push((std::mem::take(&mut word), dot_joins));
        }
        if c == '&' {
            pieces.push(("and".to_owned(), false));
        }
    }
    if !word.is_empty() {
        pieces.push((word, false));
    }
    let mut words: Vec<String> = Vec::with_capacity(pieces.len());
    let mut joining = false;
    for (piece, dot_joins) in pieces {
        let single = piece.len() == 1;
        match words.last_mut() {
            Some(last) if joining && single => last.push_str(&piece),
            _ => words.push(piece),
        }
        joining = single && dot_joins;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::fold_words;

    #[test]
    fn words_are_lower_case_ascii_without_punctuation() {
        assert_eq!(
            fold_words("HEBEI  Shengxue, Bio-Tech Co."),
            ["hebei", "shengxue", "bio", "tech", "co"]
        );
    }

    #[test]
    fn other_scripts_and_accents_become_latin() {
        assert_eq!(fold_words("Société Générale"), ["societe", "generale"]);
        assert_eq!(fold_words("ООО Ромашка"), ["ooo", "romashka"]);
        assert_eq!(fold_words("Müller & Söhne"), ["muller", "and", "sohne"]);
    }

    #[test]
    fn dotted_letters_make_one_word_and_apostrophes_join() {
        assert_eq!(
            fold_words("Cubi Cafe, S.A. de C.V."),
            ["cubi", "cafe", "sa", "de", "cv"]
        );
        assert_eq!(fold_words("U.A.E. Int'l"), ["uae", "intl"]);
        assert_eq!(fold_words("S. A."), ["s", "a"]);
        assert_eq!(fold_words("J.R. Controladora"), ["jr", "controladora"]);
    }

    #[test]
    fn words_run_together_in_mixed_case_come_apart() {
        assert_eq!(fold_words("ALI, HalimaAdan"), ["ali", "halima", "adan"]);
        assert_eq!(fold_words("GREENShpg. LTD."), ["green", "shpg", "ltd"]);
        assert_eq!(
            fold_words("SYNERGY GenlTRADING"),
            ["synergy", "genl", "trading"]
        );
        assert_eq!(fold_words("Ahmad'Ali"), ["ahmad", "ali"]);
        // One case throughout, short capitals and apostrophes stay whole.
        assert_eq!(fold_words("GREENSHIPPING"), ["greenshipping"]);
        assert_eq!(
            fold_words("LLCs O'Brien Qur'an"),
            ["llcs", "obrien", "quran"]
        );
        assert_eq!(fold_words("McDonald"), ["mc", "donald"]);
        assert_eq!(
            fold_words("PASIT GmbH KGaA SpA"),
            ["pasit", "gmbh", "kgaa", "spa"]
        );
    }
}
