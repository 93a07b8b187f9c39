//! The lifecycle worker: applies each bucket's lifecycle rules (`BucketState::lifecycle`) to its
//! objects and unfinished multipart uploads, a bounded step at a time.
//!
//! A pass walks the buckets in name order, each bucket's objects in key order and then its
//! uploads, [`STEP`] entries per step; each step reads one listing page from a snapshot and then
//! changes what it found one store commit at a time (group commit, like any request), so a
//! request never waits behind more than one such commit. Expiry deletes an object only while its
//! record is still the one judged ([`ossd_store::Store::delete_object_if_unchanged`]), so an
//! object overwritten meanwhile stays. Every decision depends only on the records and the time,
//! so a pass cut short by a restart loses nothing: the next pass starts over and finds the same.
//!
//! Time: `Days` counts whole days of 24 hours since Last-Modified (an upload's initiation), at
//! the moment the step runs; `CreatedBeforeDate` takes what was last modified before that UTC
//! midnight; the legacy `Date` expires every matching object from that midnight on. Where rules
//! disagree, expiry wins over a transition, and of several transitions due the coldest class is
//! taken (never back to a warmer one).
//!
//! In a bucket that was versioned, an `Expiration` of a current version adds a delete marker;
//! `NoncurrentVersionExpiration` removes a noncurrent version (or delete marker) for good and
//! `NoncurrentVersionTransition` changes its class, both counting `NoncurrentDays` from the
//! moment it became noncurrent (the Last-Modified of the next newer version); and
//! `ExpiredObjectDeleteMarker` removes a current delete marker that no other version of its key
//! is left behind. Without versioning they have nothing to act on.

use crate::clock::now_ms;
use crate::state::{AppState, BucketState};
use ossd_proto::docs::lifecycle::{Expiration, Rule, When};
use ossd_store::version::order_of;
use ossd_store::{
    ListQuery, ListUploadsQuery, ObjectRecord, StorageClass, StoreError, UploadRecord, VersionSel,
    Versioning,
};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// Entries (objects or uploads) one step lists and judges.
pub const STEP: usize = 1000;
/// The pause between two steps of a pass: requests get the store in between.
const STEP_PAUSE: Duration = Duration::from_millis(50);
const DAY_MS: i64 = 86_400_000;

/// What a pass (or a step) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Objects deleted by an `Expiration`.
    pub expired: u64,
    /// Objects moved to another storage class by a `Transition`.
    pub transitioned: u64,
    /// Multipart uploads aborted by `AbortMultipartUpload`.
    pub aborted: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Phase {
    #[default]
    Objects,
    Uploads,
}

/// Where a pass is: the bucket, whether objects or uploads, and the last entry judged.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    bucket: Option<String>,
    phase: Phase,
    marker: String,
    upload_marker: String,
}

fn is_due(when: When, since_ms: i64, now: i64) -> bool {
    match when {
        When::Days(d) => now.saturating_sub(since_ms) >= i64::from(d) * DAY_MS,
        When::CreatedBefore(day) => since_ms < day * DAY_MS,
    }
}

fn expires(rule: &Rule, rec: &ObjectRecord, now: i64) -> bool {
    match rule.expiration {
        Some(Expiration::At(when)) => is_due(when, rec.last_modified_ms, now),
        Some(Expiration::Date(day)) => now >= day * DAY_MS,
        Some(Expiration::ExpiredObjectDeleteMarker) | None => false,
    }
}

/// Colder classes rank higher; a transition never goes back to a warmer one.
fn rank(class: StorageClass) -> u8 {
    match class.as_str() {
        "IA" => 1,
        "Archive" => 2,
        "ColdArchive" => 3,
        "DeepColdArchive" => 4,
        _ => 0,
    }
}

/// What the enabled rules say about one object now.
enum Verdict {
    Keep,
    Expire(String),
    Transition(StorageClass, String),
}

