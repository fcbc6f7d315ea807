use super::*;

fn chain_of(value: &str) -> Result<Chain, String> {
    CryptoAddress::parse(value).map(|a| a.chain())
}

fn refused_for_checksum(value: &str) {
    let error = CryptoAddress::parse(value).unwrap_err();
    assert!(
        error.contains("checksum does not match"),
        "{value}: {error}"
    );
}

#[test]
fn bitcoin_legacy_and_script_addresses() {
    // The genesis block's address, and BIP 13's P2SH example.
    assert_eq!(
        chain_of("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        Ok(Chain::Bitcoin)
    );
    assert_eq!(
        chain_of(" 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy "),
        Ok(Chain::Bitcoin)
    );
    refused_for_checksum("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb");
    refused_for_checksum("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLY");
    let error = CryptoAddress::parse("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0").unwrap_err();
    assert!(error.contains("`0` is not a base58 character"), "{error}");
}

#[test]
fn bitcoin_segwit_and_taproot_addresses() {
    // BIP 173 (bech32, witness v0) and BIP 350 (bech32m, taproot) vectors.
    let p2wpkh = CryptoAddress::parse("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").unwrap();
    assert_eq!(p2wpkh.chain(), Chain::Bitcoin);
    assert_eq!(
        p2wpkh.as_str(),
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    );
    assert_eq!(
        crypto_address_key("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        p2wpkh.key()
    );
    assert_eq!(
        chain_of("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"),
        Ok(Chain::Bitcoin)
    );
    assert_eq!(
        chain_of("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
        Ok(Chain::Bitcoin)
    );
    refused_for_checksum("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5");
    // A taproot address with a bech32 (not bech32m) checksum: BIP 350
    // refuses it, since that is exactly the mistake bech32m exists to catch.
    refused_for_checksum("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd");
    // Mixed case is not an address.
    assert!(CryptoAddress::parse("bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").is_err());
}

#[test]
fn tron_addresses() {
    // The USDT (TRC-20) contract's address.
    let usdt = CryptoAddress::parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    assert_eq!(usdt.chain(), Chain::Tron);
    assert_eq!(
        usdt.key().as_deref(),
        Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    );
    refused_for_checksum("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T");
    // A valid base58check payload with Bitcoin's version byte is not Tron's.
    assert!(base58::parse("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Chain::Tron).is_err());
}

#[test]
fn ethereum_addresses_and_their_eip55_checksum() {
    // EIP-55's own examples.
    for checksummed in [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        let address = CryptoAddress::parse(checksummed).unwrap();
        assert_eq!(address.chain(), Chain::Ethereum);
        assert_eq!(address.as_str(), checksummed);
        // Written without a checksum, it is the same address and key.
        let lower = CryptoAddress::parse(&checksummed.to_ascii_lowercase()).unwrap();
        assert_eq!(lower, address);
        let upper = format!("0x{}", checksummed[2..].to_ascii_uppercase());
        assert_eq!(crypto_address_key(&upper), address.key());
    }
    refused_for_checksum("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
    for bad in [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA",
        "0xZaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ] {
        let error = CryptoAddress::parse(bad).unwrap_err();
        assert!(error.contains("40 hex digits"), "{error}");
    }
}

#[test]
fn other_text_is_not_an_address() {
    for bad in ["", "hello", "tb1qw508d6qejxqtdg4y5r3zarvary0c5xw7kxpjzsx", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"] {
        let error = CryptoAddress::parse(bad).unwrap_err();
        assert!(error.contains("not a Bitcoin, Ethereum or Tron address"), "{bad}: {error}");
    }
    assert!(CryptoAddress::parse(&"1".repeat(200)).is_err());
}
