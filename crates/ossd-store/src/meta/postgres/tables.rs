//! [`Tables`] over one PostgreSQL write transaction (READ COMMITTED, explicit row locks).
//!
//! Several nodes write to one database at once, each serializing only its own writes, so every
//! read here locks what it reads until the commit:
//!
//! - A row that exists is read `FOR UPDATE`: nobody else can change or delete it before this
//!   transaction ends, and READ COMMITTED hands back its latest committed version (after
//!   waiting for a transaction that holds it).
//! - A row found absent cannot be locked. What this transaction learned is remembered in
//!   `known`, and a write of a key known absent is a plain `INSERT`: if another transaction
//!   inserted the same key meanwhile, the insert fails with a unique violation and the whole
//!   transaction runs again ([`super::PgMeta`] retries), now seeing that row. So a
//!   `forbid-overwrite` create, a new bucket or a new reference count is decided by the
//!   database's unique index, never by a stale read.
//! - The predicate reads lock the row that every writer of their range locks first:
//!   "is the bucket empty" locks the bucket row (every op on a bucket starts by reading it
//!   `FOR UPDATE` through [`Tables::bucket_exists`]) and only then looks for objects and uploads,
//!   in a new statement that sees everything committed before the lock was granted; "the parts of
//!   an upload" likewise locks the upload row, which every part write reads first.
//!
//! Reading the bucket row `FOR UPDATE` makes the transactions writing into one bucket take turns
//! (they all update the bucket's counters anyway); transactions on different buckets run side
//! by side. `known` also saves round trips: the writer reads a reference count several times
//! per op.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::conn::{Conn, db_error, retryable};
use crate::StoreError;
use crate::codec::{decode, encode};
use crate::meta::Tables;
use crate::record::{BlobId, BucketRecord, BucketStats, ObjectRecord, PartRecord, UploadRecord};

/// What this transaction knows of its rows: `None` absent, `Some` present with this value
/// (and locked, or written by this transaction).
#[derive(Default)]
struct Known {
    buckets: HashMap<String, bool>,
    stats: HashMap<String, Option<BucketStats>>,
    objects: HashMap<(String, Vec<u8>), Option<ObjectRecord>>,
    /// Upload id → its key.
    uploads: HashMap<(String, String), Option<Vec<u8>>>,
    parts: HashMap<(String, String, u32), Option<PartRecord>>,
    /// 0: absent.
    refs: HashMap<String, u64>,
    inline: HashMap<String, bool>,
    /// Settings documents: whether the row exists.
    settings: HashMap<String, bool>,
}

/// The tables of one write transaction.
pub(crate) struct PgTables<'c> {
    conn: &'c Conn,
    known: RefCell<Known>,
    /// A statement failed in a way that running the transaction again may cure.
    conflict: Cell<bool>,
    /// A bucket or setting was written: other nodes cache it (`feed.rs`).
    config_changed: bool,
}

impl<'c> PgTables<'c> {
    pub(crate) fn new(conn: &'c Conn) -> Self {
        PgTables {
            conn,
            known: RefCell::new(Known::default()),
            conflict: Cell::new(false),
            config_changed: false,
        }
    }

    /// Whether a statement lost a race (serialization failure, deadlock, duplicate key).
    pub(crate) fn conflicted(&self) -> bool {
        self.conflict.get()
    }

    /// Whether the transaction wrote a bucket or a setting.
    pub(crate) fn config_changed(&self) -> bool {
        self.config_changed
    }

    fn fail(&self, e: &tokio_postgres::Error) -> StoreError {
        if retryable(e) {
            self.conflict.set(true);
        }
        db_error(e)
    }

