//! TCP evasions that only the sender needs (issue 13), each beside its benign twin: data in a
//! SYN the receiver drops, out-of-order copies that a later one covers.

use super::*;
use std::vec;

/// A segment with an acknowledgment number.
fn acking<'a>(k: FlowKey, seq: u32, ack: u32, flags: TcpFlags, payload: &'a [u8]) -> Packet<'a> {
    let mut p = tcp(k, seq, flags, payload);
    if let Some(t) = p.tcp.as_mut() {
        t.ack = ack;
    }
    p
}

fn peer_wire(v: Verdict) -> bool {
    v.detection()
        .is_some_and(|d| d.protocol == Protocol::PeerWire && d.confidence == Confidence::Confirmed)
}

/// Feed `packets` to a table with a store; the flow's verdict.
fn run(packets: &[Packet<'_>]) -> Verdict {
    let mut slots: Vec<Slot> = vec![Slot::default(); 8];
    let mut store = vec![Held::default(); 40];
    let mut t = FlowTable::with_reorder(&mut slots[..], &mut store[..], TableConfig::default());
    let mut verdict = Verdict::Undecided;
    for (i, p) in packets.iter().enumerate() {
        verdict = t.process(p, i as u64, |_| {}).unwrap().verdict;
    }
    assert_eq!(t.store_usage().1, 0, "every entry came back");
    verdict
}

const ISN: u32 = 999;

/// Evasion E1b (zapret `syndata`): junk in a SYN without a Fast Open cookie, which Linux drops
/// (its SYN-ACK acknowledges the SYN alone), then the real bytes after the SYN. Read as the
/// receiver reads it: with the SYN-ACK, and in a capture of the initiator's side alone.
#[test]
fn junk_in_a_syn_the_receiver_drops_is_not_read() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let junk = [b'G'; 60];
    let syn = tcp(up, ISN, TcpFlags::SYN, &junk);
    let syn_ack = acking(
        up.reversed(),
        4999,
        ISN + 1,
        TcpFlags::SYN | TcpFlags::ACK,
        &[],
    );
    let real = tcp(up, ISN + 1, TcpFlags::ACK, &hs);
    assert!(peer_wire(run(&[syn, syn_ack, real])));
    assert!(peer_wire(run(&[syn, real])), "one-sided");
    // The real bytes in reverse, the first part last: the SYN data waits until then.
    let back = tcp(up, ISN + 1 + 30, TcpFlags::ACK, &hs[30..]);
    let front = tcp(up, ISN + 1, TcpFlags::ACK, &hs[..30]);
    assert!(peer_wire(run(&[syn, back, front])), "one-sided, reordered");
    // The SYN sent twice, the real bytes then in pieces smaller than the junk: the second
    // SYN's data is the first one's again, dropped with it.
    let pieces: Vec<_> = hs
        .chunks(10)
        .enumerate()
        .map(|(i, c)| tcp(up, ISN + 1 + 10 * i as u32, TcpFlags::ACK, c))
        .collect();
    let twice = [&[syn, syn][..], &pieces].concat();
    assert!(peer_wire(run(&twice)), "SYN sent again");
    // Junk the length of the real bytes: settled the same way.
    let junk = vec![b'G'; hs.len()];
    assert!(peer_wire(run(&[tcp(up, ISN, TcpFlags::SYN, &junk), real])));
    // The benign twin: a handshake in the dropped SYN data, an HTTP request sent for real.
    let get = b"GET / HTTP/1.1\r\nHost: www.lab\r\n\r\n";
    let syn = tcp(up, ISN, TcpFlags::SYN, &hs);
    let real = tcp(up, ISN + 1, TcpFlags::ACK, get);
    assert!(!run(&[syn, syn_ack, real]).is_bittorrent());
    assert!(!run(&[syn, real]).is_bittorrent());
}