fn judge(rules: &[Rule], rec: &ObjectRecord, now: i64) -> Verdict {
    let matching =
        || rules.iter().filter(|r| r.enabled && r.matches_object(&rec.key, &rec.tags, rec.size));
    if let Some(r) = matching().find(|r| expires(r, rec, now)) {
        return Verdict::Expire(r.id.clone());
    }
    let mut target: Option<(StorageClass, String)> = None;
    for r in matching() {
        for t in r.transitions.iter().filter(|t| is_due(t.when, rec.last_modified_ms, now)) {
            let Ok(class) = StorageClass::parse_ignore_case(&t.storage_class) else { continue };
            let best = target.as_ref().map_or(rank(rec.storage_class), |(c, _)| rank(*c));
            if rank(class) > best {
                target = Some((class, r.id.clone()));
            }
        }
    }
    match target {
        Some((class, id)) => Verdict::Transition(class, id),
        None => Verdict::Keep,
    }
}

fn aborts(rules: &[Rule], up: &UploadRecord, now: i64) -> Option<String> {
    rules
        .iter()
        .filter(|r| r.enabled && up.key.starts_with(&r.prefix))
        .find(|r| r.abort_multipart_upload.is_some_and(|w| is_due(w, up.initiated_ms, now)))
        .map(|r| r.id.clone())
}

/// The bucket after `name` in name order (the first without `name`), if any.
fn next_bucket(state: &AppState, name: Option<&str>) -> Result<Option<String>, StoreError> {
    let names = state.store.list_buckets()?.into_iter().map(|b| b.name);
    let mut names: Vec<String> = names.filter(|n| name.is_none_or(|c| n.as_str() > c)).collect();
    names.sort();
    Ok(names.into_iter().next())
}

/// Runs one bounded step of a pass at time `now` (Unix ms); returns `true` when the pass is over.
pub fn step(
    state: &AppState,
    cursor: &mut Cursor,
    now: i64,
    report: &mut Report,
) -> Result<bool, StoreError> {
    let name = match &cursor.bucket {
        Some(n) => n.clone(),
        None => match next_bucket(state, None)? {
            Some(n) => {
                *cursor = Cursor { bucket: Some(n.clone()), ..Cursor::default() };
                n
            }
            None => return Ok(true),
        },
    };
    let b: Option<Arc<BucketState>> = state.bucket(&name).ok().flatten();
    let rules = b.as_ref().and_then(|b| b.lifecycle.as_ref()).map(|c| c.rules.as_slice());
    let finished_bucket = match rules.filter(|r| r.iter().any(|r| r.enabled)) {
        None => true,
        Some(rules) => match cursor.phase {
            Phase::Objects => {
                let versioned =
                    b.as_ref().is_some_and(|b| Versioning::of(&b.record) != Versioning::Off);
                objects_step(state, (&name, versioned), rules, cursor, now, report)?;
                false
            }
            Phase::Uploads => uploads_step(state, &name, rules, cursor, now, report)?,
        },
    };
    if !finished_bucket {
        return Ok(false);
    }
    match next_bucket(state, Some(&name))? {
        Some(n) => {
            *cursor = Cursor { bucket: Some(n), ..Cursor::default() };
            Ok(false)
        }
        None => {
            *cursor = Cursor::default();
            Ok(true)
        }
    }
}

