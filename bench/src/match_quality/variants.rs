//! Re-spellings of a listed name, as suppliers and clerks produce them.
//!
//! Written apart from the matcher on purpose: none of its tables or
//! normalisation is used here, so the matcher is not graded on its own
//! answers. The generator works on the raw listed spelling, word by word.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// The kinds of change, in the order they are applied when several are
/// drawn (words are reordered before one is split, a typo comes after a
/// transliteration, case last), so stacked changes stay realistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    WordOrder,
    DropGeneric,
    Abbreviate,
    LegalForm,
    Compound,
    Transliterate,
    Typo,
    Accents,
    Punctuation,
    Spacing,
    Case,
}

/// How a set is generated: how many changes each positive gets, and how
/// likely each kind of change is.
#[derive(Debug, Clone)]
pub struct Config {
    pub name: &'static str,
    pub min_ops: usize,
    pub max_ops: usize,
    pub weights: Vec<(Op, u32)>,
    /// Whether positives may start from OFAC's weak (remarks) aliases.
    pub weak_aliases: bool,
    /// Hard negatives drawn per query.
    pub negatives: usize,
}

impl Config {
    /// The configuration the matcher was tuned on.
    pub fn tuning() -> Self {
        use Op::*;
        Self {
            name: "A",
            min_ops: 1,
            max_ops: 1,
            weights: vec![
                (LegalForm, 14),
                (Punctuation, 10),
                (Case, 10),
                (Spacing, 5),
                (WordOrder, 10),
                (Typo, 12),
                (DropGeneric, 8),
                (Compound, 10),
                (Abbreviate, 9),
                (Accents, 6),
                (Transliterate, 12),
            ],
            weak_aliases: false,
            negatives: 2,
        }
    }

    /// A different mix, never tuned on: up to two changes per name,
    /// heavier on typos, compounds and transliteration, weak aliases too.
    pub fn other() -> Self {
        use Op::*;
        Self {
            name: "B",
            min_ops: 1,
            max_ops: 2,
            weights: vec![
                (LegalForm, 8),
                (Punctuation, 6),
                (Case, 6),
                (Spacing, 4),
                (WordOrder, 8),
                (Typo, 16),
                (DropGeneric, 6),
                (Compound, 16),
                (Abbreviate, 10),
                (Accents, 8),
                (Transliterate, 18),
            ],
            weak_aliases: true,
            negatives: 2,
        }
    }

    /// A stress mix: two or three changes stacked on every name.
    pub fn stress() -> Self {
        Self {
            name: "C",
            min_ops: 2,
            max_ops: 3,
            ..Self::other()
        }
    }

    /// A milder mix, closer to the sets the figures describe:
    /// cosmetic changes (legal form, punctuation, case, spacing) twice as
    /// likely, one hardest negative per query.
    pub fn mild() -> Self {
        use Op::*;
        Self {
            name: "D",
            min_ops: 1,
            max_ops: 1,
            weights: vec![
                (LegalForm, 20),
                (Punctuation, 20),
                (Case, 20),
                (Spacing, 20),
                (WordOrder, 10),
                (Typo, 10),
                (DropGeneric, 10),
                (Compound, 10),
                (Abbreviate, 10),
                (Accents, 10),
                (Transliterate, 10),
            ],
            weak_aliases: false,
            negatives: 1,
        }
    }
}

/// Legal-form suffixes as written in trade documents, by family: a form is
/// swapped for another of its family or dropped.
#[rustfmt::skip]
const LEGAL: &[&[&str]] = &[
    &["CO., LTD.", "Co. Ltd", "COMPANY LIMITED", "Co Ltd", "CO.,LTD", "LIMITED", "LTD.", "Ltd", "PTE. LTD.", "PVT LTD", "SDN. BHD."],
    &["LLC", "L.L.C.", "OOO", "Limited Liability Company", "GmbH", "S.R.L.", "Sp. z o.o.", "SARL"],
    &["S.A.", "SA", "S.A. DE C.V.", "SA de CV", "JSC", "AO", "ZAO", "PJSC", "AG", "PLC"],
    &["CORPORATION", "CORP.", "Corp", "INC.", "Inc", "Incorporated"], &["COMPANY", "CO.", "Co"],
    &["FZE", "FZCO", "FZ-LLC"],
];

