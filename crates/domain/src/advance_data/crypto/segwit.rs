//! Bitcoin's native segwit addresses (`bc1…`): bech32 for witness version
//! 0 (BIP 173), bech32m for versions 1 to 16, taproot among them (BIP 350).

use bech32::primitives::decode::{ChecksumError, SegwitHrpstring, SegwitHrpstringError};

use super::{bad_checksum, Chain};

pub(super) fn parse(text: &str) -> Result<String, String> {
    // All upper or all lower case is one address (BIP 173), lower case the
    // canonical form; mixed case is refused.
    if text.bytes().any(|b| b.is_ascii_lowercase()) && text.bytes().any(|b| b.is_ascii_uppercase())
    {
        return Err(format!(
            "`{text}` is not a Bitcoin segwit address: it mixes upper and lower case"
        ));
    }
    let lower = text.to_ascii_lowercase();
    let address = SegwitHrpstring::new(&lower).map_err(|e| match e {
        SegwitHrpstringError::Checksum(ChecksumError::InvalidResidue) => {
            bad_checksum(text, Chain::Bitcoin)
        }
        e => format!("`{text}` is not a Bitcoin segwit address: {e}"),
    })?;
    if address.hrp() != bech32::hrp::BC {
        return Err(format!(
            "`{text}` is not a Bitcoin mainnet address (it is for `{}`)",
            address.hrp()
        ));
    }
    Ok(lower)
}
