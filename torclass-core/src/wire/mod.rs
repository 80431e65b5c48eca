//! Typed, zero-copy views over the BitTorrent wire formats, one file per message family,
//! ([`lookalike`]) over the UDP protocols that share their shapes, and over the proxy
//! negotiations BitTorrent is tunnelled through (`socks`, `http_connect`, [`socks_udp`]).
//!
//! The contract every view keeps: after `new_checked` (or the parser's `Ok`) no accessor can
//! panic, and every accessor borrows from the caller's buffer. "Need more bytes" is a state of
//! the streaming readers, never an error.
//!
//! Formats that arrive whole (one datagram, one tunnel header) may be read with nom
//! combinators where that measured as fast as the hand-written reading ([`socks_udp`]; the
//! GRE and VXLAN headers in `packet`; README, "Dependencies"). The streaming TCP readers —
//! [`handshake`], `message`, [`bencode`], `http`, `http_tracker`, `mse`, `socks`,
//! `http_connect` — are hand-written state machines on purpose: a segment may end anywhere,
//! and each resumes from a few bytes of state kept in the flow, which a combinator parser
//! over a whole input cannot do without buffering.
//!
//! Those readers are the classifier's internals, not part of the API: only the views whose
//! links resolve here are public (the `unstable-internals` feature exposes the rest, with no
//! semver promise, for torclass's own fuzz targets and benches).

pub mod bencode;
pub(crate) mod bytes;
pub mod compact;
unstable! {
    pub mod extension;
}
pub mod handshake;
unstable! {
    pub mod http;
}
unstable! {
    pub mod http_connect;
}
unstable! {
    pub mod http_tracker;
}
pub mod krpc;
pub mod lookalike;
pub mod lsd;
mod pattern;
unstable! {
    pub mod magnet;
}
unstable! {
    pub mod message;
}
unstable! {
    pub mod mse;
}
pub mod proxy;
unstable! {
    pub mod socks;
}
pub mod socks_udp;
unstable! {
    pub mod tls;
}
pub mod udp_tracker;
pub mod utp;
