//! Folding a name to lower-case ASCII words: any script transliterated to
//! Latin, accents dropped, punctuation turned into word breaks.

/// The words of `text`, transliterated to Latin and lower-cased.
///
/// Apostrophes join (`Qur'an` → `quran`, `Int'l` → `intl`); `&` is `and`;
/// letters written with dots and no spaces are one word (`S.A.` → `sa`,
/// `U.A.E.` → `uae`); every other mark separates words.
pub fn fold_words(text: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(text);
    // Each word with whether a lone dot came directly after it.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut word = String::new();
    let mut chars = ascii.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if c == '\'' || c == '`' {
            continue;
        }
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
}
