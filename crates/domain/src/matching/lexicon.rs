//! The words that name structure rather than identity: legal forms in many
//! languages and jurisdictions, abbreviations of common business words,
//! generic words that many unrelated companies share, and particles.
//!
//! Legal forms are reduced to one canonical token per family, so `OOO`,
//! `LLC` and `Obshchestvo s Ogranichennoy Otvetstvennostyu` are the same
//! thing, and then carry no weight: two names that differ only in their
//! legal form are the same name.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::edit::bounded_osa;
use super::phonetic::phonetic_key;

/// Legal forms as folded token sequences (see `fold`), each with its
/// family's canonical token. Multi-word forms are matched longest first, so
/// `s a de c v` wins over `s a`.
#[rustfmt::skip]
const LEGAL_FORMS: &[(&str, &str)] = &[
    // The word "company" in the languages of the list and of trade.
    ("company", "co"), ("co", "co"), ("cos", "co"), ("compania", "co"), ("cia", "co"),
    ("compagnie", "co"), ("cie", "co"), ("companhia", "co"), ("compania limitada", "ltd"),
    ("kompaniya", "co"), ("kompania", "co"), ("firma", "co"), ("sherkat", "co"),
    ("sherkate", "co"), ("sherkat e", "co"), ("shirkat", "co"), ("sharikat", "co"),
    ("sharikah", "co"), ("sharika", "co"), ("gongsi", "co"), ("corp", "corp"),
    ("corporation", "corp"), ("corporacion", "corp"), ("corporacao", "corp"),
    ("korporatsiya", "corp"), ("inc", "inc"), ("incorporated", "inc"),
    // Private companies limited by shares.
    ("ltd", "ltd"), ("limited", "ltd"), ("ltda", "ltd"), ("lda", "ltd"), ("ltee", "ltd"),
    ("limitee", "ltd"), ("pte", "ltd"), ("pte ltd", "ltd"), ("pvt", "ltd"), ("pvt ltd", "ltd"),
    ("private", "ltd"), ("private limited", "ltd"), ("pty", "ltd"), ("pty ltd", "ltd"),
    ("sdn", "ltd"), ("sdn bhd", "ltd"), ("bhd", "ltd"), ("berhad", "ltd"),
    ("sendirian berhad", "ltd"), ("pt", "ltd"), ("perseroan terbatas", "ltd"), ("kk", "ltd"),
    ("kabushiki kaisha", "ltd"), ("yk", "ltd"), ("youxian", "ltd"), ("youxian gongsi", "ltd"),
    ("youxian zeren gongsi", "llc"),
    // Limited liability companies.
    ("llc", "llc"), ("l l c", "llc"), ("limited liability company", "llc"),
    ("limited liability co", "llc"), ("ooo", "llc"),
    ("obshchestvo s ogranichennoy otvetstvennostyu", "llc"),
    ("obshchestvo s ogranichennoi otvetstvennostyu", "llc"),
    ("obshchestvo s ogranichennoj otvetstvennostju", "llc"), ("tov", "llc"), ("gmbh", "llc"),
    ("gesellschaft mit beschrankter haftung", "llc"), ("sarl", "llc"), ("s a r l", "llc"),
    ("sagl", "llc"), ("srl", "llc"), ("s r l", "llc"), ("sro", "llc"), ("s r o", "llc"),
    ("spzoo", "llc"), ("sp z o o", "llc"), ("sp zoo", "llc"), ("sp z oo", "llc"),
    ("spolka z ograniczona odpowiedzialnoscia", "llc"), ("bv", "llc"), ("b v", "llc"),
    ("kft", "llc"), ("doo", "llc"), ("d o o", "llc"), ("eood", "llc"), ("ood", "llc"),
    ("s de rl", "llc"), ("s de r l", "llc"), ("s de rl de cv", "llc"), ("s de r l de c v", "llc"),
    ("wll", "llc"), ("w l l", "llc"), ("aps", "llc"), ("fz llc", "fze"), ("fzllc", "fze"),
    // Joint-stock and public companies.
    ("jsc", "jsc"), ("cjsc", "jsc"), ("ojsc", "jsc"), ("pjsc", "jsc"), ("pjs", "jsc"),
    ("ao", "jsc"), ("zao", "jsc"), ("oao", "jsc"), ("pao", "jsc"),
    ("aktsionernoye obshchestvo", "jsc"), ("aktsionernoe obshchestvo", "jsc"),
    ("zakrytoye aktsionernoye obshchestvo", "jsc"), ("zakrytoe aktsionernoe obshchestvo", "jsc"),
    ("otkrytoye aktsionernoye obshchestvo", "jsc"), ("otkrytoe aktsionernoe obshchestvo", "jsc"),
    ("publichnoye aktsionernoye obshchestvo", "jsc"),
    ("publichnoe aktsionernoe obshchestvo", "jsc"), ("joint stock company", "jsc"),
    ("joint stock co", "jsc"), ("closed joint stock company", "jsc"),
    ("open joint stock company", "jsc"), ("public joint stock company", "jsc"),
    ("private joint stock company", "jsc"), ("sahami khass", "jsc"), ("sahami aam", "jsc"),
    ("sahami", "jsc"), ("gufen", "jsc"), ("gufen youxian gongsi", "jsc"), ("ag", "jsc"),
    ("aktiengesellschaft", "jsc"), ("sa", "jsc"), ("s a", "jsc"), ("sociedad anonima", "jsc"),
    ("societe anonyme", "jsc"), ("sa de cv", "jsc"), ("s a de c v", "jsc"), ("sa de c v", "jsc"),
    ("s a de cv", "jsc"), ("sab de cv", "jsc"), ("s a b de c v", "jsc"), ("sapi de cv", "jsc"),
    ("s a p i de c v", "jsc"), ("sas", "jsc"), ("s a s", "jsc"), ("saa", "jsc"), ("sac", "jsc"),
    ("s a c", "jsc"), ("sae", "jsc"), ("s a e", "jsc"), ("sal", "jsc"), ("s a l", "jsc"),
    ("spa", "jsc"), ("s p a", "jsc"), ("societa per azioni", "jsc"), ("nv", "jsc"),
    ("n v", "jsc"), ("plc", "jsc"), ("p l c", "jsc"), ("public limited company", "jsc"),
    ("public company limited", "jsc"), ("pcl", "jsc"), ("tbk", "jsc"), ("asa", "jsc"),
    ("ab", "jsc"), ("oy", "jsc"), ("oyj", "jsc"), ("ead", "jsc"), ("psc", "jsc"), ("qsc", "jsc"),
    ("qpsc", "jsc"), ("bsc", "jsc"), ("saog", "jsc"), ("saoc", "jsc"),
    // Partnerships.
    ("lp", "lp"), ("llp", "lp"), ("l p", "lp"), ("kg", "lp"), ("kgaa", "lp"), ("ohg", "lp"),
    ("gbr", "lp"), ("snc", "lp"), ("scs", "lp"), ("cv", "lp"), ("limited partnership", "lp"),
    // Free-zone establishments of the Gulf.
    ("fze", "fze"), ("fzco", "fze"), ("fzc", "fze"), ("fz co", "fze"),
    ("free zone establishment", "fze"), ("free zone company", "fze"), ("est", "est"),
    ("establishment", "est"),
    // Colombia's trading companies and sole proprietorships.
    ("ci", "ci"), ("c i", "ci"), ("eirl", "eirl"), ("e i r l", "eirl"),
    ("coop", "coop"), ("jointstock", "jsc"), ("jointstock company", "jsc"),
    ("joint stock", "jsc"), ("ltd liability company", "llc"), ("ltd liability co", "llc"),
    ("sociedad anonima de capital variable", "jsc"), ("obshchestvo", "co"),
    ("aktsionernoe", "jsc"), ("aktsionernoye", "jsc"), ("zakrytoe", "jsc"), ("zakrytoye", "jsc"),
    ("otkrytoe", "jsc"), ("otkrytoye", "jsc"), ("publichnoe", "jsc"), ("publichnoye", "jsc"),
    ("obshchestvo s ogranichennoy", "llc"), ("obshchestvo s ogranichennoi", "llc"),
    ("tovarystvo", "llc"), ("eood", "llc"), ("sociedad de responsabilidad limitada", "llc"),
    ("sociedad por acciones simplificada", "jsc"), ("sociedad anonima cerrada", "jsc"),
    // Words found only in legal forms, legal wherever they stand (a legal
    // form's words get shuffled and split as much as a name's).
    ("ogranichennoi", "llc"), ("ogranichennoy", "llc"), ("ogranichennoj", "llc"),
    ("otvetstvennostyu", "llc"), ("otvetstvennostju", "llc"), ("anonima", "jsc"),
    ("sociedad", "co"), ("responsabilidad", "llc"), ("limitada", "ltd"),
    ("gesellschaft", "co"), ("beschrankter", "llc"), ("haftung", "llc"), ("joint", "jsc"),
    ("stock", "jsc"), ("acciones", "jsc"), ("simplificada", "jsc"), ("rl", "llc"),
];

