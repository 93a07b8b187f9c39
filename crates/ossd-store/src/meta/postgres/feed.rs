//! The change feed of a shared database: which buckets and settings other nodes (or this one)
//! changed, so that a node drops what it caches of them.
//!
//! Migration 3 puts triggers on `buckets` and `settings`: each changed row bumps the `config`
//! counter and notifies channel `ossd_changes` with `"<schema> <counter> b <bucket>"` or
//! `"<schema> <counter> s <setting>"` when its transaction commits (a node hears only its own
//! schema's: the channel is shared by every schema of the database). Each node follows them on one
//! dedicated connection (not from the pool) that `LISTEN`s, and also reads the counter every
//! `poll`: a notification that never came (or a counter that moved past the last one heard)
//! turns into [`MetaChange::Everything`], so a node converges within about one `poll` even
//! without notifications. When the connection is lost the node is told to drop everything
//! ([`MetaChange::Lost`]); a new connection is opened every `poll` until one works, and once it
//! listens the node is told to drop everything again (changes made meanwhile were not heard).
//!
//! The same connection reports, in `ossd_nodes` (migration 4), how far the node has applied the
//! feed ([`crate::ChangeFeed`] says when the node asks for the next change): at once when it
//! grows, and every `poll` besides, which keeps the row fresh. A node that changed a bucket or a
//! setting waits for the fresh rows to reach its change (`PgMeta::settle`); a node whose feed is
//! lost stops reporting, and after a second nobody waits for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_postgres::{AsyncMessage, Client};

use super::config::PgConfig;
use super::conn::describe;
use crate::changes::{Applied, ChangeFeed, MetaChange};

/// What the feed hands the node: a change and the counter it brings the node to.
type Sender = UnboundedSender<(Option<i64>, MetaChange)>;

/// This process in `ossd_nodes`.
pub(crate) struct Node {
    pub(crate) name: String,
    /// Set when the process leaves (its shutdown): report no more.
    pub(crate) left: Arc<AtomicBool>,
}

/// A name for this process in `ossd_nodes`, unique among the nodes of a database.
pub(crate) fn node_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    format!("{host}:{}:{:016x}", std::process::id(), rand::random::<u64>())
}

/// The notification channel the triggers of migration 3 notify.
pub(crate) const CHANNEL: &str = "ossd_changes";

/// The `application_name` of the feed's connection (how an operator, or a test, finds it in
/// `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "ossd-changes";

/// Longest wait for the counter before the connection is taken for dead.
const COUNTER_TIMEOUT: Duration = Duration::from_millis(500);

/// Starts following the changes on `rt` as `node`; the feed stops when the [`ChangeFeed`] is
/// dropped.
pub(crate) fn spawn(
    rt: &tokio::runtime::Runtime,
    config: PgConfig,
    node: Node,
    poll: Duration,
) -> ChangeFeed {
    let (tx, rx) = unbounded_channel();
    let applied = Applied::new();
    rt.spawn(follow(config, node, poll, tx, Arc::clone(&applied)));
    ChangeFeed::new(rx, applied)
}

