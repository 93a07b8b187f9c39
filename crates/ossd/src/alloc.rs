//! The global allocator, mimalloc, and the housekeeping that gives memory back after a burst.

use std::time::Duration;

/// mimalloc instead of glibc's malloc: a request allocates and frees dozens of small buffers, which
/// cost a quarter of a small GET's instructions under glibc, and glibc's per-thread arenas kept
/// ~100 MiB after a burst of concurrent PUTs (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How often the housekeeping thread runs.
const TICK: Duration = Duration::from_secs(1);
/// Larger than mimalloc's largest pooled block (512 KiB): such a block has an allocator page of
/// its own, which goes back to the arena when it is freed.
const PAGE_SIZED: usize = 1 << 20;

/// Starts the allocator's housekeeping thread.
///
/// mimalloc gives freed memory back to the system ("purges" it) a delay (1 s) after its pages
/// went back to the arena, but it only looks for expired purges when some thread frees a page.
/// An idle server frees none, so what a burst freed would stay resident until the next burst.
/// Once a second this thread allocates and frees a block with a page of its own (never
/// touched), which makes mimalloc carry out the purges that are due. Memory still cached by a
/// thread's own heap is freed when the thread ends (blocking threads end after a short idle
/// time, see `main`).
pub fn start_housekeeping() {
    let spawned = std::thread::Builder::new().name("ossd-alloc".to_owned()).spawn(|| {
        loop {
            std::thread::sleep(TICK);
            let page: Vec<u8> = Vec::with_capacity(PAGE_SIZED);
            std::hint::black_box(&page);
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the allocator housekeeping thread");
    }
}