/// Abbreviations and translations of common business words, each mapped to
/// one canonical spelling so `Intl`, `Int'l`, `Internacional` and
/// `International` compare equal.
#[rustfmt::skip]
const CANONICAL: &[(&str, &[&str])] = &[
    ("international", &["intl", "internacional", "internationale", "internazionale", "intern"]),
    ("technology", &[
        "tech", "techn", "technologies", "tecnologia", "tecnologias", "technologie", "technik",
        "tekhnologii", "tekhnologiya",
    ]),
    ("pharmaceutical", &[
        "pharm", "pharma", "pharmaceuticals", "pharmaceutica", "farma", "farmaceutica",
        "farmaceuticos", "pharmaceutique", "pharmazeutische",
    ]),
    ("chemical", &[
        "chem", "chems", "chemicals", "chemie", "chimie", "quimica", "quimicos", "quimicas",
        "chimica", "khimiya",
    ]),
    ("industry", &[
        "ind", "inds", "indus", "industries", "industrial", "industria", "industrias",
        "industriale", "industrielle", "industriya", "sanaye", "sanayi",
    ]),
    ("trading", &["trade", "traders", "trdg", "tradings"]),
    ("import", &["imports", "importacion", "importaciones", "importing", "importers", "importer"]),
    ("export", &["exports", "exportacion", "exportaciones", "exporting", "exporters", "exporter"]),
    ("group", &["grp", "grupo", "gruppe", "groupe", "gruppa", "jituan"]),
    ("holding", &["holdings", "hldg", "hldgs"]),
    ("manufacturing", &["mfg", "mfr", "manufacturer", "manufacturers", "manufacture"]),
    ("engineering", &["engg", "ingenieria"]),
    ("development", &["dev", "devt", "desarrollo", "developments"]),
    ("national", &["natl", "nacional", "nationale", "nazionale"]),
    ("general", &["gen", "genl"]),
    ("brothers", &["bros", "hermanos"]),
    ("association", &["assn", "assoc", "asociacion"]),
    ("department", &["dept", "dpt"]),
    ("services", &["svc", "svcs", "service", "servicios", "servicos"]),
    ("management", &["mgmt", "mgt"]),
    ("investment", &["inv", "invest", "investments", "inversiones", "investimentos"]),
    ("logistics", &["logistic", "logistica"]),
    ("equipment", &["equip", "equipments", "equipos"]),
    ("machinery", &["mach", "machineries"]),
    ("products", &["prod", "prods", "product", "productos", "produits"]),
    ("electronics", &["elec", "electronic", "electronica"]),
    ("commercial", &["comercial", "comercializadora", "commerciale"]),
    ("enterprise", &["enterprises", "ent", "entreprise"]),
    ("university", &["univ", "universidad"]),
    ("institute", &["inst", "instituto", "institut"]),
    ("science", &["sci", "sciences", "scientific"]),
    ("shipping", &["shpg"]),
    ("organization", &["org", "organisation", "organizacion", "organizatsiya"]),
    ("laboratory", &["lab", "labs", "laboratories", "laboratorio", "laboratorios"]),
    ("and", &["y", "et", "und", "va", "wa"]),
];

