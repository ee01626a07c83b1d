//! Hazard pointers (Michael, "Hazard Pointers: Safe Memory Reclamation for
//! Lock-Free Objects", IEEE TPDS 2004), with asymmetric fences.
//!
//! A reader announces the pointer it is about to dereference in a *hazard
//! slot* it owns, then re-reads the source to check the pointer is still
//! reachable ([`HazardPointer::protect`]). A writer that unlinks an object
//! *retires* it ([`Domain::retire`]); retired objects are freed by a *scan*
//! that reads every hazard slot of the [`Domain`] and frees the retired
//! objects nobody announced.
//!
//! * **Bounded garbage.** A scan runs when a retire list reaches
//!   `max(base, 2 × hazard slots)` entries, and frees everything but the
//!   (at most one per slot) protected objects, so the number of retired but
//!   unfreed objects stays bounded even when a reader stalls forever while
//!   holding a protection. Epochs cannot promise that.
//! * **Cheap readers.** On Linux the reader's store→load barrier is a
//!   compiler fence; the scanning thread pays a `membarrier` system call
//!   instead (see [`crate::fence`]). Elsewhere, and under Miri and loom,
//!   both sides use a `SeqCst` fence.
//! * **Slot reuse.** Hazard slots are records in an append-only list owned
//!   by the domain; a record is never freed before its domain. The global
//!   domain keeps a few free records per thread in a thread-local cache, so
//!   acquiring and releasing a [`HazardPointer`] touches no shared line;
//!   threads also batch their retirements there. Local domains (created
//!   with [`Domain::new`]) claim records with a CAS on the list and keep
//!   retirements in a shared, locked list: they isolate one data
//!   structure's garbage from the rest of the process, at some cost.
//!
//! The pieces, in the shape of the `haphazard` crate: the [`Domain`]
//! (retired objects and scans, `domain.rs`), the hazard record (one
//! published slot, and the domain's list of them, `record.rs`), the
//! [`HazardPointer`] users hold (`pointer.rs`), and the global domain's
//! thread-local cache of records and retirements (`local.rs`).

pub(crate) mod domain;
#[cfg(not(nanopath_loom))]
mod local;
mod pointer;
pub(crate) mod record;

pub use domain::{DEFAULT_SCAN_THRESHOLD, Domain};
pub use pointer::HazardPointer;
