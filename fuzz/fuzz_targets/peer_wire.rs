//! The BEP 3 handshake view and streaming reader, then the message reader on what follows:
//! any cut of the stream gives the same steps, message count and evidence.
#![no_main]
use libfuzzer_sys::fuzz_target;
use torclass_core::wire::extension::ExtIds;
use torclass_core::wire::handshake::{self, Handshake};
use torclass_core::wire::message::{self, Context};
use torclass_core::{Direction, Evidence, Metadata};
use torclass_fuzz::segments;

fn run(data: &[u8], seed: u8, handshake_first: bool) -> (bool, u8, Evidence, bool) {
    let mut hs = handshake::Reader::default();
    let mut in_handshake = handshake_first;
    let mut messages = message::Reader::new();
    let mut meta = Metadata::new();
    let mut evidence = Evidence::NONE;
    let mut ids = ExtIds::default();
    let mut invalid = false;
    for chunk in segments(data, seed) {
        let mut rest = chunk;
        if in_handshake {
            match hs.read(rest, |part| {
                if let handshake::Part::Reserved(e) = part {
                    evidence |= e;
                }
            }) {
                handshake::Step::NeedMore => continue,
                handshake::Step::Invalid => return (false, 0, evidence, true),
                handshake::Step::Complete { consumed } => {
                    in_handshake = false;
                    rest = &rest[consumed..];
                }
            }
        }
        let mut cx = Context {
            direction: Direction::Initiator,
            receiver_ids: ExtIds::default(),
            sender_ids: ids,
            evidence: Evidence::NONE,
            stop_after: u8::MAX,
            runs_need_payloads: !handshake_first,
            blocks: !handshake_first,
            observer: &mut meta,
        };
        let step = messages.read(rest, &mut cx);
        evidence |= cx.evidence;
        ids = cx.sender_ids;
        if matches!(step, message::Step::Invalid | message::Step::Refuted) {
            invalid = true;
            break;
        }
    }
    (in_handshake, messages.count(), evidence, invalid)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    if let Ok(h) = Handshake::new_checked(data) {
        let _ = (
            h.reserved(),
            h.info_hash(),
            h.peer_id(),
            h.reserved_evidence(),
        );
    }
    for handshake_first in [true, false] {
        assert_eq!(
            run(data, 255, handshake_first),
            run(data, seed, handshake_first)
        );
    }
});
