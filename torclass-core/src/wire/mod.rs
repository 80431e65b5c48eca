//! Typed, zero-copy views over the BitTorrent wire formats, one file per message family,
//! ([`lookalike`]) over the UDP protocols that share their shapes, and over the proxy
//! negotiations BitTorrent is tunnelled through ([`socks`], [`http_connect`], [`socks_udp`]).
//!
//! The contract every view keeps: after `new_checked` (or the parser's `Ok`) no accessor can
//! panic, and every accessor borrows from the caller's buffer. "Need more bytes" is a state of
//! the streaming readers, never an error.

pub mod bencode;
pub(crate) mod bytes;
pub mod compact;
pub mod extension;
pub mod handshake;
pub mod http;
pub mod http_connect;
pub mod http_tracker;
pub mod krpc;
pub mod lookalike;
pub mod lsd;
pub mod magnet;
pub mod message;
pub mod mse;
pub mod proxy;
pub mod socks;
pub mod socks_udp;
pub mod udp_tracker;
pub mod utp;
