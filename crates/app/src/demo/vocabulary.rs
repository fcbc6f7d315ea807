//! The demonstration's names, places, goods and wording.

/// The agencies of the demonstration, one at every level.
pub(super) const AGENCIES: &[(&str, &str, &str, &str)] = &[
    ("Federal Precursor Task Unit", "federal", "US", "DCFPTU000"),
    (
        "Texas Department of Public Safety",
        "state",
        "TX",
        "TXDPS0000",
    ),
    ("California Highway Patrol", "state", "CA", "CACHP0000"),
    (
        "Puerto Rico Police Bureau",
        "territorial",
        "PR",
        "PRPPB0000",
    ),
    ("City of Phoenix Police", "local", "AZ", "AZPHX0000"),
    ("Tohono O'odham Nation Police", "tribal", "AZ", "AZTON0000"),
];

/// Uncontrolled chemicals that appear on the same manifests as precursors:
/// excipients and solvents. (name, CAS, HS code)
pub(super) const COMMON_CHEMICALS: &[(&str, &str, &str)] = &[
    ("microcrystalline cellulose", "9004-34-6", "3912.90"),
    ("lactose monohydrate", "64044-51-5", "1702.11"),
    ("magnesium stearate", "557-04-0", "2915.70"),
    ("mannitol", "69-65-8", "2905.43"),
    ("sodium bicarbonate", "144-55-8", "2836.30"),
    ("citric acid", "77-92-9", "2918.14"),
    ("dimethyl sulfoxide", "67-68-5", "2930.90"),
    ("ethyl acetate", "141-78-6", "2915.31"),
];

pub(super) const SYLLABLES: &[&str] = &[
    "sheng", "xue", "hua", "long", "tian", "jin", "bao", "feng", "rui", "kang", "xin", "yuan",
    "hai", "tai", "mei", "wei", "guang", "ming",
];
pub(super) const PROVINCES: &[&str] = &[
    "Hebei",
    "Hubei",
    "Wuhan",
    "Shanghai",
    "Zhejiang",
    "Guangzhou",
    "Shenzhen",
    "Tianjin",
];
pub(super) const TRADES: &[&str] = &[
    "Trading",
    "Chemical",
    "Biotech",
    "Pharmaceutical",
    "Import Export",
    "Machinery",
    "Technology",
    "Logistics",
];
pub(super) const FORMS: &[&str] = &[
    "Co., Ltd.",
    "CO LTD",
    "Company Limited",
    "Ltd",
    "LLC",
    "Inc.",
    "S.A. de C.V.",
];
pub(super) const US_NAMES: &[&str] = &[
    "Rio Grande",
    "Desert Sun",
    "Pacific Crest",
    "Lone Star",
    "Sonoran",
    "Coastal",
    "Mesa",
];
pub(super) const US_TRADES: &[&str] = &[
    "Supply",
    "Distribution",
    "Wellness",
    "Nutrition",
    "Packaging",
    "Freight",
];

/// (country, city, UN/LOCODE) of origins, weighted by repetition.
pub(super) const ORIGINS: &[(&str, &str, &str)] = &[
    ("CN", "Shanghai", "CNSHA"),
    ("CN", "Shenzhen", "CNSZX"),
    ("CN", "Wuhan", "CNWUH"),
    ("CN", "Tianjin", "CNTSN"),
    ("CN", "Guangzhou", "CNCAN"),
    ("IN", "Mumbai", "INBOM"),
    ("IN", "Hyderabad", "INHYD"),
    ("DE", "Frankfurt", "DEFRA"),
];
/// Transshipment hubs.
pub(super) const HUBS: &[(&str, &str, &str)] = &[
    ("HK", "Hong Kong", "HKHKG"),
    ("MX", "Manzanillo", "MXZLO"),
    ("MX", "Mexico City", "MXMEX"),
    ("NL", "Rotterdam", "NLRTM"),
    ("AE", "Dubai", "AEDXB"),
    ("CA", "Vancouver", "CAVAN"),
    ("SG", "Singapore", "SGSIN"),
];
/// (state, city, UN/LOCODE) of destinations.
pub(super) const DESTINATIONS: &[(&str, &str, &str)] = &[
    ("US-TX", "Houston", "USHOU"),
    ("US-TX", "El Paso", "USELP"),
    ("US-CA", "Los Angeles", "USLAX"),
    ("US-CA", "San Diego", "USSAN"),
    ("US-AZ", "Phoenix", "USPHX"),
    ("US-AZ", "Nogales", "USNOG"),
    ("US-FL", "Miami", "USMIA"),
    ("US-NY", "New York", "USNYC"),
    ("US-PR", "San Juan", "PRSJU"),
    ("US-IL", "Chicago", "USCHI"),
];
pub(super) const COVER_DESCRIPTIONS: &[&str] = &[
    "industrial dye intermediate",
    "pigment for printing ink",
    "hair care raw material",
    "food additive",
];
pub(super) const HONEST_DESCRIPTIONS: &[&str] = &[
    "pharmaceutical excipient",
    "laboratory reagent",
    "tablet binder",
    "machine parts",
];
pub(super) const CARRIERS: &[&str] = &["DHL", "FedEx", "UPS", "EMS", "Maersk", "CMA CGM"];
pub(super) const IMPRINTS: &[(&str, &str, &str)] = &[
    ("M", "30", "oxycodone hydrochloride 30 mg"),
    ("A", "215", "oxycodone hydrochloride 30 mg"),
    ("K9", "", "oxycodone hydrochloride 30 mg"),
    (
        "V",
        "48 12",
        "hydrocodone bitartrate 10 mg / acetaminophen 325 mg",
    ),
    ("XANAX", "2", "alprazolam 2 mg"),
];
pub(super) const PRESS_MAKERS: &[(&str, &str)] = &[
    ("Tianxiang", "TDP-5"),
    ("Zhengzhou Toper", "ZP-9"),
    ("Ruian", "THP-4"),
    ("Generic", "DHP-3"),
];