/// TCP Fast Open (RFC 7413): the receiver takes the SYN's data and acknowledges it; the
/// sender continues after it. Read whole, with the SYN-ACK, one-sided and reordered.
#[test]
fn fast_open_data_in_the_syn_is_read() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let n = 30u32;
    let syn = tcp(up, ISN, TcpFlags::SYN, &hs[..30]);
    let syn_ack = acking(
        up.reversed(),
        4999,
        ISN + 1 + n,
        TcpFlags::SYN | TcpFlags::ACK,
        &[],
    );
    let rest = tcp(up, ISN + 1 + n, TcpFlags::ACK, &hs[30..]);
    assert!(peer_wire(run(&[syn, syn_ack, rest])));
    assert!(peer_wire(run(&[syn, rest])), "one-sided");
    let tail = tcp(up, ISN + 1 + n + 10, TcpFlags::ACK, &hs[40..]);
    let middle = tcp(up, ISN + 1 + n, TcpFlags::ACK, &hs[30..40]);
    assert!(peer_wire(run(&[syn, tail, middle])), "one-sided, reordered");
    // The whole handshake in the SYN, and nothing after it but the close.
    let syn = tcp(up, ISN, TcpFlags::SYN, &hs);
    let fin = tcp(
        up,
        ISN + 1 + hs.len() as u32,
        TcpFlags::FIN | TcpFlags::ACK,
        &[],
    );
    let fin_back = acking(up.reversed(), 5000, 0, TcpFlags::FIN | TcpFlags::ACK, &[]);
    assert!(peer_wire(run(&[syn, syn_ack, fin, fin_back])));
    assert!(
        peer_wire(run(&[syn, fin, fin_back])),
        "settled by the close"
    );
    // Without a store the SYN data is read as it came, as before.
    let mut slots = vec![Slot::default(); 8];
    let mut t = table(&mut slots);
    let o = t.process(&syn, 0, |_| {}).unwrap();
    assert!(peer_wire(o.verdict));
}

/// Invariant 3 on the SYN-data path: Fast Open data of any length, the rest in segments of any
/// size, with and without the SYN-ACK, gives the in-order verdict; so does dropped SYN data of
/// any length before the same stream.
#[test]
fn syn_data_of_any_length_reads_the_same() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    for n in 1..hs.len() {
        for size in [1, 7, hs.len()] {
            let syn = tcp(up, ISN, TcpFlags::SYN, &hs[..n]);
            let rest: Vec<Packet<'_>> = hs[n..]
                .chunks(size)
                .enumerate()
                .map(|(i, c)| tcp(up, ISN + 1 + (n + i * size) as u32, TcpFlags::ACK, c))
                .collect();
            let acked = acking(
                up.reversed(),
                4999,
                ISN + 1 + n as u32,
                TcpFlags::SYN | TcpFlags::ACK,
                &[],
            );
            let dropped = acking(
                up.reversed(),
                4999,
                ISN + 1,
                TcpFlags::SYN | TcpFlags::ACK,
                &[],
            );
            assert!(peer_wire(run(&[&[syn][..], &rest].concat())), "{n} {size}");
            assert!(
                peer_wire(run(&[&[syn, acked][..], &rest].concat())),
                "{n} {size}"
            );
            let whole: Vec<Packet<'_>> = hs
                .chunks(size)
                .enumerate()
                .map(|(i, c)| tcp(up, ISN + 1 + (i * size) as u32, TcpFlags::ACK, c))
                .collect();
            let junk = tcp(up, ISN, TcpFlags::SYN, &[b'J'; 80][..n]);
            assert!(
                peer_wire(run(&[&[junk][..], &whole].concat())),
                "{n} {size}"
            );
            assert!(
                peer_wire(run(&[&[junk, dropped][..], &whole].concat())),
                "{n} {size}"
            );
        }
    }
}