/// Reconnects until the receiver is gone.
async fn follow(config: PgConfig, node: Node, poll: Duration, tx: Sender, applied: Arc<Applied>) {
    let mut last = None;
    let feed = Feed { node: &node, poll, tx: &tx, applied: &applied };
    while !tx.is_closed() {
        if let Err(reason) = feed.session(&config, &mut last).await {
            if tx.send((None, MetaChange::Lost(reason))).is_err() {
                return;
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// One node's feed.
struct Feed<'a> {
    node: &'a Node,
    poll: Duration,
    tx: &'a Sender,
    applied: &'a Applied,
}

/// Rows of nodes not seen for an hour are dropped when a feed connects.
const FORGET_NODES: &str = "DELETE FROM ossd_nodes WHERE seen_at < now() - interval '1 hour'";

/// Reports how far `node` has applied the feed, and that it is alive.
const REPORT: &str = "INSERT INTO ossd_nodes (node, applied, seen_at) VALUES ($1, $2, now()) \
     ON CONFLICT (node) DO UPDATE SET applied = EXCLUDED.applied, seen_at = now()";

/// The current value of the change counter.
async fn counter(client: &Client) -> Result<i64, String> {
    let query = client.query_one("SELECT value FROM ossd_counters WHERE name = 'config'", &[]);
    let row = timed("the change counter", query).await?;
    row.try_get::<_, i64>(0).map_err(|e| describe(&e))
}

/// Runs `query` within [`COUNTER_TIMEOUT`] (a slower answer counts as a lost connection).
async fn timed<T>(
    what: &str,
    query: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, String> {
    match tokio::time::timeout(COUNTER_TIMEOUT, query).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(describe(&e)),
        Err(_) => Err(format!("{what} took longer than {COUNTER_TIMEOUT:?}")),
    }
}

/// The rest of a notification of `schema` (`None` for another schema's).
fn of_schema<'p>(payload: &'p str, schema: &str) -> Option<&'p str> {
    payload.split_once(' ').filter(|(of, _)| *of == schema).map(|(_, rest)| rest)
}

/// `"<counter> b <bucket>"` or `"<counter> s <setting>"`.
fn parse_change(payload: &str) -> Option<(i64, MetaChange)> {
    let mut parts = payload.splitn(3, ' ');
    let n = parts.next()?.parse().ok()?;
    let change = match (parts.next()?, parts.next()?) {
        ("b", name) => MetaChange::Bucket(name.to_owned()),
        ("s", name) => MetaChange::Setting(name.to_owned()),
        _ => return None,
    };
    Some((n, change))
}

/// The counter values seen so far decide whether a notification is enough, or something was
/// missed: notifications come in commit order, which is counter order (the counter row is
/// locked until the commit), so a gap means a lost one.
/// Returns the change for the node, and the counter applying it brings the node to.
pub(crate) fn on_notification(payload: &str, last: &mut Option<i64>) -> (Option<i64>, MetaChange) {
    let Some((n, change)) = parse_change(payload) else {
        return (*last, MetaChange::Everything);
    };
    match *last {
        // Seen already through the counter (which dropped everything), or the next one.
        Some(l) if n <= l => (Some(n), change),
        Some(l) if n == l + 1 => {
            *last = Some(n);
            (Some(n), change)
        }
        _ => {
            *last = Some(n);
            (Some(n), MetaChange::Everything)
        }
    }
}

impl Feed<'_> {
    /// Hands a change to the node; `false` when the node is gone.
    fn send(&self, n: Option<i64>, change: MetaChange) -> bool {
        self.tx.send((n, change)).is_ok()
    }

    /// Writes this node's row: how far it has applied, and that it is alive.
    async fn report(&self, client: &Client) -> Result<(), String> {
        if self.node.left.load(Ordering::Acquire) {
            return Ok(());
        }
        let applied = self.applied.get();
        timed("reporting to ossd_nodes", client.execute(REPORT, &[&self.node.name, &applied]))
            .await
            .map(|_| ())
    }

    /// One connection's life: `Ok` when the receiver is gone, `Err` when the connection failed.
    async fn session(&self, config: &PgConfig, last: &mut Option<i64>) -> Result<(), String> {
        let mut pg = config.inner.clone();
        pg.application_name(APPLICATION_NAME);
        let (client, mut connection) = pg
            .connect(config.tls.connector())
            .await
            .map_err(|e| format!("connecting to {config}: {}", describe(&e)))?;
        // The connection's messages: notifications go to `notes`; it ends when the socket does.
        let (notes_tx, mut notes) = unbounded_channel::<String>();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if notes_tx.send(n.payload().to_owned()).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        });
        let _abort = AbortOnDrop(driver);
        // Alive from here on: changes made from now wait for this node, which applies them
        // through the `Everything` below or their notifications.
        // A report need not be durable (a crash loses the node with it): do not wait for the
        // WAL flush on this connection.
        timed("setting up the feed", client.batch_execute("SET synchronous_commit TO off")).await?;
        timed("forgetting old nodes", client.batch_execute(FORGET_NODES)).await?;
        self.report(&client).await?;
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(|e| describe(&e))?;
        let schema: String = client
            .query_one("SELECT current_schema()", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| describe(&e))?;
        let n0 = counter(&client).await?;
        *last = Some(n0);
        // Listening from here on; what changed before was not heard.
        if !self.send(Some(n0), MetaChange::Everything) {
            return self.leave(&client).await;
        }
        let mut tick = tokio::time::interval(self.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                note = notes.recv() => {
                    let Some(payload) = note else {
                        return Err("the LISTEN connection closed".to_owned());
                    };
                    let Some(rest) = of_schema(&payload, &schema) else { continue };
                    let (n, change) = on_notification(rest, last);
                    if !self.send(n, change) {
                        return self.leave(&client).await;
                    }
                }
                () = self.applied.grew.notified() => self.report(&client).await?,
                _ = tick.tick() => {
                    let n = counter(&client).await?;
                    if last.is_none_or(|l| n > l) {
                        *last = Some(n);
                        if !self.send(Some(n), MetaChange::Everything) {
                            return self.leave(&client).await;
                        }
                    }
                    if self.tx.is_closed() {
                        return self.leave(&client).await;
                    }
                    self.report(&client).await?;
                }
            }
        }
    }

    /// The node stopped following: nobody waits for it any more.
    async fn leave(&self, client: &Client) -> Result<(), String> {
        let _ = timed(
            "leaving ossd_nodes",
            client.execute("DELETE FROM ossd_nodes WHERE node = $1", &[&self.node.name]),
        )
        .await;
        Ok(())
    }
}

/// Stops the connection's task when the session ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_in_the_counter_drops_everything() {
        let mut last = Some(4);
        assert_eq!(
            on_notification("5 b photos", &mut last),
            (Some(5), MetaChange::Bucket("photos".into()))
        );
        assert_eq!(last, Some(5));
        // Already covered by a counter read.
        assert_eq!(
            on_notification("5 s access_keys", &mut last),
            (Some(5), MetaChange::Setting("access_keys".into()))
        );
        // 6 was lost.
        assert_eq!(on_notification("7 b x", &mut last), (Some(7), MetaChange::Everything));
        assert_eq!(last, Some(7));
        assert_eq!(on_notification("garbage", &mut last), (Some(7), MetaChange::Everything));
        // A bucket name with spaces cannot exist, but the rest of the payload is the name.
        assert_eq!(
            on_notification("8 b a b", &mut last),
            (Some(8), MetaChange::Bucket("a b".into()))
        );
    }

    #[test]
    fn another_schemas_notifications_are_ignored() {
        assert_eq!(of_schema("public 3 b x", "public"), Some("3 b x"));
        assert_eq!(of_schema("t_other 3 b x", "public"), None);
        assert_eq!(of_schema("public", "public"), None);
    }
}
