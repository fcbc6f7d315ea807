//! The two baselines: exact matching on the normalised name (what Interdict
//! did before the matcher), and the plain fuzzy token-ratio matcher as the
//! `rapidfuzz` family computes it.

/// rapidfuzz's `default_process`: lower case, every character that is not
/// a letter or digit made a space, trimmed.
pub fn default_process(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect();
    mapped.trim().to_owned()
}

/// `fuzz.ratio`: the normalised Indel similarity, 0–100. Indel distance
/// counts insertions and deletions only: len(a) + len(b) − 2·LCS.
pub fn ratio(a: &[char], b: &[char]) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 100.0;
    }
    let lcs = lcs_len(a, b);
    100.0 * (2 * lcs) as f64 / total as f64
}

fn lcs_len(a: &[char], b: &[char]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for &x in a {
        let mut diagonal = 0;
        for j in 0..b.len() {
            let above = row[j + 1];
            row[j + 1] = if x == b[j] {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A name processed once for both ratios.
pub struct Processed {
    whole: Vec<char>,
    sorted: Vec<char>,
}

impl Processed {
    pub fn new(text: &str) -> Self {
        let processed = default_process(text);
        let mut tokens: Vec<&str> = processed.split_whitespace().collect();
        tokens.sort_unstable();
        Self {
            whole: processed.chars().collect(),
            sorted: tokens.join(" ").chars().collect(),
        }
    }
}

/// max(`fuzz.ratio`, `fuzz.token_sort_ratio`), 0–100.
pub fn token_ratio(a: &Processed, b: &Processed) -> f64 {
    ratio(&a.whole, &b.whole).max(ratio(&a.sorted, &b.sorted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_agree_with_rapidfuzz() {
        // fuzz.ratio("this is a test", "this is a test!") == 96.55…
        let a: Vec<char> = "this is a test".chars().collect();
        let b: Vec<char> = "this is a test!".chars().collect();
        assert!((ratio(&a, &b) - 96.551_724).abs() < 1e-4);
        // fuzz.token_sort_ratio("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear") == 100
        let x = Processed::new("fuzzy wuzzy was a bear");
        let y = Processed::new("wuzzy fuzzy was a bear");
        assert_eq!(token_ratio(&x, &y), 100.0);
    }
}