fn objects_step(
    state: &AppState,
    (bucket, versioned): (&str, bool),
    rules: &[Rule],
    cursor: &mut Cursor,
    now: i64,
    report: &mut Report,
) -> Result<(), StoreError> {
    let q = ListQuery {
        prefix: String::new(),
        delimiter: String::new(),
        marker: cursor.marker.clone(),
        max_keys: STEP,
        include_markers: versioned,
    };
    let page = match state.store.list_objects(bucket, &q) {
        Err(StoreError::NoSuchBucket) => {
            cursor.phase = Phase::Uploads;
            return Ok(());
        }
        other => other?,
    };
    for rec in &page.objects {
        if versioned {
            versions_of_key(state, bucket, rules, rec, now, report)?;
        }
        if rec.delete_marker {
            continue;
        }
        match judge(rules, rec, now) {
            Verdict::Keep => {}
            Verdict::Expire(rule) => {
                if state.store.delete_object_if_unchanged(bucket, rec)? {
                    report.expired += 1;
                    state.metrics.lifecycle_action();
                    tracing::info!(bucket, key = %rec.key, rule = %rule, "lifecycle expired object");
                }
            }
            Verdict::Transition(class, rule) => {
                let mut changed = false;
                let r = state.store.update_object(bucket, &rec.key, &mut |r| {
                    if r == rec {
                        r.storage_class = class;
                        changed = true;
                    }
                });
                match r {
                    Ok(_) | Err(StoreError::NoSuchKey) => {}
                    Err(e) => return Err(e),
                }
                if changed {
                    report.transitioned += 1;
                    state.metrics.lifecycle_action();
                    tracing::info!(bucket, key = %rec.key, rule = %rule, class = class.as_str(), "lifecycle changed storage class");
                }
            }
        }
    }
    match (page.is_truncated, page.objects.last()) {
        (true, Some(last)) => cursor.marker = last.key.clone(),
        _ => {
            cursor.phase = Phase::Uploads;
            cursor.marker.clear();
        }
    }
    Ok(())
}

/// The version `rec` is, as a request would name it.
fn sel_of(rec: &ObjectRecord) -> Option<VersionSel> {
    VersionSel::parse(rec.version_label())
}

/// The noncurrent-version actions and `ExpiredObjectDeleteMarker` for the key whose current
/// version is `current`.
fn versions_of_key(
    state: &AppState,
    bucket: &str,
    rules: &[Rule],
    current: &ObjectRecord,
    now: i64,
    report: &mut Report,
) -> Result<(), StoreError> {
    let key = current.key.as_str();
    let about_key = || rules.iter().filter(|r| r.enabled && key.starts_with(&r.prefix));
    let noncurrent_rules = about_key()
        .any(|r| r.noncurrent_expiration_days.is_some() || !r.noncurrent_transitions.is_empty());
    let eodm = current.delete_marker
        && about_key().any(|r| r.expiration == Some(Expiration::ExpiredObjectDeleteMarker));
    if !noncurrent_rules && !eodm {
        return Ok(());
    }
    // Newest first; each became noncurrent when the next newer version was written.
    let mut newer_ms = current.last_modified_ms;
    let mut after = None;
    let mut left = 0usize;
    loop {
        let page = state.store.noncurrent_versions(bucket, key, after, STEP)?;
        let full = page.len() == STEP;
        for v in &page {
            after = Some(order_of(v.seq));
            let since = newer_ms;
            newer_ms = v.last_modified_ms;
            if noncurrent_action(state, bucket, rules, v, since, now, report)? {
                continue;
            }
            left += 1;
        }
        if !full {
            break;
        }
    }
    if eodm
        && left == 0
        && let Some(sel) = sel_of(current)
    {
        state.store.delete_versions(bucket, &[(key.to_owned(), Some(sel))])?;
        report.expired += 1;
        state.metrics.lifecycle_action();
        tracing::info!(bucket, key, "lifecycle removed an expired delete marker");
    }
    Ok(())
}

