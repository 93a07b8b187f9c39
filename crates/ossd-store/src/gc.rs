//! Garbage collection of blobs shared by several nodes: a blob is deleted only after it has been
//! seen unreferenced for a grace period (docs/design.md, section 13).
//!
//! Every deletion goes through a deletion mark kept by the blob backend (`gc/<id>` beside the
//! blobs), whose write time starts the wait:
//!
//! - a commit that leaves a blob unreferenced marks it right after the commit (`txn.rs`);
//! - a pass of [`Store::collect_garbage`] marks every unmarked blob that is older than the grace
//!   period and unreferenced (orphans of crashed uploads, blobs whose mark was lost);
//! - the same pass deletes the blob of every mark older than the grace period that is still
//!   unreferenced, then the mark; a mark whose blob is referenced again is removed;
//! - and it removes staging leftovers (`fs`) last written a grace period ago.
//!
//! A mark is only ever written after its blob was seen unreferenced, so a blob goes at least a
//! grace period after it stopped being referenced: a reader on any node that fetched a record
//! before that (or a CopyObject that shares the blob) has that long to finish.

use std::collections::HashSet;
use std::sync::PoisonError;
use std::time::{Duration, SystemTime};

use crate::StoreError;
use crate::record::BlobId;
use crate::store::{SWEEP_BATCH, Store};

/// What one pass of [`Store::collect_garbage`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Unreferenced blobs older than the grace period that got a deletion mark.
    pub marked: usize,
    /// Blobs deleted (their mark was older than the grace period, nothing referenced them).
    pub removed: usize,
    /// Marks removed because their blob is referenced again.
    pub unmarked: usize,
    /// Staging leftovers of crashed writers removed (a grace period old).
    pub staging: usize,
}

impl Store {
    /// The grace period of shared blobs, if the store has one ([`crate::StoreOptions::blob_grace`]).
    pub fn blob_grace(&self) -> Option<Duration> {
        self.inner.grace
    }

    /// One collection pass as if the time were `now` (see the module comment). Without a grace
    /// period this is the generation sweep ([`Store::sweep_orphans`]).
    pub fn collect_garbage(&self, now: SystemTime) -> Result<GcReport, StoreError> {
        let Some(grace) = self.inner.grace else {
            let removed = self.sweep_orphans()?;
            return Ok(GcReport { removed, ..GcReport::default() });
        };
        let old = |t: SystemTime| now.duration_since(t).is_ok_and(|age| age >= grace);
        let blobs = &self.inner.blobs;
        let mut report = GcReport::default();

        // Marks: the due ones are acted on, the others only remembered.
        let mut marked = HashSet::new();
        let mut due = Vec::new();
        blobs.for_each_mark(&mut |id, set_at| {
            if old(set_at) {
                due.push(id);
            } else {
                marked.insert(id);
            }
            Ok(())
        })?;
        for batch in due.chunks(SWEEP_BATCH) {
            let _guard = self.inner.write_lock.lock().unwrap_or_else(PoisonError::into_inner);
            let view = self.view()?;
            for id in batch {
                if view.ref_count(id)? == 0 {
                    blobs.remove(id)?;
                    report.removed += 1;
                } else {
                    report.unmarked += 1;
                }
                blobs.unmark(id)?;
            }
        }
        marked.extend(due);

        // Blobs without a mark: old and unreferenced ones get one.
        let mut candidates = Vec::new();
        let mut mark_batch = |candidates: &mut Vec<BlobId>| -> Result<(), StoreError> {
            let view = self.view()?;
            for id in candidates.drain(..) {
                if view.ref_count(&id)? == 0 {
                    blobs.mark(&id)?;
                    report.marked += 1;
                }
            }
            Ok(())
        };
        blobs.for_each_dated(&mut |id, written| {
            if old(written) && !marked.contains(&id) {
                candidates.push(id);
                if candidates.len() >= SWEEP_BATCH {
                    mark_batch(&mut candidates)?;
                }
            }
            Ok(())
        })?;
        mark_batch(&mut candidates)?;

        // Staging leftovers of writers that crashed (a live one writes all the time).
        if let Some(cutoff) = now.checked_sub(grace) {
            report.staging = blobs.sweep_staging(cutoff)?;
        }
        Ok(report)
    }
}
