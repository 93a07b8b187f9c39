//! Blobs shared by several nodes (`--blobs`): opening the store over the OpenDAL service (metadata
//! in redb, or in PostgreSQL with `--meta`), and
//! the collection that deletes unreferenced blobs a grace period after they were let go
//! (ossd-store `gc.rs`), run again and again in the background.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ossd_store::{OpendalBlobs, PgConfig, Store, StoreOptions};

use crate::server::BlobsConfig;
use crate::state::AppState;

/// Opens the store: metadata in `dir`, blobs in the configured service, which is tried once so
/// that a wrong endpoint, bucket or key fails the start. Errors name the location, never the
/// credentials.
pub(crate) fn open_shared(
    dir: &Path,
    blobs: &BlobsConfig,
    meta: Option<&PgConfig>,
    opts: &StoreOptions,
) -> Result<Store, String> {
    let location = &blobs.location;
    let backend = OpendalBlobs::open(location).map_err(|e| format!("blobs at {location}: {e}"))?;
    backend.check().map_err(|e| format!("blobs at {location}: {e}"))?;
    let store = match meta {
        None => Store::open_with_backend(&dir.join("meta.redb"), Arc::new(backend), opts),
        Some(pg) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            Store::open_postgres_with_backend(pg, Arc::new(backend), Some(dir), opts)
        }
    }
    .map_err(|e| e.to_string())?;
    tracing::info!(blobs = %location, grace_s = blobs.grace.as_secs(), "blobs in a shared store");
    Ok(store)
}

/// The pause between two collection passes: a quarter of the grace period, between 1 second
/// and 15 minutes (a blob goes at most that long after its grace period ended).
pub(crate) fn interval(grace: Duration) -> Duration {
    (grace / 4).clamp(Duration::from_secs(1), Duration::from_secs(15 * 60))
}

/// Runs a collection pass now and then every [`interval`], on the blocking pool.
pub(crate) fn spawn(state: Arc<AppState>) {
    let Some(grace) = state.store.blob_grace() else { return };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval(grace));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = state.store.clone();
            let pass =
                tokio::task::spawn_blocking(move || store.collect_garbage(SystemTime::now())).await;
            match pass {
                Ok(Ok(r)) if r.removed + r.marked + r.unmarked > 0 => tracing::info!(
                    removed = r.removed,
                    marked = r.marked,
                    unmarked = r.unmarked,
                    "blob collection"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "blob collection failed"),
                Err(e) => tracing::warn!(error = %e, "blob collection panicked"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pass_interval_follows_the_grace_period_within_bounds() {
        assert_eq!(interval(Duration::from_secs(3600)), Duration::from_secs(900));
        assert_eq!(interval(Duration::from_secs(7200)), Duration::from_secs(900));
        assert_eq!(interval(Duration::from_secs(60)), Duration::from_secs(15));
        assert_eq!(interval(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
