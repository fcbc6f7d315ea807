//! Comparing two names: their words are paired up regardless of order —
//! one to one (equal, same sound, one typo, abbreviation), several to one
//! (a compound written split or merged, an initialism) — and the score is
//! the share of the two names' weight that the pairs cover.
//!
//! Weights come from word rarity, so two names that share only generic
//! words ("International Trading") score low, and two names that differ
//! in one distinctive word score low however much else they share.

use super::edit::bounded_osa;
use super::lexicon::lexicon;
use super::name::{Name, NameKind, Token, TokenClass};
use super::phonetic::phonetic_key;
use super::words::{token_similarity, How};

/// How two names' words were paired: what a person reads as the reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    pub phonetic: bool,
    pub typo: bool,
    pub compound: bool,
    pub abbreviation: bool,
    pub initialism: bool,
    pub initial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NameComparison {
    /// Share of both names' weight covered by paired words, each pair
    /// counted by its similarity: 0 to 1.
    pub score: f32,
    /// Significant words (not legal forms or particles) of the longer
    /// name that found a pair, and how many it has.
    pub matched: usize,
    pub total: usize,
    pub evidence: Evidence,
}

/// A pairing of `a.tokens[a0..a1]` with `b.tokens[b0..b1]`, and with one
/// more token apart from the run when a word is glued from two words that
/// are not neighbours on the other side (`a2`, `b2`).
#[derive(Debug, Clone, Copy)]
struct Link {
    a0: usize,
    a1: usize,
    b0: usize,
    b1: usize,
    a2: Option<usize>,
    b2: Option<usize>,
    sim: f32,
    how: How,
}

impl Link {
    fn run(a0: usize, a1: usize, b0: usize, b1: usize, sim: f32, how: How) -> Self {
        Self {
            a0,
            a1,
            b0,
            b1,
            a2: None,
            b2: None,
            sim,
            how,
        }
    }

    /// How many tokens the link pairs, both sides together.
    fn size(&self) -> usize {
        self.a1 - self.a0 + self.b1 - self.b0
            + usize::from(self.a2.is_some())
            + usize::from(self.b2.is_some())
    }
}

const COMPOUND: f32 = 0.96;
/// Below the match threshold on purpose: three or four initials coincide
/// with some listed acronym for thousands of unrelated names, so an
/// initialism is a reason to look, never a match by itself.
const INITIALISM: f32 = 0.7;
const COMPOUND_TYPO: f32 = 0.86;
/// A word glued to an abbreviation of the next ("Reempharma").
const GLUED_ABBREVIATION: f32 = 0.92;
/// A person's name glued to the initial of another ("Nikitag"): above a
/// typo, which would pair "Nikitag" with "Nikita" alone and leave the
/// name the initial stands for unpaired.
const GLUED_INITIAL: f32 = 0.86;
/// The weakest pairing of a person's words that still lets the other name
/// leave out middle names: a short name in another romanisation or one
/// typo, not a guess.
const FORGIVING: f32 = 0.84;
/// The share of its weight a person's middle name keeps when the other
/// name leaves it out.
const PERSON_EXTRA: f32 = 0.4;
/// How much a distinctive word left over on each side costs, per unit of
/// the lighter side's left-over weight.
const CONFLICT: f32 = 0.25;
/// The same for persons, whose given names are few and telling.
const PERSON_CONFLICT: f32 = 0.4;
/// The most two names sharing only generic words can score.
const GENERIC_ONLY: f32 = 0.7;

