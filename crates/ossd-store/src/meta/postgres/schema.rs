//! The PostgreSQL schema, as numbered migrations applied at start.
//!
//! `schema_migrations` records each applied version. Every node runs [`migrate`] when it opens
//! the store, under a session-level advisory lock, so nodes starting together apply each
//! migration exactly once and the others wait, then find it done. A database whose newest
//! migration is unknown to this build (written by a newer ossd) is refused.
//!
//! A later change adds a migration at the end of [`MIGRATIONS`]: never edit one that shipped.
//! Migration 2 added object versioning: the noncurrent versions table and the `delete_marker`
//! column of `objects` that listings filter on.
//!
//! Every text key is `COLLATE "C"` and object keys are `bytea`, so that order and range bounds
//! are byte order, as in redb; records are the versioned encodings of `codec.rs`, as in redb.

use super::conn::{Conn, db_error};
use crate::StoreError;

/// Migrations, version `i + 1` at index `i`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the tables of the metadata trait.
    r#"
    CREATE TABLE ossd_counters (
        name text COLLATE "C" PRIMARY KEY,
        value bigint NOT NULL
    );
    INSERT INTO ossd_counters (name, value) VALUES ('generation', 0);
    CREATE TABLE buckets (
        name text COLLATE "C" PRIMARY KEY,
        rec bytea NOT NULL
    );
    CREATE TABLE bucket_stats (
        bucket text COLLATE "C" PRIMARY KEY,
        rec bytea NOT NULL
    );
    CREATE TABLE objects (
        bucket text COLLATE "C" NOT NULL,
        key bytea NOT NULL,
        rec bytea NOT NULL,
        PRIMARY KEY (bucket, key)
    );
    CREATE TABLE uploads (
        bucket text COLLATE "C" NOT NULL,
        upload_id text COLLATE "C" NOT NULL,
        key bytea NOT NULL,
        rec bytea NOT NULL,
        PRIMARY KEY (bucket, upload_id)
    );
    CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
    CREATE TABLE parts (
        bucket text COLLATE "C" NOT NULL,
        upload_id text COLLATE "C" NOT NULL,
        number bigint NOT NULL,
        rec bytea NOT NULL,
        PRIMARY KEY (bucket, upload_id, number)
    );
    CREATE TABLE blob_refs (
        blob text COLLATE "C" PRIMARY KEY,
        count bigint NOT NULL CHECK (count > 0)
    );
    CREATE TABLE inline_blobs (
        blob text COLLATE "C" PRIMARY KEY,
        bytes bytea NOT NULL
    );
    "#,
    // 2: object versioning (docs/design.md, section 12). `ord` is the redb order
    // `u64::MAX - seq` with its top bit flipped ([`super::tables::ord_column`]), so that
    // ascending `ord` is newest first, as in redb. Rows written before are no delete markers.
    r#"
    ALTER TABLE objects ADD COLUMN delete_marker boolean NOT NULL DEFAULT false;
    CREATE TABLE object_versions (
        bucket text COLLATE "C" NOT NULL,
        key bytea NOT NULL,
        ord bigint NOT NULL,
        rec bytea NOT NULL,
        PRIMARY KEY (bucket, key, ord)
    );
    "#,
    // 3: settings documents, and the change feed of what nodes cache (`feed.rs`): every insert,
    // update or delete of a bucket or a setting bumps the `config` counter and, at commit,
    // notifies channel `ossd_changes` with "<schema> <counter> b <bucket>" or
    // "<schema> <counter> s <setting>" (channels are per database, schemas share them).
    // The counter row is locked until the commit, so counter order is commit order, and a
    // node that reads a new value also reads the change that made it.
    r#"
    CREATE TABLE settings (
        name text COLLATE "C" PRIMARY KEY,
        doc bytea NOT NULL
    );
    INSERT INTO ossd_counters (name, value) VALUES ('config', 0);
    CREATE FUNCTION ossd_config_changed() RETURNS trigger LANGUAGE plpgsql AS $f$
    DECLARE
        n bigint;
        what text;
    BEGIN
        UPDATE ossd_counters SET value = value + 1 WHERE name = 'config' RETURNING value INTO n;
        IF TG_TABLE_NAME = 'buckets' THEN
            what := 'b ' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END);
        ELSE
            what := 's ' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END);
        END IF;
        PERFORM pg_notify('ossd_changes', TG_TABLE_SCHEMA || ' ' || n::text || ' ' || what);
        RETURN NULL;
    END
    $f$;
    CREATE TRIGGER buckets_changed AFTER INSERT OR UPDATE OR DELETE ON buckets
        FOR EACH ROW EXECUTE FUNCTION ossd_config_changed();
    CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE ON settings
        FOR EACH ROW EXECUTE FUNCTION ossd_config_changed();
    "#,
    // 4: how far each node has applied the change feed (`feed.rs`): a node's feed connection
    // keeps its row fresh (`seen_at`, the database's clock) and `applied` at the last change
    // counter its caches have dropped; a node that changed a bucket or a setting waits until
    // every fresh row has applied it (`PgMeta::settle`).
    r#"
    CREATE TABLE ossd_nodes (
        node text COLLATE "C" PRIMARY KEY,
        applied bigint NOT NULL,
        seen_at timestamptz NOT NULL
    );
    "#,
];

