//! A phonetic key for romanised names: the spellings one sound gets from
//! different transliteration schemes share a key.
//!
//! Soundex and Metaphone were built for English surnames; the variants that
//! matter here come from romanising Arabic, Persian, Russian and Chinese:
//! Mohammad/Muhammad, Khalid/Halid, Qasim/Kasim, Yousef/Yusuf, Dzhabarov/
//! Jabarov, Philips/Filips, Schmidt/Shmidt, Volkov/Wolkow. So consonants are
//! folded into the classes such schemes confuse, and every run of vowels
//! becomes one `a`: vowel quality is what romanisations disagree on most,
//! while the number of syllables survives them.

/// The phonetic key of a folded (lower-case ASCII) word. Digits are kept
/// as they are.
pub fn phonetic_key(word: &str) -> String {
    let w = word.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(w.len());
    let at = |i: usize| w.get(i).copied().unwrap_or(0);
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        let next = at(i + 1);
        let (class, used) = match c {
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y' => (b'a', 1),
            b'd' if next == b'z' && at(i + 2) == b'h' => (b'j', 3),
            b'd' if next == b'j' => (b'j', 2),
            b'd' if next == b's' && at(i + 2) == b'h' => (b'j', 3),
            b'd' if next == b'h' => (b'd', 2),
            b'z' if next == b'h' => (b'j', 2),
            b'j' => (b'j', 1),
            b't' if next == b's' && at(i + 2) == b'c' && at(i + 3) == b'h' => (b'x', 4),
            b't' if next == b'c' && at(i + 2) == b'h' => (b'x', 3),
            b't' if next == b'h' => (b't', 2),
            b's' if next == b'c' && at(i + 2) == b'h' => (b'x', 3),
            b's' if next == b'h' => (b'x', 2),
            b'c' if next == b'h' => (b'x', 2),
            b'c' if next == b'k' => (b'k', 2),
            b'c' if matches!(next, b'e' | b'i' | b'y') => (b's', 1),
            b'k' if next == b'h' => (b'h', 2),
            b'c' | b'k' | b'q' => (b'k', 1),
            b'g' if next == b'h' => (b'g', 2),
            b'p' if next == b'h' => (b'f', 2),
            b'w' | b'v' => (b'v', 1),
            b'z' => (b's', 1),
            b'x' => {
                out.push(b'k');
                (b's', 1)
            }
            // A final h after a vowel is silent: Abdallah / Abdalla.
            b'h' if i + 1 == w.len() && i > 0 && is_vowel(w[i - 1]) => {
                i += 1;
                continue;
            }
            other => (other, 1),
        };
        if out.last() != Some(&class) {
            out.push(class);
        }
        i += used;
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::phonetic_key;

    fn same(a: &str, b: &str) {
        assert_eq!(phonetic_key(a), phonetic_key(b), "{a} / {b}");
    }

    fn differ(a: &str, b: &str) {
        assert_ne!(phonetic_key(a), phonetic_key(b), "{a} / {b}");
    }

    #[test]
    fn transliteration_variants_share_a_key() {
        same("mohammad", "muhammad");
        same("mohammed", "muhamad");
        same("khalid", "halid");
        same("qasim", "kasim");
        same("yousef", "yusuf");
        same("dzhabarov", "jabarov");
        same("zhukov", "jukov");
        same("philips", "filips");
        same("schmidt", "shmidt");
        same("volkov", "wolkow");
        same("abdallah", "abdalla");
        same("noor", "nour");
        same("sheeraz", "shiraz");
    }

    #[test]
    fn different_names_keep_different_keys() {
        differ("mahmoud", "mohammed");
        differ("taesong", "heungjin");
        differ("hassan", "hussain2");
        differ("ali", "ahmed");
    }
}