/// Compares two prepared names.
pub fn compare_names(a: &Name, b: &Name) -> NameComparison {
    let kinds = [a.kind, b.kind];
    let persons = kinds.contains(&NameKind::Person) && !kinds.contains(&NameKind::Organisation);
    let mut links: Vec<Link> = Vec::with_capacity(a.tokens.len() * b.tokens.len() / 2 + 4);
    for (i, ta) in a.tokens.iter().enumerate() {
        for (j, tb) in b.tokens.iter().enumerate() {
            if let Some((sim, how)) = token_similarity(ta, tb, persons) {
                links.push(Link::run(i, i + 1, j, j + 1, sim, how));
            }
        }
    }
    compounds(&a.tokens, &b.tokens, false, &mut links);
    compounds(&b.tokens, &a.tokens, true, &mut links);
    resegmented(&a.tokens, &b.tokens, &mut links);
    glued(&a.tokens, &b.tokens, persons, false, &mut links);
    glued(&b.tokens, &a.tokens, persons, true, &mut links);
    if !persons {
        initialisms(&a.tokens, &b.tokens, false, &mut links);
        initialisms(&b.tokens, &a.tokens, true, &mut links);
    }
    // Compounds spelt the same come first ("Sci Entific" / "Scientific" must
    // not pair "Sci" with "Scientific" as an abbreviation and leave
    // "Entific" alone), then words spelt the same, then the rest by
    // similarity.
    // A particle ("al", "bin") spelt the same is paired last: it must not
    // take the "al" that "Al Mujil" needs to meet "Almujil".
    let rank = |l: &Link| match l.how {
        How::Compound if l.sim >= COMPOUND => 3.0,
        How::Exact
            if l.a1 - l.a0 == 1
                && a.tokens[l.a0].raw == b.tokens[l.b0].raw
                && a.tokens[l.a0].class != TokenClass::Particle =>
        {
            2.5
        }
        How::Exact if a.tokens[l.a0].class == TokenClass::Particle => 0.5,
        _ => l.sim,
    };
    links.sort_by(|x, y| rank(y).total_cmp(&rank(x)).then(y.size().cmp(&x.size())));

    let (mut used_a_buf, mut used_b_buf) = ([false; 64], [false; 64]);
    let mut used_a_vec;
    let mut used_b_vec;
    let used_a: &mut [bool] = if a.tokens.len() <= 64 {
        &mut used_a_buf[..a.tokens.len()]
    } else {
        used_a_vec = vec![false; a.tokens.len()];
        &mut used_a_vec
    };
    let used_b: &mut [bool] = if b.tokens.len() <= 64 {
        &mut used_b_buf[..b.tokens.len()]
    } else {
        used_b_vec = vec![false; b.tokens.len()];
        &mut used_b_vec
    };
    let (mut covered, mut weight) = (0.0f32, 0.0f32);
    let mut evidence = Evidence::default();
    let mut weakest = 1.0f32;
    let taken = |used: &[bool], from: usize, to: usize, apart: Option<usize>| {
        used[from..to].iter().any(|&u| u) || apart.is_some_and(|i| used[i])
    };
    let weigh = |tokens: &[Token], from: usize, to: usize, apart: Option<usize>| -> f32 {
        tokens[from..to].iter().map(|t| t.weight).sum::<f32>()
            + apart.map_or(0.0, |i| tokens[i].weight)
    };
    for link in &links {
        if taken(used_a, link.a0, link.a1, link.a2) || taken(used_b, link.b0, link.b1, link.b2) {
            continue;
        }
        used_a[link.a0..link.a1].iter_mut().for_each(|u| *u = true);
        used_b[link.b0..link.b1].iter_mut().for_each(|u| *u = true);
        for (used, apart) in [(&mut *used_a, link.a2), (&mut *used_b, link.b2)] {
            if let Some(i) = apart {
                used[i] = true;
            }
        }
        let wa = weigh(&a.tokens, link.a0, link.a1, link.a2);
        let wb = weigh(&b.tokens, link.b0, link.b1, link.b2);
        // A misspelt word is unknown to the statistics and so looks rare:
        // a pair weighs what its lighter side weighs.
        let w = 2.0 * wa.min(wb);
        covered += link.sim * w;
        if w > 0.0 {
            weakest = weakest.min(link.sim);
        }
        weight += w;
        match link.how {
            How::Exact => {}
            How::Phonetic => evidence.phonetic = true,
            How::Typo => evidence.typo = true,
            How::Compound => evidence.compound = true,
            How::Abbreviation => evidence.abbreviation = true,
            How::Initialism => evidence.initialism = true,
            How::Initial => evidence.initial = true,
        }
    }
    let unpaired = |tokens: &[Token], used: &[bool]| -> f32 {
        tokens
            .iter()
            .zip(used)
            .filter(|(_, &u)| !u)
            .map(|(t, _)| t.weight)
            .sum()
    };
    // A person's name is often given without its middle names: what the
    // longer name has beyond the shorter one counts for less, once all of
    // the shorter one's words have been found, each one surely.
    let (mut extra_a, mut extra_b) = (unpaired(&a.tokens, used_a), unpaired(&b.tokens, used_b));
    let (distinct_a, distinct_b) = (
        unpaired_words(&a.tokens, used_a),
        unpaired_words(&b.tokens, used_b),
    );
    let paired_words = |tokens: &[Token], used: &[bool]| {
        tokens
            .iter()
            .zip(used)
            .filter(|(t, &u)| u && !matches!(t.class, TokenClass::Legal | TokenClass::Particle))
            .count()
    };
    let forgiving = persons
        && weakest >= FORGIVING
        && paired_words(&a.tokens, used_a).min(paired_words(&b.tokens, used_b)) >= 2;
    if forgiving {
        if distinct_b == 0.0 && a.significant() > b.significant() {
            extra_a *= PERSON_EXTRA;
        } else if distinct_a == 0.0 && b.significant() > a.significant() {
            extra_b *= PERSON_EXTRA;
        }
    }
    weight += extra_a + extra_b;
    let mut score = if weight > 0.0 { covered / weight } else { 0.0 };
    // Each name keeps a distinctive word the other lacks ("Korea Taesong" /
    // "Korea Heungjin", "Noor Barzan" / "Ali Barzan"): two actors that
    // share the rest, not one actor spelt two ways.
    // For persons an initial counts too: "Y. Sabawi" is not "Ayman Sabawi".
    let conflict = if persons {
        let with_initials = |tokens: &[Token], used: &[bool]| -> f32 {
            tokens
                .iter()
                .zip(used)
                .filter(|(t, &u)| {
                    !u && matches!(
                        t.class,
                        TokenClass::Word | TokenClass::Number | TokenClass::Initial
                    )
                })
                .map(|(t, _)| t.weight.max(0.5))
                .sum()
        };
        PERSON_CONFLICT * with_initials(&a.tokens, used_a).min(with_initials(&b.tokens, used_b))
    } else {
        CONFLICT * distinct_a.min(distinct_b)
    };
    score *= 1.0 - conflict.min(0.5);
    // Names that share only generic words ("Chemical Group") are the same
    // name only when nothing else is left over on either side.
    let distinctive = |t: &Token| matches!(t.class, TokenClass::Word | TokenClass::Number);
    let paired_distinctive = a
        .tokens
        .iter()
        .zip(used_a.iter())
        .any(|(t, &u)| u && distinctive(t))
        || b.tokens
            .iter()
            .zip(used_b.iter())
            .any(|(t, &u)| u && distinctive(t));
    let left_over = |tokens: &[Token], used: &[bool]| {
        tokens.iter().zip(used).any(|(t, &u)| {
            !u && matches!(
                t.class,
                TokenClass::Word | TokenClass::Number | TokenClass::Generic
            )
        })
    };
    if !paired_distinctive && (left_over(&a.tokens, used_a) || left_over(&b.tokens, used_b)) {
        score = score.min(GENERIC_ONLY);
    }

    let significant = |t: &Token| !matches!(t.class, TokenClass::Legal | TokenClass::Particle);
    let count = |tokens: &[Token], used: &[bool]| {
        let total = tokens.iter().filter(|t| significant(t)).count();
        let matched = tokens
            .iter()
            .zip(used)
            .filter(|(t, &u)| u && significant(t))
            .count();
        (matched, total)
    };
    let (ma, ta) = count(&a.tokens, used_a);
    let (mb, tb) = count(&b.tokens, used_b);
    let (matched, total) = if ta >= tb { (ma, ta) } else { (mb, tb) };
    NameComparison {
        score: score.clamp(0.0, 1.0),
        matched,
        total,
        evidence,
    }
}

