//! Ethereum addresses: `0x` and 40 hex digits. Mixed case carries the
//! EIP-55 checksum (a letter is upper case where the Keccak-256 hash of the
//! lower-case address has a nibble of 8 or more), so it is verified; an
//! all-lower or all-upper address has none to verify.

use sha3::{Digest, Keccak256};

use super::{bad_checksum, Chain};

pub(super) fn parse(text: &str) -> Result<String, String> {
    let hex = &text[2..];
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{text}` is not an Ethereum address: it needs 0x and 40 hex digits"
        ));
    }
    let checksummed = eip55(hex);
    let mixed_case =
        hex.bytes().any(|b| b.is_ascii_lowercase()) && hex.bytes().any(|b| b.is_ascii_uppercase());
    if mixed_case && hex != &checksummed[2..] {
        return Err(bad_checksum(text, Chain::Ethereum));
    }
    Ok(checksummed)
}

/// The EIP-55 form of 40 hex digits.
fn eip55(hex: &str) -> String {
    let lower = hex.to_ascii_lowercase();
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (4 * (1 - i % 2))) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}
