//! Whether two single words can be one word: equal, the same sound in
//! another romanisation, a typo, an abbreviation, a person's initial, or a
//! misspelt legal form.

use super::edit::bounded_osa;
use super::name::{Token, TokenClass};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    Exact,
    Phonetic,
    Typo,
    Compound,
    Abbreviation,
    Initialism,
    Initial,
}

pub(crate) const EXACT: f32 = 1.0;
pub(crate) const PHONETIC: f32 = 0.92;
pub(crate) const PHONETIC_SHORT: f32 = 0.84;
pub(crate) const PREFIX: f32 = 0.86;
pub(crate) const CONTRACTION: f32 = 0.82;
pub(crate) const INITIAL: f32 = 0.75;
/// Sounds one edit apart: a romanisation with a typo besides.
pub(crate) const SOUND_TYPO: f32 = 0.84;
/// A written form of a known word, misspelt or sounding alike.
pub(crate) const VARIANT_TYPO: f32 = 0.86;
pub(crate) const VARIANT_SOUND: f32 = 0.88;

/// The similarity of two words on their own, if they can be the same word.
pub(crate) fn token_similarity(a: &Token, b: &Token, persons: bool) -> Option<(f32, How)> {
    match (a.class == TokenClass::Legal, b.class == TokenClass::Legal) {
        (true, true) => return None,
        // "Ltad" against "Ltda": a misspelt legal form pairs with the legal
        // form it misspells, and both weigh nothing.
        (true, false) | (false, true) => {
            let (legal, other) = if a.class == TokenClass::Legal {
                (a, b)
            } else {
                (b, a)
            };
            let close = a.raw.len().min(b.raw.len()) >= 2
                && bounded_osa(a.raw.as_bytes(), b.raw.as_bytes(), 1).is_some()
                || written_otherwise(other, legal.family).is_some();
            return close.then_some((EXACT, How::Exact));
        }
        (false, false) => {}
    }
    if a.text == b.text {
        return Some((EXACT, How::Exact));
    }
    if a.class == TokenClass::Number || b.class == TokenClass::Number {
        return None;
    }
    let (x, y) = (a.text.as_bytes(), b.text.as_bytes());
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    if short.len() == 1 {
        // An initial stands for a person's given name, never for a word.
        return (persons && long.len() > 1 && short[0] == long[0])
            .then_some((INITIAL, How::Initial));
    }
    let mut best: Option<(f32, How)> = None;
    // Short names share sounds by chance (Liu / Lee): below five letters
    // a shared sound needs two consonants or a spelling within one edit.
    let sounds_alike = |ka: &str, kb: &str, x: &[u8], y: &[u8]| {
        ka == kb
            && x.len().min(y.len()) >= 3
            && (x.len().min(y.len()) >= 5
                || ka.bytes().filter(|&c| c != b'a').count() >= 2
                || bounded_osa(x, y, 1).is_some())
    };
    if sounds_alike(&a.key, &b.key, x, y)
        || sounds_alike(&a.raw_key, &b.raw_key, a.raw.as_bytes(), b.raw.as_bytes())
    {
        // Short names that sound alike are more often two names.
        let sim = if short.len() >= 5 {
            PHONETIC
        } else {
            PHONETIC_SHORT
        };
        best = Some((sim, How::Phonetic));
    }
    // Two romanisations of a word with a typo besides ("Sharipih" /
    // "Sharifi", "Rkieziu" / "Kryeziu"): their sounds one edit apart.
    if a.class == TokenClass::Word && b.class == TokenClass::Word {
        best = best.or(sound_typo(a, b));
    }
    // A business word or legal form written in yet another way than the
    // lexicon knows: its abbreviation misspelt or romanised otherwise
    // ("Mgtm" / "Management", "Elek" / "Electronics", "Cirp" / "Corp").
    for (x, y) in [(a, b), (b, a)] {
        if let Some(candidate) = written_otherwise(x, y.family) {
            if best.is_none_or(|(s, _)| candidate.0 > s) {
                best = Some(candidate);
            }
        }
    }
    // Misspellings and abbreviations are judged on the canonical and on
    // the written forms: "Invs" abbreviates "Investments" as written.
    let written = (a.raw.as_bytes(), b.raw.as_bytes());
    let forms = if written == (x, y) { 1 } else { 2 };
    for (x, y) in [(x, y), written].into_iter().take(forms) {
        for candidate in [typo(x, y), abbreviation(x, y)].into_iter().flatten() {
            if best.is_none_or(|(s, _)| candidate.0 > s) {
                best = Some(candidate);
            }
        }
    }
    best
}