/// The weight of the distinctive words left unpaired.
fn unpaired_words(tokens: &[Token], used: &[bool]) -> f32 {
    tokens
        .iter()
        .zip(used)
        .filter(|(t, &u)| !u && matches!(t.class, TokenClass::Word | TokenClass::Number))
        .map(|(t, _)| t.weight)
        .sum()
}

/// Runs of two or three words on one side written as one word on the other:
/// "Bio Tech" / "Biotech", "Al Qaida" / "Alqaeda".
fn compounds(x: &[Token], y: &[Token], swapped: bool, links: &mut Vec<Link>) {
    let mut joined = String::new();
    for start in 0..x.len() {
        joined.clear();
        for (end, part) in x.iter().enumerate().skip(start).take(3) {
            joined.push_str(&part.raw);
            if end == start {
                continue;
            }
            let mut joined_key: Option<String> = None;
            for (j, t) in y.iter().enumerate() {
                if joined.len().abs_diff(t.raw.len()) > 2 {
                    continue;
                }
                let sim = if joined == t.raw {
                    COMPOUND
                } else if joined.len() >= 6
                    && (bounded_osa(joined.as_bytes(), t.raw.as_bytes(), 1).is_some()
                        // By sound only when long: "Su Yong" is not "Song".
                        || joined.len() >= 8
                            && *joined_key.get_or_insert_with(|| phonetic_key(&joined)) == t.raw_key)
                {
                    COMPOUND_TYPO
                } else {
                    continue;
                };
                links.push(oriented(
                    start,
                    end + 1,
                    j,
                    j + 1,
                    sim,
                    How::Compound,
                    swapped,
                ));
            }
        }
    }
}

