//! CRC-64: the slice-by-8 tables against a bitwise reference, combine.

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use super::*;

/// Bit-at-a-time reference implementation of CRC-64/XZ.
fn crc64_bitwise(data: &[u8]) -> u64 {
    let mut c = u64::MAX;
    for &b in data {
        c ^= u64::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 { (c >> 1) ^ 0xC96C_5795_D787_0F42 } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn crc64_check_value() {
    assert_eq!(crc64::checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    assert_eq!(crc64::checksum(b""), 0);
    assert_eq!(crc64_bitwise(b"123456789"), 0x995D_C9BB_DF19_39FA);
}

#[test]
fn crc64_slice_by_8_matches_bitwise_and_is_incremental() {
    let mut rng = StdRng::seed_from_u64(1);
    for len in (0..100).chain([255, 256, 1000, 4097]) {
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let whole = crc64::checksum(&data);
        assert_eq!(whole, crc64_bitwise(&data), "len {len}");
        let cut = if len == 0 { 0 } else { rng.random_range(0..len) };
        assert_eq!(crc64::update(crc64::checksum(&data[..cut]), &data[cut..]), whole);
    }
}

#[test]
fn crc64_hasher_matches_the_tables_whatever_the_pieces() {
    let mut rng = StdRng::seed_from_u64(7);
    // Lengths around the SIMD block sizes and large ones; each fed whole and in random pieces.
    let lens = (0..300).chain([511, 512, 513, 4095, 4096, 65_537, 262_144, 1_000_003]);
    for len in lens {
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let table = crc64::update(0, &data);
        assert_eq!(crc64::checksum(&data), table, "len {len}");
        let mut h = crc64::Hasher::new();
        let mut rest = &data[..];
        while !rest.is_empty() {
            let n = rng.random_range(1..=rest.len().min(70_000));
            h.update(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(h.finish(), table, "len {len} in pieces");
    }
}

#[test]
fn crc64_combine_equals_crc_of_concatenation() {
    let mut rng = StdRng::seed_from_u64(2);
    for _ in 0..200 {
        let la = rng.random_range(0..300);
        let lb = rng.random_range(0..300);
        let a: Vec<u8> = (0..la).map(|_| rng.random()).collect();
        let b: Vec<u8> = (0..lb).map(|_| rng.random()).collect();
        let ab: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(
            crc64::combine(crc64::checksum(&a), crc64::checksum(&b), lb as u64),
            crc64::checksum(&ab)
        );
    }
    // Lengths far beyond what can be materialised compose consistently:
    // combine(combine(a, b, lb), c, lc) == combine(a, combine(b, c, lc), lb + lc).
    for _ in 0..200 {
        let (a, b, c): (u64, u64, u64) = (rng.random(), rng.random(), rng.random());
        let lb = rng.random_range(0..1u64 << 40);
        let lc = rng.random_range(0..1u64 << 40);
        assert_eq!(
            crc64::combine(crc64::combine(a, b, lb), c, lc),
            crc64::combine(a, crc64::combine(b, c, lc), lb + lc)
        );
    }
    // A large length, checked against streaming zeros.
    let zeros = vec![0u8; 1 << 20];
    let a = crc64::checksum(b"head");
    assert_eq!(
        crc64::combine(a, crc64::checksum(&zeros), zeros.len() as u64),
        crc64::update(a, &zeros)
    );
}
