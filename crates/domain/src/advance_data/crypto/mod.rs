//! Cryptocurrency addresses a booking was paid from or to. OFAC lists
//! them (SDN remarks "Digital Currency Address - XBT …"), and payment for
//! precursors often runs through them.
//!
//! An address is recognised by its shape, then its checksum is verified,
//! so a mistyped character is refused rather than stored as a different,
//! unrelated address.

mod base58;
mod ethereum;
mod segwit;

use std::fmt;

use crate::choice;

choice!(
    /// The chain an address belongs to. An Ethereum address is also the
    /// address of the same key on every EVM chain (BNB Smart Chain,
    /// Polygon, Arbitrum …), where OFAC lists them too.
    Chain {
        Bitcoin => "bitcoin",
        Ethereum => "ethereum",
        Tron => "tron",
    }
);

impl Chain {
    pub fn label(self) -> &'static str {
        match self {
            Self::Bitcoin => "Bitcoin",
            Self::Ethereum => "Ethereum (EVM)",
            Self::Tron => "Tron",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CryptoAddress {
    chain: Chain,
    /// Canonical: base58 as written (it is case-sensitive), bech32 in lower
    /// case, Ethereum with its EIP-55 checksum capitals.
    address: String,
}

impl CryptoAddress {
    /// Reads a Bitcoin address (legacy `1…`, script `3…`, segwit `bc1q…`,
    /// taproot `bc1p…`), an Ethereum address (`0x` and 40 hex digits) or a
    /// Tron address (`T…`), verifying its checksum.
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim();
        if text.len() > 100 {
            return Err(format!(
                "`{}…` is too long for an address",
                text.get(..20).unwrap_or("")
            ));
        }
        let (chain, address) = if text.starts_with("0x") || text.starts_with("0X") {
            (Chain::Ethereum, ethereum::parse(text)?)
        } else if text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("bc1")) {
            (Chain::Bitcoin, segwit::parse(text)?)
        } else if text.starts_with('T') {
            (Chain::Tron, base58::parse(text, Chain::Tron)?)
        } else if text.starts_with('1') || text.starts_with('3') {
            (Chain::Bitcoin, base58::parse(text, Chain::Bitcoin)?)
        } else {
            return Err(format!(
                "`{value}` is not a Bitcoin, Ethereum or Tron address"
            ));
        };
        Ok(Self { chain, address })
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The identifier key: the address with case removed where case carries
    /// no meaning (Ethereum's checksum capitals), so the same address
    /// written two ways is one key; base58 is case-sensitive and kept.
    pub fn key(&self) -> Option<String> {
        Some(match self.chain {
            Chain::Ethereum => self.address.to_ascii_lowercase(),
            Chain::Bitcoin | Chain::Tron => self.address.clone(),
        })
    }
}

impl fmt::Display for CryptoAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

/// The identifier key of an address as written; `None` when it is not one.
pub fn crypto_address_key(value: &str) -> Option<String> {
    CryptoAddress::parse(value).ok()?.key()
}

/// The message for a checksum that does not match, naming the chain.
fn bad_checksum(value: &str, chain: Chain) -> String {
    format!(
        "`{value}` looks like a {} address but its checksum does not match: a character is mistyped or missing",
        chain.label()
    )
}

#[cfg(test)]
mod tests;