/// The longest run of words [`resegmented`] looks at on either side: a
/// name's last word run into a legal form of several words
/// ("IGNACIOS.P.R. DE R.L. DE C.V.") needs six.
const RESEGMENT_RUN: usize = 6;

/// Runs of several words on both sides that are the same letters cut in
/// other places: "Boreals.P.R." / "Boreal S.P.R.", "Cubanacanu.K." /
/// "Cubanacan U.K.", where a space moved or was lost next to dotted
/// initials. Spelt the same letter for letter, as a moved space changes
/// nothing else.
fn resegmented(a: &[Token], b: &[Token], links: &mut Vec<Link>) {
    if a.len() < 2 || b.len() < 2 {
        return;
    }
    let starts = |tokens: &[Token]| -> Vec<usize> {
        let mut at = Vec::with_capacity(tokens.len() + 1);
        at.push(0);
        for t in tokens {
            at.push(at[at.len() - 1] + t.raw.len());
        }
        at
    };
    let (sa, sb) = (starts(a), starts(b));
    let joined = |tokens: &[Token], from: usize, to: usize| -> String {
        tokens[from..to].iter().map(|t| t.raw.as_str()).collect()
    };
    for a0 in 0..a.len() {
        for b0 in 0..b.len() {
            if a[a0].raw.as_bytes().first() != b[b0].raw.as_bytes().first()
                || a[a0].raw == b[b0].raw
            {
                // A run that starts with the same word is that word's
                // pairing followed by another run.
                continue;
            }
            for a1 in a0 + 2..=(a0 + RESEGMENT_RUN).min(a.len()) {
                let len = sa[a1] - sa[a0];
                for b1 in b0 + 2..=(b0 + RESEGMENT_RUN).min(b.len()) {
                    if sb[b1] - sb[b0] != len {
                        continue;
                    }
                    if joined(a, a0, a1) == joined(b, b0, b1) {
                        links.push(Link::run(a0, a1, b0, b1, COMPOUND, How::Compound));
                    }
                }
            }
        }
    }
}

