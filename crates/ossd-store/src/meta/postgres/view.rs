//! The PostgreSQL read view: a `REPEATABLE READ READ ONLY` transaction on a pooled connection,
//! begun when the view is taken (its snapshot is taken then, by a first statement), so that
//! every read of the view sees the same committed state. Dropping the view ends the transaction
//! and gives the connection back.

use std::sync::{Mutex, PoisonError};

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::conn::{Pooled, db_error};
use super::list;
use crate::StoreError;
use crate::codec::decode;
use crate::meta::View;
use crate::record::{
    BlobId, BucketRecord, BucketStats, ListPage, ListQuery, ListUploadsQuery, ObjectRecord,
    PartRecord, UploadRecord, UploadsPage,
};

/// A read snapshot of the database.
pub(crate) struct PgView {
    conn: Mutex<Pooled>,
}

impl PgView {
    /// Begins the snapshot on `conn`.
    pub(crate) fn begin(mut conn: Pooled) -> Result<PgView, StoreError> {
        // The snapshot of a REPEATABLE READ transaction is taken by its first statement, not by
        // BEGIN: run one now, so the view shows the state of the moment it was taken.
        if let Err(e) =
            conn.conn()?.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1")
        {
            conn.discard();
            return Err(db_error(&e));
        }
        Ok(PgView { conn: Mutex::new(conn) })
    }

    pub(crate) fn rows(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        conn.conn()?.query(sql, params).map_err(|e| db_error(&e))
    }

    fn row(
        &self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        conn.conn()?.query_opt(sql, params).map_err(|e| db_error(&e))
    }
}

impl Drop for PgView {
    fn drop(&mut self) {
        let conn = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner);
        let ended = conn.conn().is_ok_and(|c| c.batch("ROLLBACK").is_ok());
        if !ended {
            // Its session may still be inside the transaction: never hand it to another view.
            conn.discard();
        }
    }
}

/// Column `i` of `row` as bytes.
pub(crate) fn bytes(row: &Row, i: usize) -> Result<Vec<u8>, StoreError> {
    row.try_get::<_, Vec<u8>>(i).map_err(|e| db_error(&e))
}

/// Decodes the record in column `i` of an optional row.
fn record<T: crate::codec::Persisted>(
    what: &str,
    row: Option<Row>,
    i: usize,
) -> Result<Option<T>, StoreError> {
    row.map(|r| decode(what, &bytes(&r, i)?)).transpose()
}

impl View for PgView {
    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        record("bucket", self.row("SELECT rec FROM buckets WHERE name = $1", &[&name])?, 0)
    }

    fn bucket_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.row("SELECT 1 FROM buckets WHERE name = $1", &[&name])?.is_some())
    }

    fn buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        self.rows("SELECT rec FROM buckets ORDER BY name", &[])?
            .iter()
            .map(|r| decode("bucket", &bytes(r, 0)?))
            .collect()
    }

    fn stats(&self, bucket: &str) -> Result<Option<BucketStats>, StoreError> {
        let row = self.row("SELECT rec FROM bucket_stats WHERE bucket = $1", &[&bucket])?;
        record("bucket stats", row, 0)
    }

    fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        let key = key.as_bytes();
        let row =
            self.row("SELECT rec FROM objects WHERE bucket = $1 AND key = $2", &[&bucket, &key])?;
        record("object", row, 0)
    }

    fn list_objects(&self, bucket: &str, q: &ListQuery) -> Result<(ListPage, usize), StoreError> {
        list::list_objects(self, bucket, q)
    }

    fn versions(
        &self,
        bucket: &str,
        key: &str,
        after_order: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ObjectRecord>, StoreError> {
        super::tables::read_versions(
            |sql, params| self.rows(sql, params),
            bucket,
            key.as_bytes(),
            after_order,
            limit,
        )
    }

    fn upload(&self, bucket: &str, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        let row = self.row(
            "SELECT rec FROM uploads WHERE bucket = $1 AND upload_id = $2",
            &[&bucket, &upload_id],
        )?;
        record("upload", row, 0)
    }

    fn list_uploads(&self, bucket: &str, q: &ListUploadsQuery) -> Result<UploadsPage, StoreError> {
        list::list_uploads(self, bucket, q)
    }

    fn parts(
        &self,
        bucket: &str,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(
            "SELECT rec FROM parts WHERE bucket = $1 AND upload_id = $2 AND number > $3 \
             ORDER BY number LIMIT $4",
            &[&bucket, &upload_id, &i64::from(after), &limit],
        )?
        .iter()
        .map(|r| decode("part", &bytes(r, 0)?))
        .collect()
    }

    fn ref_count(&self, id: &BlobId) -> Result<u64, StoreError> {
        let row = self.row("SELECT count FROM blob_refs WHERE blob = $1", &[&id.as_str()])?;
        match row {
            Some(r) => {
                let n: i64 = r.try_get(0).map_err(|e| db_error(&e))?;
                u64::try_from(n)
                    .map_err(|_| StoreError::Corrupt(format!("reference count {n} of {id}")))
            }
            None => Ok(0),
        }
    }

    fn inline(&self, id: &BlobId, f: &mut dyn FnMut(&[u8])) -> Result<bool, StoreError> {
        match self.row("SELECT bytes FROM inline_blobs WHERE blob = $1", &[&id.as_str()])? {
            Some(r) => {
                f(&bytes(&r, 0)?);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.row("SELECT doc FROM settings WHERE name = $1", &[&name])?;
        row.map(|r| bytes(&r, 0)).transpose()
    }
}
