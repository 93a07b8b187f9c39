//! SCRAM channel binding over TLS (`tls-server-end-point`, RFC 5929 §4.1): the hash of the
//! server's certificate, which the client mixes into its SCRAM proof. A man in the middle that
//! terminates TLS with a certificate of its own cannot relay the password exchange then, even
//! when the certificate is not checked (`sslmode=require`). PostgreSQL uses it when the client
//! offers it (`SCRAM-SHA-256-PLUS`; `channel_binding=require` in the URL refuses a server that
//! does not).
//!
//! The hash function is the one of the certificate's signature algorithm, SHA-256 in place of
//! MD5 and SHA-1; for an algorithm without a single hash (Ed25519, RSASSA-PSS) there is no
//! binding — PostgreSQL refuses to compute one for those too.

use sha2::{Digest, Sha256, Sha384, Sha512};

/// `1.2.840.113549.1.1.x`: PKCS #1 signature algorithms.
const PKCS1: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
/// `1.2.840.10045.4`: ECDSA signature algorithms.
const ECDSA: [u8; 6] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04];

/// The hashes RFC 5929 allows here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

/// The `tls-server-end-point` value of a DER certificate; `None` if its signature algorithm has
/// no single hash or the certificate does not parse.
pub(crate) fn tls_server_end_point(cert: &[u8]) -> Option<Vec<u8>> {
    Some(match hash_of(signature_algorithm(cert)?)? {
        Hash::Sha256 => Sha256::digest(cert).to_vec(),
        Hash::Sha384 => Sha384::digest(cert).to_vec(),
        Hash::Sha512 => Sha512::digest(cert).to_vec(),
    })
}

/// The hash of a signature algorithm (its OID's content bytes).
fn hash_of(oid: &[u8]) -> Option<Hash> {
    if let Some(last) = oid.strip_prefix(&PKCS1[..]) {
        return match last {
            // md5WithRSAEncryption, sha1WithRSAEncryption: SHA-256 instead.
            [0x04] | [0x05] | [0x0B] => Some(Hash::Sha256),
            [0x0C] => Some(Hash::Sha384),
            [0x0D] => Some(Hash::Sha512),
            _ => None,
        };
    }
    if let Some(rest) = oid.strip_prefix(&ECDSA[..]) {
        return match rest {
            // ecdsa-with-SHA1 (…4.1): SHA-256 instead; ecdsa-with-SHA256/384/512 (…4.3.2/3/4).
            [0x01] | [0x03, 0x02] => Some(Hash::Sha256),
            [0x03, 0x03] => Some(Hash::Sha384),
            [0x03, 0x04] => Some(Hash::Sha512),
            _ => None,
        };
    }
    None
}

/// The OID of `Certificate.signatureAlgorithm` (RFC 5280 §4.1: a SEQUENCE of tbsCertificate,
/// signatureAlgorithm, signatureValue).
fn signature_algorithm(cert: &[u8]) -> Option<&[u8]> {
    let (body, _) = element(cert, 0x30)?;
    let (_tbs, rest) = element(body, 0x30)?;
    let (alg, _) = element(rest, 0x30)?;
    let (oid, _) = element(alg, 0x06)?;
    Some(oid)
}

/// The content of the DER element at the start of `der` if its tag is `tag`, and what follows it.
fn element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = der.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may unwrap")]
    use super::*;

    #[test]
    fn the_hash_follows_the_signature_algorithm() {
        let pkcs1 = |x: u8| [&PKCS1[..], &[x]].concat();
        assert_eq!(hash_of(&pkcs1(0x0B)), Some(Hash::Sha256));
        assert_eq!(hash_of(&pkcs1(0x05)), Some(Hash::Sha256));
        assert_eq!(hash_of(&pkcs1(0x0C)), Some(Hash::Sha384));
        assert_eq!(hash_of(&pkcs1(0x0D)), Some(Hash::Sha512));
        assert_eq!(hash_of(&pkcs1(0x0A)), None, "RSASSA-PSS");
        let ecdsa = |x: &[u8]| [&ECDSA[..], x].concat();
        assert_eq!(hash_of(&ecdsa(&[0x03, 0x02])), Some(Hash::Sha256));
        assert_eq!(hash_of(&ecdsa(&[0x03, 0x03])), Some(Hash::Sha384));
        assert_eq!(hash_of(&ecdsa(&[0x01])), Some(Hash::Sha256));
        assert_eq!(hash_of(&[0x2B, 0x65, 0x70]), None, "Ed25519");
    }

    #[test]
    fn a_certificate_s_algorithm_is_found_and_garbage_is_not() {
        // A minimal shape: SEQUENCE { SEQUENCE {} (tbs), SEQUENCE { OID ecdsa-with-SHA384 }, BIT STRING }.
        let oid = [&ECDSA[..], &[0x03, 0x03]].concat();
        let mut alg = vec![0x06, oid.len() as u8];
        alg.extend_from_slice(&oid);
        let mut body = vec![0x30, 0x00, 0x30, alg.len() as u8];
        body.extend_from_slice(&alg);
        body.extend_from_slice(&[0x03, 0x01, 0x00]);
        let mut cert = vec![0x30, 0x81, body.len() as u8];
        cert.extend_from_slice(&body);
        assert_eq!(signature_algorithm(&cert), Some(&oid[..]));
        assert_eq!(tls_server_end_point(&cert), Some(Sha384::digest(&cert).to_vec()));
        for bad in [&[][..], &[0x30][..], &[0x30, 0x85, 1, 2, 3, 4, 5][..], &cert[..cert.len() - 4]]
        {
            assert_eq!(tls_server_end_point(bad), None, "{bad:?}");
        }
    }
}