/// Canonical words shared by many unrelated companies: alone they never
/// make two names the same. Their weight is capped whatever the statistics
/// say, which matters most when a small parties table has no statistics yet.
#[rustfmt::skip]
const GENERIC: &[&str] = &[
    "trading", "international", "import", "export", "group", "holding", "industry",
    "pharmaceutical", "chemical", "technology", "manufacturing", "engineering", "development",
    "national", "general", "services", "management", "investment", "logistics", "equipment",
    "machinery", "products", "electronics", "commercial", "enterprise", "global", "world",
    "worldwide", "universal", "united", "new", "shipping", "transport", "supply", "supplies",
    "solutions", "systems", "resources", "bio", "biotech", "biotechnology", "medical", "health",
    "science", "materials", "material", "factory", "works", "center", "centre", "agency",
    "office", "partners", "associates", "overseas", "economic", "commerce", "business",
    "consulting", "construction", "textile", "foods", "food", "energy", "petroleum", "oil", "gas",
    "marine", "line", "lines", "express", "star", "bank", "sanat", "tejarat", "bazargani",
    "public", "open", "closed", "liability", "cooperative",
];

/// Particles and conjunctions: kept so initialisms and word order still
/// see them, but they carry almost no weight.
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "and", "of", "the", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "des", "la",
    "le", "les", "el", "al", "der", "die", "den", "van", "von", "for", "in", "on", "at", "e", "a",
    "bin", "ibn", "bint", "ben", "ul", "ud", "ur",
];