/// Words a clerk may leave out.
#[rustfmt::skip]
const GENERIC: &[&str] = &[
    "TRADING", "INTERNATIONAL", "GROUP", "COMPANY", "INDUSTRIAL", "INDUSTRIES", "IMPORT",
    "EXPORT", "GENERAL", "HOLDING", "HOLDINGS", "ENTERPRISES", "ENTERPRISE", "THE", "GLOBAL",
    "SERVICES", "CO", "CO.", "LIMITED", "LTD", "LTD.", "INC.", "CORP.", "S.A.", "LLC",
];

/// Abbreviations in use on manifests and registers.
#[rustfmt::skip]
const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("INTERNATIONAL", &["INTL", "INT'L", "Intl."]), ("COMPANY", &["CO", "Co."]),
    ("CORPORATION", &["CORP", "Corp."]), ("LIMITED", &["LTD", "Ltd."]),
    ("TECHNOLOGY", &["TECH", "Tech."]), ("TECHNOLOGIES", &["TECH", "Techs"]),
    ("PHARMACEUTICAL", &["PHARM", "PHARMA"]), ("PHARMACEUTICALS", &["PHARMA", "Pharms"]),
    ("CHEMICAL", &["CHEM", "Chem."]), ("CHEMICALS", &["CHEMS", "Chem."]),
    ("INDUSTRIAL", &["IND", "Indl"]), ("INDUSTRIES", &["INDS", "Ind."]),
    ("MANUFACTURING", &["MFG", "Mfg."]), ("DEVELOPMENT", &["DEV", "Devt"]),
    ("ENGINEERING", &["ENGG", "Eng."]), ("NATIONAL", &["NATL", "Nat'l"]),
    ("GENERAL", &["GEN", "Genl"]), ("ASSOCIATION", &["ASSN", "Assoc."]),
    ("DEPARTMENT", &["DEPT", "Dept."]), ("BROTHERS", &["BROS", "Bros."]),
    ("SERVICES", &["SVCS", "Svcs."]), ("MANAGEMENT", &["MGMT", "Mgmt."]),
    ("INVESTMENT", &["INV", "Invest."]), ("INVESTMENTS", &["INVS", "Invest."]),
    ("ESTABLISHMENT", &["EST", "Est."]), ("ORGANIZATION", &["ORG", "Org."]),
    ("INSTITUTE", &["INST", "Inst."]), ("UNIVERSITY", &["UNIV", "Univ."]),
    ("LABORATORY", &["LAB", "Lab."]), ("LABORATORIES", &["LABS", "Labs."]),
    ("ELECTRONICS", &["ELEC", "Elec."]), ("EQUIPMENT", &["EQUIP", "Equip."]),
    ("HOLDINGS", &["HLDGS", "Hldgs."]), ("HOLDING", &["HLDG", "Hldg."]),
    ("SHIPPING", &["SHPG", "Shpg."]), ("PRODUCTS", &["PRODS", "Prod."]),
    ("ENTERPRISES", &["ENT", "Ents."]), ("COMMERCIAL", &["COMML", "Coml."]),
];

/// Spelling rules of different romanisations, applied to one word.
#[rustfmt::skip]
const TRANSLITERATIONS: &[(&str, &str)] = &[
    ("MOHAMMED", "MUHAMMAD"), ("MOHAMMAD", "MOHAMED"), ("MUHAMMAD", "MOHAMMAD"),
    ("MOHAMED", "MOHAMMED"), ("AHMED", "AHMAD"), ("AHMAD", "AHMED"), ("HUSSEIN", "HUSAIN"),
    ("HUSSAIN", "HUSEIN"), ("YOUSEF", "YUSUF"), ("YUSUF", "YOUSSEF"), ("ABDUL", "ABDEL"),
    ("ABDEL", "ABDUL"), ("OU", "U"), ("U", "OU"), ("KH", "H"), ("Q", "K"), ("K", "Q"),
    ("PH", "F"), ("F", "PH"), ("J", "DZH"), ("J", "ZH"), ("ZH", "J"), ("DJ", "J"), ("Y", "I"),
    ("I", "Y"), ("EE", "I"), ("OO", "U"), ("W", "V"), ("V", "W"), ("SH", "SCH"), ("SCH", "SH"),
    ("CK", "K"), ("C", "K"), ("EI", "EY"), ("AI", "AY"), ("SS", "S"), ("TT", "T"), ("LL", "L"),
    ("KS", "X"), ("X", "KS"), ("IE", "I"), ("TS", "C"), ("TZ", "TS"), ("Z", "S"), ("AL-", "EL-"),
    ("AL-", "AL "), ("AL-", "AL"), ("EH", "E"), ("IYA", "IA"), ("IA", "IYA"),
];