    fn query_opt(
        &self,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, StoreError> {
        self.conn.query_opt(sql, params).map_err(|e| self.fail(&e))
    }

    fn execute(
        &self,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.conn.execute(sql, params).map_err(|e| self.fail(&e))
    }

    fn bytes(&self, row: &tokio_postgres::Row, i: usize) -> Result<Vec<u8>, StoreError> {
        row.try_get::<_, Vec<u8>>(i).map_err(|e| self.fail(&e))
    }

    fn stats_known(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError> {
        if let Some(s) = self.known.borrow().stats.get(bucket) {
            return Ok(s.clone());
        }
        let row = self
            .query_opt("SELECT rec FROM bucket_stats WHERE bucket = $1 FOR UPDATE", &[&bucket])?;
        let stats = match row {
            Some(r) => Some(decode::<BucketStats>("bucket stats", &self.bytes(&r, 0)?)?),
            None => None,
        };
        self.known.borrow_mut().stats.insert(bucket.to_owned(), stats.clone());
        Ok(stats)
    }

    fn upload_known(&self, bucket: &str, upload_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let k = (bucket.to_owned(), upload_id.to_owned());
        if let Some(key) = self.known.borrow().uploads.get(&k) {
            return Ok(key.clone());
        }
        let row = self.query_opt(
            "SELECT key FROM uploads WHERE bucket = $1 AND upload_id = $2 FOR UPDATE",
            &[&bucket, &upload_id],
        )?;
        let key = row.map(|r| self.bytes(&r, 0)).transpose()?;
        self.known.borrow_mut().uploads.insert(k, key.clone());
        Ok(key)
    }

    fn part_known(
        &self,
        bucket: &str,
        upload_id: &str,
        number: u32,
    ) -> Result<Option<PartRecord>, StoreError> {
        let k = (bucket.to_owned(), upload_id.to_owned(), number);
        if let Some(p) = self.known.borrow().parts.get(&k) {
            return Ok(p.clone());
        }
        let row = self.query_opt(
            "SELECT rec FROM parts WHERE bucket = $1 AND upload_id = $2 AND number = $3 \
             FOR UPDATE",
            &[&bucket, &upload_id, &i64::from(number)],
        )?;
        let part = match row {
            Some(r) => Some(decode::<PartRecord>("part", &self.bytes(&r, 0)?)?),
            None => None,
        };
        self.known.borrow_mut().parts.insert(k, part.clone());
        Ok(part)
    }
}

/// A version order (`u64`, see [`crate::version::order_of`]) as a `bigint` of the same order:
/// the top bit flipped maps `0..=u64::MAX` onto `i64::MIN..=i64::MAX` monotonically.
pub(crate) fn ord_column(order: u64) -> i64 {
    i64::from_ne_bytes((order ^ (1 << 63)).to_ne_bytes())
}

/// Reads at most `limit` noncurrent versions of `key` after `after_order` (newest first).
pub(crate) fn read_versions(
    rows: impl FnOnce(
        &'static str,
        &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError>,
    bucket: &str,
    key: &[u8],
    after_order: Option<u64>,
    limit: usize,
) -> Result<Vec<ObjectRecord>, StoreError> {
    if limit == 0 || after_order == Some(u64::MAX) {
        return Ok(Vec::new());
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let found = match after_order {
        None => rows(
            "SELECT rec FROM object_versions WHERE bucket = $1 AND key = $2 ORDER BY ord LIMIT $3",
            &[&bucket, &key, &limit],
        )?,
        Some(o) => rows(
            "SELECT rec FROM object_versions WHERE bucket = $1 AND key = $2 AND ord > $4 \
             ORDER BY ord LIMIT $3",
            &[&bucket, &key, &limit, &ord_column(o)],
        )?,
    };
    found
        .iter()
        .map(|r| {
            let rec = r.try_get::<_, Vec<u8>>(0).map_err(|e| db_error(&e))?;
            decode("object version", &rec)
        })
        .collect()
}

/// A count as PostgreSQL's `bigint`.
fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Internal(format!("count {n} out of range")))
}

impl Tables for PgTables<'_> {
    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError> {
        if let Some(&b) = self.known.borrow().buckets.get(name) {
            return Ok(b);
        }
        let exists =
            self.query_opt("SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE", &[&name])?.is_some();
        self.known.borrow_mut().buckets.insert(name.to_owned(), exists);
        Ok(exists)
    }

    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        let row = self.query_opt("SELECT rec FROM buckets WHERE name = $1 FOR UPDATE", &[&name])?;
        let rec = match row {
            Some(r) => Some(decode::<BucketRecord>("bucket", &self.bytes(&r, 0)?)?),
            None => None,
        };
        self.known.borrow_mut().buckets.insert(name.to_owned(), rec.is_some());
        Ok(rec)
    }