pub(crate) struct Lexicon {
    /// Legal form phrases by their first token, longest first.
    legal: HashMap<&'static str, Vec<(Vec<&'static str>, &'static str)>>,
    canonical: HashMap<&'static str, &'static str>,
    /// Long one-word legal forms and business words, and each of them with
    /// one letter deleted: finds the known word a misspelt one stands for.
    near: HashMap<String, Vec<Known>>,
    /// Every written form of each canonical word and legal form (a legal
    /// form's words joined, as a token's `raw` joins them), with its
    /// phonetic key: what a word written in yet another way is compared
    /// with.
    families: HashMap<&'static str, Vec<(String, String)>>,
}

/// A known word a misspelling may stand for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Known {
    pub word: &'static str,
    /// The canonical legal form, when the word is one.
    pub legal: Option<&'static str>,
    /// The canonical spelling, when it is a business word.
    pub canonical: &'static str,
}

pub(crate) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut legal: HashMap<&str, Vec<(Vec<&str>, &str)>> = HashMap::new();
        for (phrase, canon) in LEGAL_FORMS {
            let words: Vec<&str> = phrase.split(' ').collect();
            legal.entry(words[0]).or_default().push((words, canon));
        }
        for phrases in legal.values_mut() {
            phrases.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        }
        let mut canonical = HashMap::new();
        for (canon, variants) in CANONICAL {
            canonical.insert(*canon, *canon);
            for variant in *variants {
                canonical.insert(*variant, *canon);
            }
        }
        let mut known: Vec<Known> = LEGAL_FORMS
            .iter()
            .filter(|(phrase, _)| !phrase.contains(' ') && phrase.len() >= 5)
            .map(|(word, canon)| Known {
                word,
                legal: Some(canon),
                canonical: canon,
            })
            .collect();
        known.extend(
            canonical
                .iter()
                .filter(|(word, canon)| word.len() >= 6 && is_generic(canon))
                .map(|(word, canon)| Known {
                    word,
                    legal: None,
                    canonical: canon,
                }),
        );
        known.extend(GENERIC.iter().filter(|w| w.len() >= 6).map(|word| Known {
            word,
            legal: None,
            canonical: word,
        }));
        let mut near: HashMap<String, Vec<Known>> = HashMap::new();
        for k in known {
            for variant in std::iter::once(k.word.to_owned()).chain(deletions(k.word)) {
                near.entry(variant).or_default().push(k);
            }
        }
        let mut families: HashMap<&'static str, Vec<(String, String)>> = HashMap::new();
        let forms = LEGAL_FORMS
            .iter()
            .map(|(phrase, canon)| (phrase.replace(' ', ""), *canon))
            .chain(
                canonical
                    .iter()
                    .map(|(word, canon)| ((*word).to_owned(), *canon)),
            );
        for (form, canon) in forms {
            let family = families.entry(canon).or_default();
            if !family.iter().any(|(f, _)| *f == form) {
                let key = phonetic_key(&form);
                family.push((form, key));
            }
        }
        Lexicon {
            legal,
            canonical,
            near,
            families,
        }
    })
}