#[rustfmt::skip]
const ACCENTED: &[(char, &[char])] = &[
    ('A', &['Á', 'À', 'Ä', 'Â', 'Ã']), ('E', &['É', 'È', 'Ë', 'Ê']), ('I', &['Í', 'Ï', 'Î']),
    ('O', &['Ó', 'Ö', 'Ô', 'Õ']), ('U', &['Ú', 'Ü', 'Û']), ('N', &['Ñ']), ('C', &['Ç']),
    ('S', &['Ş', 'Š']), ('Z', &['Ž']), ('G', &['Ğ']),
];

/// Keys next to each other on a QWERTY keyboard, for substitution typos.
#[rustfmt::skip]
const KEYBOARD: &[&str] = &[
    "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM",
];

/// A re-spelling of `name`, with the operations applied, or `None` when
/// none of the drawn operations could change it.
pub fn respell(
    name: &str,
    person: bool,
    config: &Config,
    rng: &mut StdRng,
) -> Option<(String, Vec<Op>)> {
    let count = rng.gen_range(config.min_ops..=config.max_ops);
    let mut drawn: Vec<Op> = Vec::new();
    for _ in 0..50 {
        if drawn.len() == count {
            break;
        }
        let op = config
            .weights
            .choose_weighted(rng, |(_, w)| *w)
            .map(|(op, _)| *op)
            .ok()?;
        if !drawn.contains(&op) {
            drawn.push(op);
        }
    }
    drawn.sort();
    let mut text = name.to_owned();
    let mut applied = Vec::new();
    for op in drawn {
        if let Some(next) = apply(op, &text, person, rng) {
            if next.trim() != text.trim() && !next.trim().is_empty() {
                text = next;
                applied.push(op);
            }
        }
    }
    (!applied.is_empty() && text != name).then_some((text, applied))
}

/// A name word that is not a legal form or a generic word, with at least
/// four letters: where transliterations and merges happen.
fn distinctive_word(word: &str) -> bool {
    let bare: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    bare.chars().filter(|c| c.is_alphabetic()).count() >= 4
        && !GENERIC.contains(&bare.as_str())
        && !legal_word(&bare)
}