/// The advisory lock serializing migrations: one key per schema of the database (tests run side
/// by side in schemas of one database).
const LOCK: &str =
    "SELECT pg_advisory_lock(hashtextextended('ossd-migrate:' || current_schema(), 0))";
const UNLOCK: &str =
    "SELECT pg_advisory_unlock(hashtextextended('ossd-migrate:' || current_schema(), 0))";

/// Applies the migrations this database lacks; returns the schema version.
pub(crate) fn migrate(conn: &Conn) -> Result<usize, StoreError> {
    conn.batch(LOCK).map_err(|e| db_error(&e))?;
    let result = migrate_locked(conn);
    // A session lock outlives a failed transaction; release it either way (the connection is
    // closed after this anyway, which releases it too).
    let unlocked = conn.batch(UNLOCK).map_err(|e| db_error(&e));
    let version = result?;
    unlocked?;
    Ok(version)
}

fn migrate_locked(conn: &Conn) -> Result<usize, StoreError> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(|e| db_error(&e))?;
    let row = conn
        .query_opt("SELECT COALESCE(max(version), 0) FROM schema_migrations", &[])
        .map_err(|e| db_error(&e))?;
    let current = row.map_or(Ok(0), |r| r.try_get::<_, i32>(0)).map_err(|e| db_error(&e))?;
    let current = usize::try_from(current)
        .map_err(|_| StoreError::Corrupt(format!("schema version {current}")))?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the PostgreSQL schema is at version {current}; this build knows versions up to {}",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i + 1;
        let record = format!("INSERT INTO schema_migrations (version) VALUES ({version})");
        let txn = format!("BEGIN; {sql}; {record}; COMMIT");
        if let Err(e) = conn.batch(&txn) {
            let _ = conn.batch("ROLLBACK");
            return Err(StoreError::Meta(format!(
                "migration {version} failed: {}",
                super::conn::describe(&e)
            )));
        }
    }
    Ok(MIGRATIONS.len())
}

/// Counts one more start of a store on this database: its generation, which blob ids carry and
/// the orphan sweep compares.
pub(crate) fn bump_generation(conn: &Conn) -> Result<u64, StoreError> {
    let row = conn
        .query_opt(
            "UPDATE ossd_counters SET value = value + 1 WHERE name = 'generation' RETURNING value",
            &[],
        )
        .map_err(|e| db_error(&e))?
        .ok_or_else(|| StoreError::Corrupt("the generation counter is missing".to_owned()))?;
    let value: i64 = row.try_get(0).map_err(|e| db_error(&e))?;
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("generation {value}")))
}
