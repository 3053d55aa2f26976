//! fude (筆): Japanese kana handwriting recognition and synthesis.
//!
//! The library is split by concern:
//! - [`ink`]: strokes and images → one 28x28 model input (rasterized with tiny-skia);
//! - [`data`]: the class table, datasets (Kuzushiji-49, npz, generated kana, synthetic drawings);
//! - [`models`]: the recognizer network, checkpoints, device choice;
//! - [`training`]: the training loop, metrics and evaluation;
//! - [`bench`](mod@bench): speed measurements printed by `fude bench` and `cargo bench`;
//! - [`app`]: the desktop app (canvas, live recognition, text buffer);
//! - [`cli`]: the `fude` command line; without a command it opens the app (the binary is a thin
//!   wrapper around it).

#![warn(missing_docs)]

pub mod app;
pub mod bench;
pub mod cli;
pub mod data;
pub mod error;
pub mod fuzz;
pub mod ink;
pub mod models;
pub mod text;
pub mod training;

pub use error::{Error, Result};

/// Keeps large tensor buffers in the heap instead of fresh `mmap`s. candle allocates a new buffer
/// per op; with glibc's default, every buffer over 32 MiB is mapped and unmapped each time, and
/// the page faults cost more than the arithmetic (measured: im2col of a batch 122 ms → 14 ms).
/// Every thread shares the main heap, which is never trimmed below 1 GiB: the heaps glibc gives
/// other threads (the app trains on one, rayon's workers allocate too) are at most 64 MiB each and
/// hand freed pages back at once, so a step's buffers were faulted in afresh every step (measured
/// on AMD EPYC: the thin generator trained on a spawned thread at 229–273 images/s, 296–348 sharing
/// the main heap; `fude bench data`'s training feed on all threads 14,757–14,931 → 19,351–19,541
/// images/s). Call once at start-up, before threads start. A no-op off glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads allocate.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