/// Evasion E1c: junk held out of order, then the real bytes at the same sequence number one
/// byte longer, then the hole before them. Linux's out-of-order queue replaces the junk with the
/// copy that covers it; an equal copy keeps the first (the benign twin: real bytes held first,
/// then junk of the same length).
#[test]
fn a_held_copy_that_a_later_one_covers_is_replaced() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let syn = tcp(up, ISN, TcpFlags::SYN, &[]);
    let s = ISN + 1 + 10;
    let junk = vec![b'X'; hs.len() - 10 - 1];
    let short = tcp(up, s, TcpFlags::ACK, &junk);
    let real = tcp(up, s, TcpFlags::ACK, &hs[10..]);
    let head = tcp(up, ISN + 1, TcpFlags::ACK, &hs[..10]);
    assert!(peer_wire(run(&[syn, short, real, head])));
    // Junk that starts earlier and covers the held real bytes replaces them (as in Linux).
    let early = vec![b'X'; hs.len() - 5];
    let wide = tcp(up, ISN + 1 + 5, TcpFlags::ACK, &early);
    let head5 = tcp(up, ISN + 1, TcpFlags::ACK, &hs[..5]);
    assert!(!run(&[syn, real, wide, head5]).is_bittorrent());
    // The real bytes held, then junk covered by them: dropped.
    assert!(peer_wire(run(&[syn, real, short, head])));
    // Equal copies keep the first: junk first wins, as in the receiver.
    let same = vec![b'X'; hs.len() - 10];
    let equal = tcp(up, s, TcpFlags::ACK, &same);
    assert!(!run(&[syn, equal, real, head]).is_bittorrent());
    assert!(peer_wire(run(&[syn, real, equal, head])));
    // Overlapping in part: both held, the earlier one's bytes read first.
    let part = tcp(up, s + 5, TcpFlags::ACK, &junk);
    assert!(peer_wire(run(&[syn, real, part, head])));
}

/// Evasion E1d (zapret `multidisorder`): the stream cut into segments sent last first. While
/// the flow is undecided a side holds up to `HELD_PER_SIDE` segments, so `HELD_PER_SIDE` + 1
/// pieces are read in order; more give a gap (undecided, never wrong). The benign twin: an
/// HTTP request sent the same way.
#[test]
fn segments_sent_last_first_are_read_in_order() {
    let mut hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    hs.extend_from_slice(&[0, 0, 0, 1, 1, 0, 0, 0, 1, 3]); // 83 bytes
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    // The segments of `size` bytes, last first.
    let reversed = |bytes: &[u8], size: usize| -> Vec<(u32, Vec<u8>)> {
        let mut out: Vec<(u32, Vec<u8>)> = bytes
            .chunks(size)
            .enumerate()
            .map(|(i, c)| (ISN + 1 + (i * size) as u32, c.to_vec()))
            .collect();
        out.reverse();
        out
    };
    let verdict = |bytes: &[u8], size: usize| {
        let parts = reversed(bytes, size);
        let mut packets = vec![tcp(up, ISN, TcpFlags::SYN, &[])];
        packets.extend(parts.iter().map(|(seq, b)| tcp(up, *seq, TcpFlags::ACK, b)));
        run(&packets)
    };
    let most = usize::from(HELD_PER_SIDE) + 1;
    assert_eq!(reversed(&hs, 5).len(), most);
    assert!(peer_wire(verdict(&hs, 14)), "6 segments");
    assert!(peer_wire(verdict(&hs, 5)), "{most} segments");
    assert!(
        !verdict(&hs, 4).is_bittorrent(),
        "21 segments: past the bound"
    );
    let get = b"GET /index.html HTTP/1.1\r\nHost: www.lab\r\nUser-Agent: curl/8.5.0\r\n\r\n";
    assert!(!verdict(get, 5).is_bittorrent());
}