/// Applies the noncurrent-version rules to `v`, noncurrent since `since`; returns whether it
/// was removed.
fn noncurrent_action(
    state: &AppState,
    bucket: &str,
    rules: &[Rule],
    v: &ObjectRecord,
    since: i64,
    now: i64,
    report: &mut Report,
) -> Result<bool, StoreError> {
    let Some(sel) = sel_of(v) else { return Ok(false) };
    let matching =
        || rules.iter().filter(|r| r.enabled && r.matches_object(&v.key, &v.tags, v.size));
    let expire = matching()
        .find(|r| r.noncurrent_expiration_days.is_some_and(|d| is_due(When::Days(d), since, now)));
    if let Some(r) = expire {
        state.store.delete_versions(bucket, &[(v.key.clone(), Some(sel))])?;
        report.expired += 1;
        state.metrics.lifecycle_action();
        tracing::info!(bucket, key = %v.key, version = v.version_label(), rule = %r.id, "lifecycle expired noncurrent version");
        return Ok(true);
    }
    if v.delete_marker {
        return Ok(false);
    }
    let mut target: Option<StorageClass> = None;
    for r in matching() {
        for t in r.noncurrent_transitions.iter().filter(|t| is_due(t.when, since, now)) {
            let Ok(class) = StorageClass::parse_ignore_case(&t.storage_class) else { continue };
            if rank(class) > target.map_or(rank(v.storage_class), rank) {
                target = Some(class);
            }
        }
    }
    if let Some(class) = target {
        match state.store.update_version(bucket, &v.key, Some(&sel), &mut |r| {
            r.storage_class = class;
        }) {
            Ok(_) => {
                report.transitioned += 1;
                state.metrics.lifecycle_action();
            }
            Err(StoreError::NoSuchVersion | StoreError::NoSuchKey) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Returns `true` when the bucket's uploads are done.
fn uploads_step(
    state: &AppState,
    bucket: &str,
    rules: &[Rule],
    cursor: &mut Cursor,
    now: i64,
    report: &mut Report,
) -> Result<bool, StoreError> {
    if rules.iter().all(|r| r.abort_multipart_upload.is_none()) {
        return Ok(true);
    }
    let q = ListUploadsQuery {
        prefix: String::new(),
        delimiter: String::new(),
        key_marker: cursor.marker.clone(),
        upload_id_marker: cursor.upload_marker.clone(),
        max_uploads: STEP,
    };
    let page = match state.store.list_uploads(bucket, &q) {
        Err(StoreError::NoSuchBucket) => return Ok(true),
        other => other?,
    };
    for up in &page.uploads {
        if let Some(rule) = aborts(rules, up, now) {
            match state.store.abort_upload(bucket, &up.upload_id) {
                Ok(()) => {
                    report.aborted += 1;
                    state.metrics.lifecycle_action();
                    tracing::info!(bucket, key = %up.key, upload_id = %up.upload_id, rule = %rule, "lifecycle aborted multipart upload");
                }
                Err(StoreError::NoSuchUpload) => {}
                Err(e) => return Err(e),
            }
        }
    }
    match (page.is_truncated, page.uploads.last()) {
        (true, Some(last)) => {
            cursor.marker = last.key.clone();
            cursor.upload_marker = last.upload_id.clone();
            Ok(false)
        }
        _ => Ok(true),
    }
}

/// Runs a whole pass at time `now`, step after step without pausing: the admin API's "run now".
pub fn run_pass(state: &AppState, now: i64) -> Result<Report, StoreError> {
    let mut cursor = Cursor::default();
    let mut report = Report::default();
    while !step(state, &mut cursor, now, &mut report)? {}
    Ok(report)
}

/// Starts the background worker: a pass at start and then every `lifecycle_interval` (a
/// setting, an hour by default), one step at a time on the blocking pool with a pause between
/// steps.
pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            let mut cursor = Cursor::default();
            let mut report = Report::default();
            loop {
                let st = state.clone();
                let (c, r) = (cursor.clone(), report);
                let done = tokio::task::spawn_blocking(move || {
                    let (mut c, mut r) = (c, r);
                    step(&st, &mut c, now_ms(), &mut r).map(|done| (done, c, r))
                })
                .await;
                match done {
                    Ok(Ok((done, c, r))) => {
                        (cursor, report) = (c, r);
                        if done {
                            break;
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "lifecycle step failed; the pass stops here");
                        break;
                    }
                    Err(_) => break,
                }
                tokio::time::sleep(STEP_PAUSE).await;
            }
            if report != Report::default() {
                tracing::info!(
                    expired = report.expired,
                    transitioned = report.transitioned,
                    aborted = report.aborted,
                    "lifecycle pass done"
                );
            }
            tokio::time::sleep(state.config.lifecycle_interval).await;
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
    use super::*;
    use ossd_proto::docs::lifecycle::parse;

    fn rules(xml: &str) -> Vec<Rule> {
        let doc = format!("<LifecycleConfiguration>{xml}</LifecycleConfiguration>");
        parse(doc.as_bytes(), true).unwrap().rules
    }

    fn object(key: &str, class: StorageClass) -> ObjectRecord {
        ObjectRecord { key: key.into(), storage_class: class, ..ObjectRecord::default() }
    }

    fn verdict(rules: &[Rule], rec: &ObjectRecord, days: i64) -> String {
        match judge(rules, rec, days * DAY_MS) {
            Verdict::Keep => "keep".into(),
            Verdict::Expire(id) => format!("expire {id}"),
            Verdict::Transition(class, id) => format!("{} {id}", class.as_str()),
        }
    }

    #[test]
    fn expiry_beats_transitions_and_the_coldest_due_class_wins() {
        let rs = rules(
            "<Rule><ID>t</ID><Prefix></Prefix><Status>Enabled</Status>\
             <Transition><Days>1</Days><StorageClass>IA</StorageClass></Transition>\
             <Transition><Days>3</Days><StorageClass>Archive</StorageClass></Transition></Rule>\
             <Rule><ID>e</ID><Prefix>tmp/</Prefix><Status>Enabled</Status>\
             <Expiration><Days>2</Days></Expiration></Rule>\
             <Rule><ID>off</ID><Prefix>x/</Prefix><Status>Disabled</Status>\
             <Expiration><Days>1</Days></Expiration></Rule>",
        );
        let std = object("a", StorageClass::Standard);
        assert_eq!(verdict(&rs, &std, 0), "keep");
        assert_eq!(verdict(&rs, &std, 1), "IA t");
        assert_eq!(verdict(&rs, &std, 5), "Archive t");
        // Never back to a warmer class.
        assert_eq!(verdict(&rs, &object("a", StorageClass::Archive), 5), "keep");
        assert_eq!(verdict(&rs, &object("a", StorageClass::ColdArchive), 5), "keep");
        let tmp = object("tmp/a", StorageClass::Standard);
        assert_eq!(verdict(&rs, &tmp, 1), "IA t");
        assert_eq!(verdict(&rs, &tmp, 2), "expire e");
        // A disabled rule does nothing.
        assert_eq!(verdict(&rs, &object("x/a", StorageClass::Archive), 9), "keep");
    }

    #[test]
    fn dates_and_uploads() {
        let rs = rules(
            "<Rule><ID>d</ID><Prefix>d/</Prefix><Status>Enabled</Status><Expiration>\
             <CreatedBeforeDate>1970-01-03T00:00:00.000Z</CreatedBeforeDate></Expiration>\
             <AbortMultipartUpload><Days>2</Days></AbortMultipartUpload></Rule>",
        );
        let mut rec = object("d/a", StorageClass::Standard);
        rec.last_modified_ms = 2 * DAY_MS - 1;
        assert_eq!(verdict(&rs, &rec, 100), "expire d");
        rec.last_modified_ms = 2 * DAY_MS;
        assert_eq!(verdict(&rs, &rec, 100), "keep");
        let up =
            UploadRecord { key: "d/u".into(), initiated_ms: DAY_MS, ..UploadRecord::default() };
        assert_eq!(aborts(&rs, &up, 3 * DAY_MS - 1), None);
        assert_eq!(aborts(&rs, &up, 3 * DAY_MS).as_deref(), Some("d"));
        let other = UploadRecord { key: "e/u".into(), ..up };
        assert_eq!(aborts(&rs, &other, 30 * DAY_MS), None);
    }
}
