//! The verification of `ossd migrate`: per bucket, the destination holds the same bucket
//! record and the same versions (compared record by record, in listing order), its counters
//! agree with the source's, and every version's bytes, read back from the destination through
//! the normal (decrypting) read path, have the size and CRC-64 its record states.

use std::io::Read;

use crate::record::ObjectRecord;
use crate::walk::VersionWalk;
use crate::{Store, StoreError, crc64};

/// Counts of one side of a bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Current versions that are objects (not delete markers).
    pub objects: u64,
    /// Every version, noncurrent ones and delete markers included.
    pub versions: u64,
    /// Delete markers among them.
    pub delete_markers: u64,
    /// Bytes of every version.
    pub bytes: u64,
}

impl Counts {
    fn add(&mut self, rec: &ObjectRecord, current: bool) {
        self.versions += 1;
        if rec.delete_marker {
            self.delete_markers += 1;
        } else {
            self.objects += u64::from(current);
            self.bytes += rec.size;
        }
    }
}

/// The verification of one bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketCheck {
    /// The bucket.
    pub bucket: String,
    /// Counted over the source's versions.
    pub source: Counts,
    /// Counted over the destination's versions.
    pub destination: Counts,
    /// Versions whose bytes were re-read from the destination and checked.
    pub bytes_checked: u64,
    /// Every difference found (empty: the bucket is verified).
    pub mismatches: Vec<String>,
}

/// Buffer of the read-back.
const READ_BUF: usize = 256 * 1024;

/// Verifies every bucket of `src` against `dst` (see the module documentation).
pub fn verify(src: &Store, dst: &Store) -> Result<Vec<BucketCheck>, StoreError> {
    let mut out = Vec::new();
    for bucket in src.list_buckets()? {
        out.push(verify_bucket(src, dst, &bucket.name)?);
    }
    Ok(out)
}

fn verify_bucket(src: &Store, dst: &Store, bucket: &str) -> Result<BucketCheck, StoreError> {
    let mut check = BucketCheck { bucket: bucket.to_owned(), ..BucketCheck::default() };
    let Some(dst_rec) = dst.get_bucket(bucket)? else {
        check.mismatches.push("bucket missing from the destination".to_owned());
        return Ok(check);
    };
    if Some(&dst_rec) != src.get_bucket(bucket)?.as_ref() {
        check.mismatches.push("bucket record (ACL, configuration) differs".to_owned());
    }
    let (mut a, mut b) = (VersionWalk::new(src, bucket), VersionWalk::new(dst, bucket));
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let (pa, pb) = (a.next_page()?, b.next_page()?);
        if pa.is_empty() && pb.is_empty() {
            break;
        }
        let n = pa.len().max(pb.len());
        let (mut ia, mut ib) = (pa.into_iter(), pb.into_iter());
        for _ in 0..n {
            let (x, y) = (ia.next(), ib.next());
            if let Some((rec, current)) = &x {
                check.source.add(rec, *current);
            }
            if let Some((rec, current)) = &y {
                check.destination.add(rec, *current);
                if !rec.delete_marker {
                    check_bytes(dst, rec, &mut buf, &mut check)?;
                }
            }
            if x != y && check.mismatches.len() < MAX_REPORTED {
                let name = |v: &Option<(ObjectRecord, bool)>| {
                    v.as_ref().map_or_else(
                        || "nothing".to_owned(),
                        |(r, _)| format!("{:?} version {}", r.key, r.version_label()),
                    )
                };
                check.mismatches.push(format!(
                    "source has {}, destination has {} (record differs or is missing)",
                    name(&x),
                    name(&y)
                ));
            }
        }
    }
    if check.source != check.destination {
        check.mismatches.push(format!(
            "counts differ: source {:?}, destination {:?}",
            check.source, check.destination
        ));
    }
    let (s, d) = (src.bucket_stats(bucket)?, dst.bucket_stats(bucket)?);
    let counters =
        |st: &crate::BucketStats| (st.object_count, st.storage_bytes, st.delete_marker_count);
    if counters(&s) != counters(&d) {
        check.mismatches.push(format!(
            "bucket counters (objects, bytes, delete markers) differ: source {:?}, destination {:?}",
            counters(&s),
            counters(&d)
        ));
    }
    Ok(check)
}

/// At most this many record differences are listed per bucket (the counts tell the rest).
const MAX_REPORTED: usize = 20;

/// Re-reads `rec`'s bytes from `dst` and compares their size and CRC-64 with the record's.
fn check_bytes(
    dst: &Store,
    rec: &ObjectRecord,
    buf: &mut [u8],
    check: &mut BucketCheck,
) -> Result<(), StoreError> {
    check.bytes_checked += 1;
    let what = || format!("{:?} version {}", rec.key, rec.version_label());
    let mut reader = match dst.open_object(rec, 0, rec.size) {
        Ok(r) => r,
        Err(e) => {
            check.mismatches.push(format!("{}: cannot open its bytes: {e}", what()));
            return Ok(());
        }
    };
    let (mut crc, mut size) = (crc64::Hasher::new(), 0u64);
    loop {
        match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                crc.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                check.mismatches.push(format!("{}: reading its bytes failed: {e}", what()));
                return Ok(());
            }
        }
    }
    if size != rec.size || crc.finish() != rec.crc64 {
        check.mismatches.push(format!(
            "{}: read back {size} bytes with CRC-64 {:016x}, the record says {} bytes, {:016x}",
            what(),
            crc.finish(),
            rec.size,
            rec.crc64
        ));
    }
    Ok(())
}
