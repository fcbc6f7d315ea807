//! Enum values as people read them: `air_cargo` → "Air cargo",
//! `list_i` → "List I", `schedule_ii_immediate_precursor` → "Schedule II
//! immediate precursor". One rule for every enum the pages show, so a new
//! value never appears raw.

/// A stored enum value, in words.
pub fn words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, word) in value
        .split(['_', ' '])
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        if matches!(
            word,
            "i" | "ii" | "iii" | "iv" | "v" | "us" | "un" | "hs" | "dea" | "ip" | "cas"
        ) {
            out.push_str(&word.to_ascii_uppercase());
        } else if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(word);
        }
    }
    out
}

/// A chemical's US control status: "List I", or "not controlled".
pub fn control(value: &str) -> String {
    match value {
        "none" => "not controlled".to_owned(),
        other => words(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_read_as_words() {
        assert_eq!(words("air_cargo"), "Air cargo");
        assert_eq!(words("list_i"), "List I");
        assert_eq!(words("list i"), "List I");
        assert_eq!(
            words("schedule_ii_immediate_precursor"),
            "Schedule II immediate precursor"
        );
        assert_eq!(words("under_review"), "Under review");
        assert_eq!(control("none"), "not controlled");
        assert_eq!(words(""), "");
    }
}
