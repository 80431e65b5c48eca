//! # torclass-core
//!
//! A streaming, allocation-free classifier that tells, packet by packet and flow by flow,
//! whether traffic is BitTorrent, and which part of it.
//!
//! Three ways in, from the smallest:
//! - [`FlowClassifier`]: feed one flow's payloads (TCP segments in stream order, or UDP
//!   datagrams) and get a [`Verdict`]; extracted fields go to an [`Observer`] such as
//!   [`Metadata`]. [`Learning`] adds what a flow table learns across flows (peer endpoints
//!   that later confirm encrypted flows).
//! - [`packet::decode`]: a captured frame to a [`FlowKey`] and payload.
//! - [`FlowTable`]: frames in, verdicts out, over slots you provide.
//!
//! ```
//! use torclass_core::{
//!     Confidence, Direction, FlowClassifier, InfoHash, Metadata, Protocol, Transport, Verdict,
//! };
//!
//! let mut flow = FlowClassifier::new(Transport::Tcp);
//! let mut meta = Metadata::new();
//! let mut handshake = b"\x13BitTorrent protocol".to_vec();
//! handshake.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x05]); // reserved: BEP 10, 6, 5
//! handshake.extend_from_slice(&[0xab; 20]); // info-hash
//! handshake.extend_from_slice(b"-TR3000-abcdefghijkl"); // peer id
//!
//! // The handshake may arrive in any pieces. It is conclusive unless what its side sends next
//! // refutes it (a file that merely starts with a handshake), so it waits for that chance.
//! assert_eq!(flow.feed_with(Direction::Initiator, &handshake[..10], &mut meta), Verdict::Undecided);
//! assert_eq!(flow.feed_with(Direction::Initiator, &handshake[10..], &mut meta), Verdict::Undecided);
//! assert_eq!(meta.info_hash(), Some(InfoHash::V1([0xab; 20])));
//!
//! // The other side speaking first clears it (so would a valid message, or the flow's end).
//! let reply = flow.feed(Direction::Responder, &handshake);
//! let detection = reply.detection().unwrap();
//! assert_eq!(detection.protocol, Protocol::PeerWire);
//! assert_eq!(detection.confidence, Confidence::Confirmed);
//! ```
//!
//! ## Cargo features
//! - `std` (default): memchr's run-time SIMD detection. Turn it off (`default-features =
//!   false`) on a target without `std`; nothing else changes.
//! - `serde`: `Serialize` and `Deserialize` for the public records, as the JSON-lines record
//!   writes them: [`Protocol`], [`Confidence`], [`Direction`], [`Transport`] by their names
//!   (`"peer_wire"`), [`Evidence`] as the list of its names, [`InfoHash`] as hex, [`Verdict`]
//!   as `"undecided"`, `"not_bittorrent"` or `{"bittorrent": {"protocol", "confidence",
//!   "evidence"}}`, and [`Detection`], [`FlowKey`], [`Endpoint`], [`TableStats`],
//!   [`CacheStats`], [`reassembly::ReassemblyStats`] by their fields. `no_std`, no allocation
//!   (strings are borrowed from the input).
//! - `unstable-internals`: makes public the streaming readers, tuning constants and reference
//!   decode paths that torclass's own fuzz targets, benches and tests drive. No semver
//!   promise: anything it exposes may change in any release.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(any(feature = "std", test))]
extern crate std;

/// Declares an item `pub` with the `unstable-internals` feature and `pub(crate)` without it:
/// the streaming readers' state machines, tuning constants and reference paths that the fuzz
/// targets, benches and cross-crate tests reach, and that are no part of the stable API.
macro_rules! unstable {
    // A module keeps its own (inner) documentation: an outer line would be resolved elsewhere.
    ($(#[$attr:meta])* pub mod $name:ident;) => {
        #[cfg(feature = "unstable-internals")]
        $(#[$attr])*
        pub mod $name;
        #[cfg(not(feature = "unstable-internals"))]
        $(#[$attr])*
        pub(crate) mod $name;
    };
    ($(#[$attr:meta])* pub $($item:tt)*) => {
        #[cfg(feature = "unstable-internals")]
        $(#[$attr])*
        ///
        /// *Unstable: public only with the `unstable-internals` feature, with no semver promise.*
        pub $($item)*
        #[cfg(not(feature = "unstable-internals"))]
        $(#[$attr])*
        pub(crate) $($item)*
    };
}

pub mod client;
mod codec;
pub mod endpoints;
pub mod flow;
pub mod hosts;
mod info_hash;
mod names;
pub mod observer;
pub mod packet;
pub mod reassembly;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod snapshot;
pub mod table;
#[cfg(test)]
mod test_util;
pub mod udp;
pub mod verdict;
pub mod wire;

pub use client::Client;
pub use endpoints::{CacheConfig, CacheEntry, CacheStats, EndpointCache};
pub use flow::FlowClassifier;
pub use hosts::HostCache;
pub use info_hash::{InfoHash, InfoHashError};
pub use names::UnknownName;
pub use observer::{Metadata, NoObserver, Observer};
pub use packet::{DecodeError, Endpoint, FlowKey, Fragment, LinkType, Packet, TcpFlags, TcpInfo};
pub use reassembly::{FragmentSlot, Reassembler, ReassemblyConfig};
pub use table::{
    EndReason, FlowHandle, FlowTable, Learn, Learning, Outcome, Slot, TableConfig, TableError,
    TableStats, SLOT_SIZE,
};
pub use verdict::{Confidence, Detection, Direction, Evidence, Protocol, Transport, Verdict};
