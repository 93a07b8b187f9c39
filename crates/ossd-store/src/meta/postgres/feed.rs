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

use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_postgres::{AsyncMessage, Client, NoTls};

use super::config::PgConfig;
use crate::changes::MetaChange;

/// The notification channel the triggers of migration 3 notify.
pub(crate) const CHANNEL: &str = "ossd_changes";

/// The `application_name` of the feed's connection (how an operator, or a test, finds it in
/// `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "ossd-changes";

/// Longest wait for the counter before the connection is taken for dead.
const COUNTER_TIMEOUT: Duration = Duration::from_millis(500);

/// Starts following the changes on `rt`; the feed stops when the receiver is dropped.
pub(crate) fn spawn(
    rt: &tokio::runtime::Runtime,
    config: PgConfig,
    poll: Duration,
) -> UnboundedReceiver<MetaChange> {
    let (tx, rx) = unbounded_channel();
    rt.spawn(follow(config, poll, tx));
    rx
}

/// Reconnects until the receiver is gone.
async fn follow(config: PgConfig, poll: Duration, tx: UnboundedSender<MetaChange>) {
    let mut last = None;
    while !tx.is_closed() {
        if let Err(reason) = session(&config, poll, &tx, &mut last).await {
            if tx.send(MetaChange::Lost(reason)).is_err() {
                return;
            }
            tokio::time::sleep(poll).await;
        }
    }
}

/// The current value of the change counter.
async fn counter(client: &Client) -> Result<i64, String> {
    let query = client.query_one("SELECT value FROM ossd_counters WHERE name = 'config'", &[]);
    match tokio::time::timeout(COUNTER_TIMEOUT, query).await {
        Ok(Ok(row)) => row.try_get::<_, i64>(0).map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("the change counter took longer than {COUNTER_TIMEOUT:?}")),
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
pub(crate) fn on_notification(payload: &str, last: &mut Option<i64>) -> MetaChange {
    let Some((n, change)) = parse_change(payload) else {
        return MetaChange::Everything;
    };
    match *last {
        // Seen already through the counter (which dropped everything), or the next one.
        Some(l) if n <= l => change,
        Some(l) if n == l + 1 => {
            *last = Some(n);
            change
        }
        _ => {
            *last = Some(n);
            MetaChange::Everything
        }
    }
}

/// One connection's life: `Ok` when the receiver is gone, `Err` when the connection failed.
async fn session(
    config: &PgConfig,
    poll: Duration,
    tx: &UnboundedSender<MetaChange>,
    last: &mut Option<i64>,
) -> Result<(), String> {
    let mut pg = config.inner.clone();
    pg.application_name(APPLICATION_NAME);
    let (client, mut connection) =
        pg.connect(NoTls).await.map_err(|e| format!("connecting to {config}: {e}"))?;
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
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(|e| e.to_string())?;
    let schema: String = client
        .query_one("SELECT current_schema()", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| e.to_string())?;
    *last = Some(counter(&client).await?);
    // Listening from here on; what changed before was not heard.
    if tx.send(MetaChange::Everything).is_err() {
        return Ok(());
    }
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            note = notes.recv() => {
                let Some(payload) = note else {
                    return Err("the LISTEN connection closed".to_owned());
                };
                let Some(rest) = of_schema(&payload, &schema) else { continue };
                if tx.send(on_notification(rest, last)).is_err() {
                    return Ok(());
                }
            }
            _ = tick.tick() => {
                let n = counter(&client).await?;
                if last.is_none_or(|l| n > l) {
                    *last = Some(n);
                    if tx.send(MetaChange::Everything).is_err() {
                        return Ok(());
                    }
                }
                if tx.is_closed() {
                    return Ok(());
                }
            }
        }
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
        assert_eq!(on_notification("5 b photos", &mut last), MetaChange::Bucket("photos".into()));
        assert_eq!(last, Some(5));
        // Already covered by a counter read.
        assert_eq!(
            on_notification("5 s access_keys", &mut last),
            MetaChange::Setting("access_keys".into())
        );
        // 6 was lost.
        assert_eq!(on_notification("7 b x", &mut last), MetaChange::Everything);
        assert_eq!(last, Some(7));
        assert_eq!(on_notification("garbage", &mut last), MetaChange::Everything);
        // A bucket name with spaces cannot exist, but the rest of the payload is the name.
        assert_eq!(on_notification("8 b a b", &mut last), MetaChange::Bucket("a b".into()));
    }

    #[test]
    fn another_schemas_notifications_are_ignored() {
        assert_eq!(of_schema("public 3 b x", "public"), Some("3 b x"));
        assert_eq!(of_schema("t_other 3 b x", "public"), None);
        assert_eq!(of_schema("public", "public"), None);
    }
}