    fn put_bucket(&mut self, rec: &BucketRecord) -> Result<(), StoreError> {
        let name = rec.name.as_str();
        let bytes = encode(rec)?;
        if self.bucket_exists(name)? {
            self.execute("UPDATE buckets SET rec = $2 WHERE name = $1", &[&name, &bytes])?;
        } else {
            self.execute("INSERT INTO buckets (name, rec) VALUES ($1, $2)", &[&name, &bytes])?;
        }
        self.known.get_mut().buckets.insert(name.to_owned(), true);
        self.config_changed = true;
        Ok(())
    }

    fn remove_bucket(&mut self, name: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM buckets WHERE name = $1", &[&name])?;
        self.execute("DELETE FROM bucket_stats WHERE bucket = $1", &[&name])?;
        let known = self.known.get_mut();
        known.buckets.insert(name.to_owned(), false);
        known.stats.insert(name.to_owned(), None);
        self.config_changed = true;
        Ok(())
    }

    fn bucket_has_entries(&self, bucket: &str) -> Result<bool, StoreError> {
        // Lock the bucket row first (a no-op if this transaction holds it already): every
        // transaction that adds an object or upload to the bucket holds it until its commit,
        // and the statement below starts after the lock is granted, so it sees their rows.
        self.query_opt("SELECT 1 FROM buckets WHERE name = $1 FOR UPDATE", &[&bucket])?;
        let row = self.query_opt(
            "SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) \
                 OR EXISTS (SELECT 1 FROM uploads WHERE bucket = $1)",
            &[&bucket],
        )?;
        match row {
            Some(r) => r.try_get::<_, bool>(0).map_err(|e| self.fail(&e)),
            None => Err(StoreError::Internal("EXISTS returned no row".to_owned())),
        }
    }

    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError> {
        self.stats_known(bucket)
    }

    fn put_stats(&mut self, bucket: &str, stats: &BucketStats) -> Result<(), StoreError> {
        let bytes = encode(stats)?;
        if self.stats_known(bucket)?.is_some() {
            self.execute("UPDATE bucket_stats SET rec = $2 WHERE bucket = $1", &[&bucket, &bytes])?;
        } else {
            self.execute(
                "INSERT INTO bucket_stats (bucket, rec) VALUES ($1, $2)",
                &[&bucket, &bytes],
            )?;
        }
        self.known.get_mut().stats.insert(bucket.to_owned(), Some(stats.clone()));
        Ok(())
    }

    fn object(&self, bucket: &str, key: &[u8]) -> Result<Option<ObjectRecord>, StoreError> {
        let k = (bucket.to_owned(), key.to_vec());
        if let Some(o) = self.known.borrow().objects.get(&k) {
            return Ok(o.clone());
        }
        let row = self.query_opt(
            "SELECT rec FROM objects WHERE bucket = $1 AND key = $2 FOR UPDATE",
            &[&bucket, &key],
        )?;
        let rec = match row {
            Some(r) => Some(decode::<ObjectRecord>("object", &self.bytes(&r, 0)?)?),
            None => None,
        };
        self.known.borrow_mut().objects.insert(k, rec.clone());
        Ok(rec)
    }