fn legal_word(bare: &str) -> bool {
    LEGAL.iter().flat_map(|f| f.iter()).any(|form| {
        form.split_whitespace().any(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_uppercase()
                == bare
        })
    })
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn apply(op: Op, text: &str, person: bool, rng: &mut StdRng) -> Option<String> {
    let mut w = words(text);
    match op {
        Op::LegalForm if !person => legal_form(text, rng),
        Op::Punctuation => {
            let choice = rng.gen_range(0..3);
            Some(match choice {
                0 => text
                    .chars()
                    .filter(|c| c.is_alphanumeric() || c.is_whitespace())
                    .collect(),
                1 => text.replace('-', " ").replace(',', ""),
                _ => {
                    let last = w.pop()?;
                    if w.is_empty() {
                        return None;
                    }
                    format!("{}, {last}", w.join(" "))
                }
            })
        }
        Op::Case => Some(match rng.gen_range(0..3) {
            0 => text.to_lowercase(),
            1 => w.iter().map(|x| title(x)).collect::<Vec<_>>().join(" "),
            _ => text.to_uppercase(),
        }),
        Op::Spacing => Some(match rng.gen_range(0..2) {
            0 => format!("  {}  ", w.join("  ")),
            _ => text.replace('-', " - "),
        }),
        Op::WordOrder => {
            if person && text.contains(',') {
                let (last, first) = text.split_once(',')?;
                return Some(format!("{} {}", first.trim(), last.trim()));
            }
            if w.len() < 2 {
                return None;
            }
            if rng.gen_bool(0.5) {
                let first = w.remove(0);
                w.push(first);
            } else {
                let i = rng.gen_range(0..w.len() - 1);
                w.swap(i, i + 1);
            }
            Some(w.join(" "))
        }
        Op::Typo => {
            let long: Vec<usize> = (0..w.len())
                .filter(|&i| w[i].chars().filter(|c| c.is_alphabetic()).count() >= 4)
                .collect();
            let &i = long.choose(rng)?;
            w[i] = typo(&w[i], rng);
            Some(w.join(" "))
        }
        Op::DropGeneric => {
            if person {
                // A middle name left out: a given name other than the first.
                let (last, first) = text.split_once(',')?;
                let mut given = words(first);
                if given.len() < 2 {
                    return None;
                }
                given.remove(rng.gen_range(1..given.len()));
                return Some(format!("{}, {}", last.trim(), given.join(" ")));
            }
            let droppable: Vec<usize> = (0..w.len())
                .filter(|&i| GENERIC.contains(&w[i].trim_end_matches(',').to_uppercase().as_str()))
                .collect();
            if w.len() < 3 {
                return None;
            }
            let &i = droppable.choose(rng)?;
            w.remove(i);
            Some(w.join(" "))
        }
        Op::Compound if person && !text.contains(',') && !text.contains('-') => None,
        Op::Compound if person => {
            // Within one part of the name: a hyphen dropped or two given
            // names run together, never the surname into a given name.
            let (last, first) = text.split_once(',').unwrap_or((text, ""));
            let mut parts = [words(last), words(first)];
            let side =
                usize::from(parts[1].len() >= 2 && (parts[0].len() < 2 || rng.gen_bool(0.5)));
            let joined = compound(&mut parts[side], rng)?;
            parts[side] = words(&joined);
            let [last, first] = parts;
            Some(if first.is_empty() {
                last.join(" ")
            } else {
                format!("{}, {}", last.join(" "), first.join(" "))
            })
        }
        Op::Compound => compound(&mut w, rng),
        Op::Abbreviate => {
            if person {
                // A given name as its initial, another one kept whole.
                let (last, first) = text.split_once(',')?;
                let given = words(first);
                if given.len() < 2 {
                    return None;
                }
                let &i = (0..given.len()).collect::<Vec<_>>().choose(rng)?;
                let mut given = given;
                given[i] = format!("{}.", given[i].chars().next()?);
                return Some(format!("{}, {}", last, given.join(" ")));
            }
            let known: Vec<usize> = (0..w.len())
                .filter(|&i| abbreviation(&w[i]).is_some())
                .collect();
            let &i = known.choose(rng)?;
            let options = abbreviation(&w[i])?;
            w[i] = (*options.choose(rng)?).to_owned();
            Some(w.join(" "))
        }
        Op::Accents => {
            let mut out = String::new();
            let mut changed = 0;
            for c in text.chars() {
                let upper = c.to_ascii_uppercase();
                match ACCENTED.iter().find(|(base, _)| *base == upper) {
                    Some((_, options)) if changed < 3 && rng.gen_bool(0.3) => {
                        let accented = *options.choose(rng)?;
                        if c.is_lowercase() {
                            out.extend(accented.to_lowercase());
                        } else {
                            out.push(accented);
                        }
                        changed += 1;
                    }
                    _ => out.push(c),
                }
            }
            (changed > 0).then_some(out)
        }
        Op::Transliterate => {
            let candidates: Vec<usize> =
                (0..w.len()).filter(|&i| distinctive_word(&w[i])).collect();
            let &i = candidates.choose(rng)?;
            let upper = w[i].to_uppercase();
            let applicable: Vec<&(&str, &str)> = TRANSLITERATIONS
                .iter()
                .filter(|(from, _)| upper.contains(from))
                .collect();
            let &&(from, to) = applicable.choose(rng)?;
            let at: Vec<usize> = upper.match_indices(from).map(|(j, _)| j).collect();
            let &j = at.choose(rng)?;
            w[i] = format!("{}{}{}", &upper[..j], to, &upper[j + from.len()..]);
            Some(w.join(" "))
        }
        _ => None,
    }
}