impl Lexicon {
    /// The legal form starting at `tokens[0]`, if any: how many tokens it
    /// spans and its canonical token.
    pub(crate) fn legal_form_at(&self, tokens: &[String]) -> Option<(usize, &'static str)> {
        let phrases = self.legal.get(tokens.first()?.as_str())?;
        phrases.iter().find_map(|(words, canon)| {
            let fits = words.len() <= tokens.len()
                && words.iter().zip(tokens).all(|(w, t)| *w == t.as_str());
            fits.then_some((words.len(), *canon))
        })
    }

    /// The canonical spelling of a word (itself when it has none).
    pub(crate) fn canonical<'a>(&self, word: &'a str) -> &'a str {
        match self.canonical.get(word) {
            Some(canon) => canon,
            None => word,
        }
    }
}

impl Lexicon {
    /// Every written form of the canonical word or legal form `canon`, each
    /// with its phonetic key; empty for a word the lexicon does not know.
    pub(crate) fn family(&self, canon: &str) -> &[(String, String)] {
        self.families.get(canon).map_or(&[], Vec::as_slice)
    }

    /// Whether the lexicon knows `word` as written: a canonical word, an
    /// abbreviation or translation of one, or a one-word legal form.
    pub(crate) fn knows(&self, word: &str) -> bool {
        self.canonical.contains_key(word)
            || self
                .legal
                .get(word)
                .is_some_and(|phrases| phrases.iter().any(|(words, _)| words.len() == 1))
    }

    /// The known legal form or business word that `word` misspells by one
    /// letter (missing, extra, wrong or swapped), if any.
    pub(crate) fn near_miss(&self, word: &str) -> Option<Known> {
        if word.len() < 5 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        std::iter::once(word.to_owned())
            .chain(deletions(word))
            .filter_map(|variant| self.near.get(&variant))
            .flatten()
            .find(|k| bounded_osa(word.as_bytes(), k.word.as_bytes(), 1).is_some())
            .copied()
    }
}

fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    (0..word.len()).map(move |i| {
        let mut deleted = word.to_owned();
        deleted.remove(i);
        deleted
    })
}

/// Legal forms that get written glued to the name ("CITICARLTDA",
/// "OOOROMASHKA"). Only forms no ordinary word ends (or starts) with.
const GLUED_SUFFIXES: &[&str] = &[
    "ltd",
    "ltda",
    "llc",
    "eood",
    "gmbh",
    "jsc",
    "pjsc",
    "ojsc",
    "cjsc",
    "fze",
    "fzco",
    "sarl",
    "bhd",
    "plc",
    "pvt",
    "corp",
    "llp",
    "kft",
    "company",
    "limited",
    "corporation",
];
const GLUED_PREFIXES: &[&str] = &["ooo", "zao", "oao", "pao", "obshchestvo", "aktsionernoe"];

/// A word glued to a legal form, split in two: `citicarltda` →
/// (`citicar`, `ltda`), `oooromashka` → (`ooo`, `romashka`).
pub(crate) fn unglue(word: &str) -> Option<(&str, &str)> {
    if word.len() < 7 || lexicon().canonical.contains_key(word) {
        return None;
    }
    let rest_ok = |rest: &str| rest.len() >= 4 && rest.bytes().all(|b| b.is_ascii_lowercase());
    GLUED_SUFFIXES
        .iter()
        .filter_map(|suffix| {
            word.strip_suffix(suffix)
                .map(|rest| (rest, &word[rest.len()..]))
        })
        .chain(GLUED_PREFIXES.iter().filter_map(|prefix| {
            word.strip_prefix(prefix)
                .map(|rest| (&word[..prefix.len()], rest))
        }))
        .find(|(a, b)| rest_ok(if a.len() > b.len() { a } else { b }) && a.len().min(b.len()) >= 3)
}

pub(crate) fn is_generic(word: &str) -> bool {
    GENERIC.contains(&word)
}

pub(crate) fn is_particle(word: &str) -> bool {
    PARTICLES.contains(&word)
}
