//! Base58Check addresses: Bitcoin's legacy (P2PKH, `1…`) and script (P2SH,
//! `3…`) addresses and Tron's (`T…`): a version byte, a 20-byte hash and
//! the first four bytes of a double SHA-256 as checksum.

use super::{bad_checksum, Chain};

/// Version bytes of the mainnet addresses: Bitcoin's P2PKH 0x00 and P2SH
/// 0x05 (Bitcoin Core `chainparams.cpp`), Tron's 0x41 (Tron protocol
/// documentation, "Account address").
fn versions(chain: Chain) -> &'static [u8] {
    match chain {
        Chain::Bitcoin => &[0x00, 0x05],
        Chain::Tron => &[0x41],
        Chain::Ethereum => &[],
    }
}

pub(super) fn parse(text: &str, chain: Chain) -> Result<String, String> {
    let payload = bs58::decode(text)
        .with_check(None)
        .into_vec()
        .map_err(|e| match e {
            bs58::decode::Error::InvalidChecksum { .. } => bad_checksum(text, chain),
            bs58::decode::Error::InvalidCharacter { character, .. } => format!(
                "`{text}` is not a {} address: `{character}` is not a base58 character (0, O, I and l are not used)",
                chain.label()
            ),
            _ => format!("`{text}` is not a {} address", chain.label()),
        })?;
    match payload.as_slice() {
        [version, hash @ ..] if hash.len() == 20 && versions(chain).contains(version) => {
            Ok(text.to_owned())
        }
        [version, hash @ ..] if hash.len() == 20 => Err(format!(
            "`{text}` is not a {} mainnet address (version byte {version:#04x})",
            chain.label()
        )),
        _ => Err(format!(
            "`{text}` is not a {} address: it holds {} bytes, not 21",
            chain.label(),
            payload.len()
        )),
    }
}