fn title(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

fn abbreviation(word: &str) -> Option<&'static [&'static str]> {
    let bare = word.trim_end_matches([',', '.']).to_uppercase();
    ABBREVIATIONS
        .iter()
        .find(|(long, _)| *long == bare)
        .map(|(_, short)| *short)
}

fn legal_form(text: &str, rng: &mut StdRng) -> Option<String> {
    let upper = text.to_uppercase();
    for family in LEGAL {
        for form in *family {
            let form_upper = form.to_uppercase();
            let boundary = upper.len() > form_upper.len()
                && !upper[..upper.len() - form_upper.len()]
                    .ends_with(|c: char| c.is_alphanumeric());
            if upper.ends_with(&form_upper) && boundary {
                let chars: Vec<char> = text.chars().collect();
                let stem: String = chars[..chars.len() - form.chars().count()].iter().collect();
                let stem = stem.trim_end().trim_end_matches(',').trim_end();
                return Some(match rng.gen_range(0..3) {
                    0 => stem.to_owned(),
                    _ => format!("{stem} {}", family.choose(rng)?),
                });
            }
        }
    }
    let family = LEGAL.choose(rng)?;
    let form = family.choose(rng)?;
    Some(if *form == "OOO" || *form == "ZAO" || rng.gen_bool(0.1) {
        format!("{form} {text}")
    } else {
        format!("{text} {form}")
    })
}

fn typo(word: &str, rng: &mut StdRng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    let i = letters[rng.gen_range(0..letters.len())];
    match rng.gen_range(0..4) {
        0 => {
            chars.remove(i);
        }
        1 => {
            let c = chars[i];
            chars.insert(i, c);
        }
        2 if i + 1 < chars.len() && chars[i + 1].is_alphabetic() => chars.swap(i, i + 1),
        _ => {
            let c = chars[i].to_ascii_uppercase();
            let neighbour = KEYBOARD.iter().find_map(|row| {
                let row: Vec<char> = row.chars().collect();
                let at = row.iter().position(|&r| r == c)?;
                let options: Vec<char> = [at.checked_sub(1), Some(at + 1)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| row.get(j).copied())
                    .collect();
                options.choose(rng).copied()
            });
            if let Some(n) = neighbour {
                chars[i] = if chars[i].is_lowercase() {
                    n.to_ascii_lowercase()
                } else {
                    n
                };
            }
        }
    }
    chars.into_iter().collect()
}

fn compound(w: &mut Vec<String>, rng: &mut StdRng) -> Option<String> {
    let hyphenated: Vec<usize> = (0..w.len()).filter(|&i| w[i].contains('-')).collect();
    if let Some(&i) = hyphenated.choose(rng) {
        w[i] = if rng.gen_bool(0.5) {
            w[i].replace('-', "")
        } else {
            w[i].replace('-', " ")
        };
        return Some(w.join(" "));
    }
    let long: Vec<usize> = (0..w.len())
        .filter(|&i| w[i].chars().all(char::is_alphabetic) && w[i].chars().count() >= 8)
        .collect();
    if !long.is_empty() && (w.len() < 2 || rng.gen_bool(0.5)) {
        let i = *long.choose(rng)?;
        let chars: Vec<char> = w[i].chars().collect();
        let at = rng.gen_range(3..=chars.len() - 3);
        let (a, b) = chars.split_at(at);
        w[i] = format!(
            "{} {}",
            a.iter().collect::<String>(),
            b.iter().collect::<String>()
        );
        return Some(w.join(" "));
    }
    if w.len() < 2 {
        return None;
    }
    let joinable: Vec<usize> = (0..w.len() - 1)
        .filter(|&i| distinctive_word(&w[i]) || distinctive_word(&w[i + 1]))
        .filter(|&i| {
            !legal_word(&w[i].to_uppercase().replace(['.', ','], ""))
                && !legal_word(&w[i + 1].to_uppercase().replace(['.', ','], ""))
        })
        .collect();
    let &i = joinable.choose(rng)?;
    let next = w.remove(i + 1);
    w[i] = format!("{}{}", w[i].trim_end_matches(','), next);
    Some(w.join(" "))
}
