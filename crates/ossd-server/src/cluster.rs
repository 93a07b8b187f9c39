//! Several nodes over one shared metadata database: each node caches bucket state (records,
//! compiled CORS rules) and the access keys, and drops what the store's change feed
//! ([`ossd_store::MetaChange`]) says changed, on whichever node it changed. With redb there is
//! no feed and nothing to do.
//!
//! Asking the feed for the next change tells the store this one is applied; a node that
//! changed a bucket or the keys waits for every live node to have applied it before it answers
//! ([`ossd_store::Store::settle_config`]), so a client that changed a CORS rule, an ACL or a key
//! through one node finds it in force on every node as soon as it is told so. While the feed is
//! lost, nothing read of buckets is cached and the keys are read from the metadata for every
//! request; once it is heard again the keys are reloaded and trusted from memory again.

use std::sync::Arc;
use std::time::Duration;

use ossd_store::MetaChange;

use crate::keys::KEYS_SETTING;
use crate::state::AppState;

/// How often the feed checks the change counter besides listening: a lost notification or a
/// dead LISTEN connection is noticed within this, so a change shows on every node in well
/// under a second.
pub const CHANGE_POLL: Duration = Duration::from_millis(250);

/// Starts following the changes, if the metadata is shared. Fails only if the feed cannot
/// start at all; a lost connection later is retried by the feed itself.
pub(crate) fn follow(state: &Arc<AppState>) -> Result<(), String> {
    let Some(mut changes) = state.store.watch_changes(CHANGE_POLL).map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let state = Arc::clone(state);
    tokio::spawn(async move {
        // While the database is unreachable the feed retries every CHANGE_POLL: log the loss once.
        let mut lost = false;
        while let Some(change) = changes.recv().await {
            match &change {
                MetaChange::Lost(reason) if !lost => {
                    tracing::warn!(%reason, "change feed of the shared metadata lost; reconnecting");
                    lost = true;
                }
                MetaChange::Lost(_) => {}
                MetaChange::Everything if lost => {
                    tracing::info!("change feed of the shared metadata back");
                    lost = false;
                }
                _ => {}
            }
            apply(&state, change).await;
        }
    });
    Ok(())
}

/// Drops what `change` makes stale.
async fn apply(state: &Arc<AppState>, change: MetaChange) {
    let reload_keys = match change {
        MetaChange::Bucket(name) => {
            state.forget_bucket(&name);
            false
        }
        MetaChange::Setting(name) => name == KEYS_SETTING,
        MetaChange::Everything => {
            state.set_bucket_caching(true);
            true
        }
        MetaChange::Lost(_) => {
            state.set_bucket_caching(false);
            state.keys.set_current(false);
            false
        }
    };
    if reload_keys {
        let st = Arc::clone(state);
        match tokio::task::spawn_blocking(move || st.keys.reload()).await {
            // Memory holds what is stored now, and the feed, heard (the change came through
            // it), tells of every later change: a loss is applied after this one.
            Ok(Ok(())) => state.keys.set_current(true),
            Ok(Err(e)) => tracing::warn!(error = %e, "reloading the access keys failed"),
            Err(e) => tracing::warn!(error = %e, "reloading the access keys panicked"),
        }
    }
}