/// The similarity of a romanised word with a typo in it to another word:
/// their phonetic keys (as written or canonical) one edit apart, in words
/// long enough that one sound more or less is not another name, and the
/// edit a vowel's or two consonants swapped. A consonant changed, added or
/// lost is another name (Kazemi / Karimi, First / Fourth, Green / Grand).
fn sound_typo(a: &Token, b: &Token) -> Option<(f32, How)> {
    if a.raw.len().min(b.raw.len()) < 5 {
        return None;
    }
    let consonants = |key: &str| -> Vec<u8> { key.bytes().filter(|&c| c != b'a').collect() };
    let close = |x: &str, y: &str| {
        if x.len().min(y.len()) < 4 || bounded_osa(x.as_bytes(), y.as_bytes(), 1).is_none() {
            return false;
        }
        let (cx, cy) = (consonants(x), consonants(y));
        cx == cy || {
            // Two neighbours swapped: the same consonants, one pair apart.
            let mut sx = cx.clone();
            let mut sy = cy.clone();
            sx.sort_unstable();
            sy.sort_unstable();
            sx == sy && bounded_osa(&cx, &cy, 1).is_some()
        }
    };
    (close(&a.key, &b.key) || close(&a.raw_key, &b.raw_key)).then_some((SOUND_TYPO, How::Typo))
}

/// Whether `word`, a word the lexicon does not know, is one of `family`'s
/// written forms (another word's canonical word or legal form) spelt
/// otherwise: one edit from one of them, or sounding like one.
fn written_otherwise(word: &Token, family: &[(String, String)]) -> Option<(f32, How)> {
    // Abbreviations and legal forms written otherwise are short words; a
    // longer misspelling of a known word is the lexicon's `near_miss`.
    if family.is_empty()
        || !(3..=8).contains(&word.raw.len())
        || word.known
        || matches!(word.class, TokenClass::Legal | TokenClass::Number)
        || word.text != word.raw
    {
        return None;
    }
    let raw = word.raw.as_bytes();
    // One edit from a form ("Mgtm" / "Mgmt", "Cirp" / "Corp") when the
    // word is written like an abbreviation, with one vowel at most (a name
    // one edit from "Intl", "Intel", is a name); in another romanisation
    // ("Elek" / "Elec"), the same sound, of two consonants at least
    // ("Yessi" is no "ASA").
    let abbreviated = raw.iter().filter(|c| b"aeiouy".contains(c)).count() <= 1;
    let sounded = word.raw_key.bytes().filter(|&c| c != b'a').count() >= 2;
    if !abbreviated && !sounded {
        return None;
    }
    let mut best: Option<(f32, How)> = None;
    for (form, key) in family {
        let form = form.as_bytes();
        let sim = if abbreviated
            && form.len() >= 3
            && form.len().abs_diff(raw.len()) <= 1
            && bounded_osa(raw, form, 1).is_some()
        {
            VARIANT_TYPO
        } else if sounded && word.raw_key == *key {
            VARIANT_SOUND
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| sim > s) {
            best = Some((sim, How::Abbreviation));
        }
    }
    best
}

fn typo(x: &[u8], y: &[u8]) -> Option<(f32, How)> {
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    if short.len() < 3 {
        return None;
    }
    let allowed = match long.len() {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    };
    let d = bounded_osa(x, y, allowed).filter(|&d| d > 0)?;
    // One typo in a long word says less than one in a short word, and two
    // typos much more than twice one.
    let sim = 1.0 - 0.35 * (d as f32).powf(1.5) / (short.len() as f32).sqrt();
    Some((sim.max(0.65), How::Typo))
}

fn abbreviation(x: &[u8], y: &[u8]) -> Option<(f32, How)> {
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    // "Petrochem" / "Petrochemical": a cut of at most four letters, so a
    // name is not an abbreviation of a longer name that starts with it
    // (Gaxiola / Gaxiolagarcia, Oleksandr / Oleksandrovich).
    if short.len() >= 4 && (2..=4).contains(&(long.len() - short.len())) && long.starts_with(short)
    {
        return Some((PREFIX, How::Abbreviation));
    }
    // "Invs" / "Investments", "Indl" / "Industrial": abbreviations drop
    // vowels, names do not.
    let vowels = short.iter().filter(|c| b"aeiouy".contains(c)).count();
    let contraction = short.len() >= 3
        && vowels <= 1
        && long.len() >= 2 * short.len() - 1
        && long.len() <= 3 * short.len()
        && short[0] == long[0]
        && short.last() == long.last()
        && is_subsequence(short, long);
    contraction.then_some((CONTRACTION, How::Abbreviation))
}

fn is_subsequence(short: &[u8], long: &[u8]) -> bool {
    let mut rest = long.iter();
    short.iter().all(|c| rest.any(|l| l == c))
}