    fn object_exists(&self, bucket: &str, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.object(bucket, key)?.is_some())
    }

    fn put_object(
        &mut self,
        bucket: &str,
        rec: &ObjectRecord,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let key = rec.key.as_bytes();
        let old = self.object(bucket, key)?;
        let bytes = encode(rec)?;
        // The marker flag is a column too: listings skip markers in the index scan.
        let marker = rec.delete_marker;
        if old.is_some() {
            self.execute(
                "UPDATE objects SET rec = $3, delete_marker = $4 WHERE bucket = $1 AND key = $2",
                &[&bucket, &key, &bytes, &marker],
            )?;
        } else {
            self.execute(
                "INSERT INTO objects (bucket, key, rec, delete_marker) VALUES ($1, $2, $3, $4)",
                &[&bucket, &key, &bytes, &marker],
            )?;
        }
        self.known.get_mut().objects.insert((bucket.to_owned(), key.to_vec()), Some(rec.clone()));
        Ok(old)
    }

    fn remove_object(
        &mut self,
        bucket: &str,
        key: &[u8],
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let old = self.object(bucket, key)?;
        if old.is_some() {
            self.execute("DELETE FROM objects WHERE bucket = $1 AND key = $2", &[&bucket, &key])?;
            self.known.get_mut().objects.insert((bucket.to_owned(), key.to_vec()), None);
        }
        Ok(old)
    }

    fn versions(
        &self,
        bucket: &str,
        key: &[u8],
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        // The versions of a key change only under the lock of the bucket row, which every
        // writer of the bucket holds (see the module documentation): no row locks needed here.
        read_versions(
            |sql, params| self.conn.query(sql, params).map_err(|e| self.fail(&e)),
            bucket,
            key,
            after_order,
            limit,
        )
    }

    fn put_version(&mut self, bucket: &str, rec: &ObjectRecord) -> Result<(), StoreError> {
        let key = rec.key.as_bytes();
        let ord = ord_column(crate::version::order_of(rec.seq));
        let bytes = encode(rec)?;
        self.execute(
            "INSERT INTO object_versions (bucket, key, ord, rec) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (bucket, key, ord) DO UPDATE SET rec = EXCLUDED.rec",
            &[&bucket, &key, &ord, &bytes],
        )?;
        Ok(())
    }

    fn remove_version(&mut self, bucket: &str, key: &[u8], order: u64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM object_versions WHERE bucket = $1 AND key = $2 AND ord = $3",
            &[&bucket, &key, &ord_column(order)],
        )?;
        Ok(())
    }

    fn upload_key(&self, bucket: &str, upload_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.upload_known(bucket, upload_id)
    }

    fn put_upload(&mut self, bucket: &str, rec: &UploadRecord) -> Result<bool, StoreError> {
        let id = rec.upload_id.as_str();
        let key = rec.key.as_bytes();
        let bytes = encode(rec)?;
        let fresh = self.upload_known(bucket, id)?.is_none();
        if fresh {
            self.execute(
                "INSERT INTO uploads (bucket, upload_id, key, rec) VALUES ($1, $2, $3, $4)",
                &[&bucket, &id, &key, &bytes],
            )?;
        } else {
            self.execute(
                "UPDATE uploads SET key = $3, rec = $4 WHERE bucket = $1 AND upload_id = $2",
                &[&bucket, &id, &key, &bytes],
            )?;
        }
        self.known.get_mut().uploads.insert((bucket.to_owned(), id.to_owned()), Some(key.to_vec()));
        Ok(fresh)
    }

    fn remove_upload(
        &mut self,
        bucket: &str,
        upload_id: &str,
        _key: &[u8],
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM uploads WHERE bucket = $1 AND upload_id = $2",
            &[&bucket, &upload_id],
        )?;
        self.known.get_mut().uploads.insert((bucket.to_owned(), upload_id.to_owned()), None);
        Ok(())
    }

    fn parts(&self, bucket: &str, upload_id: &str) -> Result<Vec<PartRecord>, StoreError> {
        // Lock the upload row first (every part write reads it `FOR UPDATE`), so the statement
        // below sees every part committed before.
        if !self.known.borrow().uploads.contains_key(&(bucket.to_owned(), upload_id.to_owned())) {
            self.upload_known(bucket, upload_id)?;
        }
        let rows = self
            .conn
            .query(
                "SELECT number, rec FROM parts WHERE bucket = $1 AND upload_id = $2 \
                 ORDER BY number FOR UPDATE",
                &[&bucket, &upload_id],
            )
            .map_err(|e| self.fail(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        let mut known = self.known.borrow_mut();
        for r in &rows {
            let part: PartRecord = decode("part", &self.bytes(r, 1)?)?;
            known
                .parts
                .insert((bucket.to_owned(), upload_id.to_owned(), part.number), Some(part.clone()));
            out.push(part);
        }
        Ok(out)
    }

    fn put_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        part: &PartRecord,
    ) -> Result<Option<PartRecord>, StoreError> {
        let old = self.part_known(bucket, upload_id, part.number)?;
        let bytes = encode(part)?;
        let number = i64::from(part.number);
        if old.is_some() {
            self.execute(
                "UPDATE parts SET rec = $4 WHERE bucket = $1 AND upload_id = $2 AND number = $3",
                &[&bucket, &upload_id, &number, &bytes],
            )?;
        } else {
            self.execute(
                "INSERT INTO parts (bucket, upload_id, number, rec) VALUES ($1, $2, $3, $4)",
                &[&bucket, &upload_id, &number, &bytes],
            )?;
        }
        self.known
            .get_mut()
            .parts
            .insert((bucket.to_owned(), upload_id.to_owned(), part.number), Some(part.clone()));
        Ok(old)
    }

    fn remove_part(
        &mut self,
        bucket: &str,
        upload_id: &str,
        number: u32,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM parts WHERE bucket = $1 AND upload_id = $2 AND number = $3",
            &[&bucket, &upload_id, &i64::from(number)],
        )?;
        self.known.get_mut().parts.insert((bucket.to_owned(), upload_id.to_owned(), number), None);
        Ok(())
    }

    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        if let Some(&n) = self.known.borrow().refs.get(id.as_str()) {
            return Ok(n);
        }
        let row = self
            .query_opt("SELECT count FROM blob_refs WHERE blob = $1 FOR UPDATE", &[&id.as_str()])?;
        let n = match row {
            Some(r) => {
                let n: i64 = r.try_get(0).map_err(|e| self.fail(&e))?;
                u64::try_from(n)
                    .map_err(|_| StoreError::Corrupt(format!("reference count {n} of {id}")))?
            }
            None => 0,
        };
        self.known.borrow_mut().refs.insert(id.as_str().to_owned(), n);
        Ok(n)
    }

    fn set_ref_count(&mut self, id: &BlobId, count: u64) -> Result<(), StoreError> {
        let was = self.ref_count(id)?;
        let blob = id.as_str();
        match (was, count) {
            (0, 0) => {}
            (_, 0) => {
                self.execute("DELETE FROM blob_refs WHERE blob = $1", &[&blob])?;
            }
            (0, n) => {
                self.execute(
                    "INSERT INTO blob_refs (blob, count) VALUES ($1, $2)",
                    &[&blob, &to_i64(n)?],
                )?;
            }
            (_, n) => {
                self.execute(
                    "UPDATE blob_refs SET count = $2 WHERE blob = $1",
                    &[&blob, &to_i64(n)?],
                )?;
            }
        }
        self.known.get_mut().refs.insert(blob.to_owned(), count);
        Ok(())
    }

    fn inline_exists(&self, id: &BlobId) -> Result<bool, StoreError> {
        if let Some(&b) = self.known.borrow().inline.get(id.as_str()) {
            return Ok(b);
        }
        let exists = self
            .query_opt("SELECT 1 FROM inline_blobs WHERE blob = $1 FOR UPDATE", &[&id.as_str()])?
            .is_some();
        self.known.borrow_mut().inline.insert(id.as_str().to_owned(), exists);
        Ok(exists)
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row =
            self.query_opt("SELECT doc FROM settings WHERE name = $1 FOR UPDATE", &[&name])?;
        let doc = row.map(|r| self.bytes(&r, 0)).transpose()?;
        self.known.borrow_mut().settings.insert(name.to_owned(), doc.is_some());
        Ok(doc)
    }

    fn put_setting(&mut self, name: &str, doc: &[u8]) -> Result<(), StoreError> {
        // A document read absent is inserted plainly: if another node inserted it meanwhile,
        // the unique violation runs the transaction again, which then reads theirs.
        let known = self.known.get_mut().settings.get(name).copied();
        match known {
            Some(true) => {
                self.execute("UPDATE settings SET doc = $2 WHERE name = $1", &[&name, &doc])?
            }
            Some(false) => {
                self.execute("INSERT INTO settings (name, doc) VALUES ($1, $2)", &[&name, &doc])?
            }
            None => self.execute(
                "INSERT INTO settings (name, doc) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET doc = EXCLUDED.doc",
                &[&name, &doc],
            )?,
        };
        self.known.get_mut().settings.insert(name.to_owned(), true);
        self.config_changed = true;
        Ok(())
    }

    fn put_inline(&mut self, id: &BlobId, bytes: &[u8]) -> Result<(), StoreError> {
        let blob = id.as_str();
        if self.inline_exists(id)? {
            self.execute("UPDATE inline_blobs SET bytes = $2 WHERE blob = $1", &[&blob, &bytes])?;
        } else {
            self.execute(
                "INSERT INTO inline_blobs (blob, bytes) VALUES ($1, $2)",
                &[&blob, &bytes],
            )?;
        }
        self.known.get_mut().inline.insert(blob.to_owned(), true);
        Ok(())
    }

    fn remove_inline(&mut self, id: &BlobId) -> Result<(), StoreError> {
        self.execute("DELETE FROM inline_blobs WHERE blob = $1", &[&id.as_str()])?;
        self.known.get_mut().inline.insert(id.as_str().to_owned(), false);
        Ok(())
    }
}
