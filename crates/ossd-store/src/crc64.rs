//! CRC-64/XZ (ECMA-182 polynomial, reflected, init and xorout all ones): the checksum OSS reports
//! in `x-oss-hash-crc64ecma`, plus [`combine`] so a multipart or appended object's CRC is derived
//! from its pieces' CRCs without reading bytes.

use std::sync::OnceLock;

/// The ECMA-182 polynomial 0x42F0E1EBA9EA3693, bit-reversed for the LSB-first algorithm.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// Slice-by-8 tables: `TABLES[0]` is the classic byte table; `TABLES[k][b]` is the CRC of byte
/// `b` followed by `k` zero bytes.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut k = 1;
        while k < 8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            k += 1;
        }
        i += 1;
    }
    t
}

/// Extends the finished checksum `crc` of some bytes with `data` (as Go's `crc64.Update`);
/// `update(0, data)` is the checksum of `data`. This is the portable slice-by-8 table
/// algorithm: the reference the tests hold [`Hasher`] to, and the way to continue from a
/// checksum known only as a number.
pub fn update(crc: u64, data: &[u8]) -> u64 {
    let mut c = !crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word) ^ c;
        c = TABLES[7][(v & 0xff) as usize]
            ^ TABLES[6][((v >> 8) & 0xff) as usize]
            ^ TABLES[5][((v >> 16) & 0xff) as usize]
            ^ TABLES[4][((v >> 24) & 0xff) as usize]
            ^ TABLES[3][((v >> 32) & 0xff) as usize]
            ^ TABLES[2][((v >> 40) & 0xff) as usize]
            ^ TABLES[1][((v >> 48) & 0xff) as usize]
            ^ TABLES[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        c = TABLES[0][((c ^ u64::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// The checksum of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    let mut h = Hasher::new();
    h.update(data);
    h.finish()
}

/// A running checksum over bytes fed in pieces, using carry-less multiplication (PCLMULQDQ on
/// x86-64, PMULL on AArch64) where the CPU has it: about 15 times the speed of [`update`]'s
/// tables on this project's machines, which matters for a large PUT hashed on one core.
#[derive(Clone)]
pub struct Hasher(crc64fast::Digest);

impl Hasher {
    /// The checksum of no bytes so far.
    pub fn new() -> Hasher {
        Hasher(crc64fast::Digest::new())
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.0.write(data);
    }

    /// The checksum of everything fed so far.
    pub fn finish(&self) -> u64 {
        self.0.sum64()
    }
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher::new()
    }
}

/// Multiplies the 64x64 GF(2) matrix `mat` (one column per input bit) by the vector `vec`.
fn gf2_times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    let mut col = 0;
    while vec != 0 {
        if vec & 1 == 1 {
            sum ^= mat[col];
        }
        vec >>= 1;
        col += 1;
    }
    sum
}

/// Returns `mat * mat`: the operator that applies `mat` twice.
fn gf2_square(mat: &[u64; 64]) -> [u64; 64] {
    let mut sq = [0u64; 64];
    for (out, &column) in sq.iter_mut().zip(mat.iter()) {
        *out = gf2_times(mat, column);
    }
    sq
}

/// `ZERO_BYTE_OPS[k]` advances a raw CRC register over `2^k` zero bytes.
static ZERO_BYTE_OPS: OnceLock<[[u64; 64]; 64]> = OnceLock::new();

fn zero_byte_ops() -> &'static [[u64; 64]; 64] {
    ZERO_BYTE_OPS.get_or_init(|| {
        // Operator for one zero bit: shift right, folding the polynomial in when bit 0 was set.
        let mut one_bit = [0u64; 64];
        one_bit[0] = POLY;
        for (n, slot) in one_bit.iter_mut().enumerate().skip(1) {
            *slot = 1u64 << (n - 1);
        }
        let two_bits = gf2_square(&one_bit);
        let four_bits = gf2_square(&two_bits);
        let mut ops = [[0u64; 64]; 64];
        let mut op = gf2_square(&four_bits); // eight bits: one byte
        for slot in &mut ops {
            *slot = op;
            op = gf2_square(&op);
        }
        ops
    })
}

/// The checksum of `a ++ b` given `crc1 = checksum(a)`, `crc2 = checksum(b)` and `len2 = b.len()`.
///
/// Feeding `len2` zero bytes through the raw CRC register is a linear map over GF(2); it is the
/// product of the precomputed `2^k`-zero-byte operators for the set bits of `len2`, applied to
/// `crc1`. The all-ones pre- and post-conditioning cancels out, so finished checksums combine
/// directly. Cost: at most 64 matrix-vector products, independent of the data.
pub fn combine(mut crc1: u64, crc2: u64, len2: u64) -> u64 {
    if len2 == 0 {
        return crc1;
    }
    let ops = zero_byte_ops();
    let mut rest = len2;
    let mut k = 0;
    while rest != 0 {
        if rest & 1 == 1 {
            crc1 = gf2_times(&ops[k], crc1);
        }
        rest >>= 1;
        k += 1;
    }
    crc1 ^ crc2
}
