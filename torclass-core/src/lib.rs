//! # torclass-core
//!
//! A streaming, allocation-free classifier that tells, packet by packet and flow by flow,
//! whether traffic is BitTorrent, and which part of it.
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

pub mod client;
pub mod flow;
pub mod observer;
pub mod packet;
pub mod table;
pub mod udp;
pub mod verdict;
pub mod wire;

pub use client::Client;
pub use flow::FlowClassifier;
pub use observer::{Metadata, NoObserver, Observer};
pub use packet::{DecodeError, Endpoint, FlowKey, Fragment, LinkType, Packet, TcpFlags, TcpInfo};
pub use table::{FlowTable, Slot, TableConfig};
pub use verdict::{Confidence, Detection, Direction, Evidence, Protocol, Transport, Verdict};