/// A word on one side made of the initials of a run of words on the other:
/// "IRGC" / "Islamic Revolutionary Guard Corps". Particles and legal forms
/// in the run may be skipped or counted.
fn initialisms(x: &[Token], y: &[Token], swapped: bool, links: &mut Vec<Link>) {
    for (i, t) in x.iter().enumerate() {
        let letters = t.raw.as_bytes();
        let candidate = matches!(t.class, TokenClass::Word | TokenClass::Generic)
            && (2..=6).contains(&letters.len())
            && letters.iter().all(u8::is_ascii_alphabetic);
        if !candidate {
            continue;
        }
        for start in 0..y.len() {
            if y[start].raw.as_bytes().first() != Some(&letters[0]) {
                continue;
            }
            if let Some(end) = run_end(&letters[1..], y, start + 1) {
                if end - start >= 2 {
                    links.push(oriented(
                        i,
                        i + 1,
                        start,
                        end,
                        INITIALISM,
                        How::Initialism,
                        swapped,
                    ));
                }
            }
        }
    }
}

fn run_end(letters: &[u8], y: &[Token], j: usize) -> Option<usize> {
    let Some(&first) = letters.first() else {
        return Some(j);
    };
    let token = y.get(j)?;
    if token.raw.as_bytes().first() == Some(&first) {
        if let Some(end) = run_end(&letters[1..], y, j + 1) {
            return Some(end);
        }
    }
    if matches!(token.class, TokenClass::Particle | TokenClass::Legal) {
        return run_end(letters, y, j + 1);
    }
    None
}

fn oriented(x0: usize, x1: usize, y0: usize, y1: usize, sim: f32, how: How, swapped: bool) -> Link {
    if swapped {
        Link::run(y0, y1, x0, x1, sim, how)
    } else {
        Link::run(x0, x1, y0, y1, sim, how)
    }
}

/// Whether a token can be one part of a word glued from two.
fn gluable(t: &Token) -> bool {
    matches!(
        t.class,
        TokenClass::Word | TokenClass::Number | TokenClass::Generic
    ) && t.raw.len() >= 2
}

/// A word on one side glued from two words of the other that are not
/// neighbours in that order ("Shippingellissa" / "Ellissa Shipping",
/// "Iraniandevelopment Titanium" / "Iranian Titanium Development"), or
/// whose second part is written otherwise: abbreviated ("Reempharma" /
/// "Reem Pharmaceutical"), misspelt ("Groupinvestmenc" / "Group
/// Investments"), or for a person a name's initial ("Nikitag" / "Nikita
/// Gennadievitch"). Neighbours in order are `compounds`' case.
fn glued(x: &[Token], y: &[Token], persons: bool, swapped: bool, links: &mut Vec<Link>) {
    if y.len() < 2 {
        return;
    }
    let lexicon = lexicon();
    for (i, t) in x.iter().enumerate() {
        if t.raw.len() < 5 || !matches!(t.class, TokenClass::Word | TokenClass::Number) {
            continue;
        }
        for (j, u) in y.iter().enumerate() {
            if !gluable(u) || t.raw.len() <= u.raw.len() || !t.raw.starts_with(u.raw.as_str()) {
                continue;
            }
            let rest = &t.raw[u.raw.len()..];
            for (k, v) in y.iter().enumerate() {
                if k == j || k == j + 1 && rest == v.raw {
                    continue;
                }
                let sim = if !gluable(v) {
                    continue;
                } else if rest == v.raw {
                    COMPOUND
                } else if rest.len() >= 2 && lexicon.canonical(rest) == v.text {
                    GLUED_ABBREVIATION
                } else if rest.len() >= 6
                    && (bounded_osa(rest.as_bytes(), v.raw.as_bytes(), 1).is_some()
                        || bounded_osa(rest.as_bytes(), v.text.as_bytes(), 1).is_some())
                {
                    COMPOUND_TYPO
                } else if persons && rest.len() == 1 && v.raw.len() > 1 && v.raw.starts_with(rest) {
                    GLUED_INITIAL
                } else {
                    continue;
                };
                let (x_side, y_side) = ((i, i + 1, None), (j, j + 1, Some(k)));
                let ((a0, a1, a2), (b0, b1, b2)) = if swapped {
                    (y_side, x_side)
                } else {
                    (x_side, y_side)
                };
                links.push(Link {
                    a0,
                    a1,
                    b0,
                    b1,
                    a2,
                    b2,
                    sim,
                    how: How::Compound,
                });
            }
        }
    }
}