/// Evasion E1a (zapret `fake` with a bad checksum or a low TTL): junk at the side's first
/// bytes that the receiver never gets, then the real bytes at the same sequence number, a
/// retransmission to the sensor. An undecided flow reads them again from a fresh side; a
/// decided one keeps its verdict; a retransmission that does not cover all the side sent is
/// only a duplicate. Twins: an HTTP request behind the same junk, the same request sent twice.
#[test]
fn junk_before_the_first_bytes_is_read_again() {
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let syn = tcp(up, ISN, TcpFlags::SYN, &[]);
    let junk = vec![b'x'; hs.len()];
    let fake = tcp(up, ISN + 1, TcpFlags::ACK, &junk);
    let real = tcp(up, ISN + 1, TcpFlags::ACK, &hs);
    assert!(peer_wire(run(&[syn, fake, real])));
    // Shorter junk: the real bytes cover it.
    let fake = tcp(up, ISN + 1, TcpFlags::ACK, &junk[..20]);
    assert!(peer_wire(run(&[syn, fake, real])));
    // Junk after the real bytes: decided at once, kept.
    let fake = tcp(up, ISN + 1, TcpFlags::ACK, &junk);
    assert!(peer_wire(run(&[syn, real, fake])));
    // The junk went on past what comes again: only a duplicate, the flow is not re-read.
    let long = vec![b'x'; hs.len() + 10];
    let fake = tcp(up, ISN + 1, TcpFlags::ACK, &long);
    assert!(!run(&[syn, fake, real]).is_bittorrent());
    // Twins: an HTTP request behind the same junk; the request retransmitted.
    let get = b"GET / HTTP/1.1\r\nHost: www.lab\r\n\r\n";
    let fake = tcp(up, ISN + 1, TcpFlags::ACK, &junk[..get.len()]);
    let request = tcp(up, ISN + 1, TcpFlags::ACK, get);
    assert!(!run(&[syn, fake, request]).is_bittorrent());
    assert!(!run(&[syn, request, request]).is_bittorrent());
}

/// A spurious retransmission of a side's first bytes after the other side replied, or while a
/// proxy negotiation is under way, is only a duplicate: the verdict is the one without it.
#[test]
fn first_bytes_again_after_a_reply_are_only_a_duplicate() {
    let up = key(ep(1, 40000), ep(2, 6881), Transport::Tcp);
    let down = up.reversed();
    let syn = tcp(up, ISN, TcpFlags::SYN, &[]);
    let syn_ack = tcp(down, 4999, TcpFlags::SYN | TcpFlags::ACK, &[]);
    let ya = crate::test_util::random_bytes(100, 1);
    let yb = crate::test_util::random_bytes(100, 2);
    let second = crate::test_util::random_bytes(40, 3);
    let reply = crate::test_util::random_bytes(60, 4);
    let third = crate::test_util::random_bytes(80, 5);
    let a1 = tcp(up, ISN + 1, TcpFlags::ACK, &ya);
    let b1 = tcp(down, 5000, TcpFlags::ACK, &yb);
    let a2 = tcp(up, ISN + 101, TcpFlags::ACK, &second);
    let b2 = tcp(down, 5100, TcpFlags::ACK, &reply);
    let a3 = tcp(up, ISN + 141, TcpFlags::ACK, &third);
    let plain = run(&[syn, syn_ack, a1, b1, a2, b2, a3]);
    let again = run(&[syn, syn_ack, a1, b1, a1, a2, b2, a3]);
    assert_eq!(again, plain);
    // A SOCKS 5 greeting sent twice before the proxy answers, then the handshake through it.
    let hs = handshake_and_message(b"-TR3000-abcdefghijkl");
    let proxy = key(ep(1, 40001), ep(2, 1080), Transport::Tcp);
    let greeting = [5u8, 1, 0];
    let g = tcp(proxy, ISN + 1, TcpFlags::ACK, &greeting);
    let choice = tcp(proxy.reversed(), 5000, TcpFlags::ACK, &[5, 0]);
    let mut connect = std::vec![5u8, 1, 0, 1, 10, 0, 0, 9];
    connect.extend(6881u16.to_be_bytes());
    let c = tcp(proxy, ISN + 4, TcpFlags::ACK, &connect);
    let ok = tcp(
        proxy.reversed(),
        5002,
        TcpFlags::ACK,
        &[5, 0, 0, 1, 10, 0, 0, 9, 0x1a, 0xe1],
    );
    let h = tcp(proxy, ISN + 14, TcpFlags::ACK, &hs);
    let syn = tcp(proxy, ISN, TcpFlags::SYN, &[]);
    let once = run(&[syn, g, choice, c, ok, h]);
    assert!(peer_wire(once));
    assert_eq!(run(&[syn, g, g, choice, c, ok, h]), once);
}
