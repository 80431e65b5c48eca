//! Infringement notices against captures: [`read_notices`] reads a notice file, and
//! [`match_notices`] finds, for each notice, the flows of its endpoint around its time and
//! whether its info-hash was seen. The CLI's `torclass match` and the Python module's
//! `match_notices` both use these, so they agree.
//!
//! # The notice file
//!
//! CSV (RFC 4180: comma-separated, fields may be double-quoted), with a header line naming
//! the columns, in any order; other columns are ignored:
//!
//! | column | required | value |
//! |---|---|---|
//! | `address` | yes | IPv4 or IPv6 address (`[2001:db8::1]` also accepted) |
//! | `port` | yes | TCP or UDP port, 0–65535 |
//! | `time` | yes | UTC time, RFC 3339 (`2024-05-01T12:34:56Z`, `2024-05-01 12:34:56.250+02:00`; no offset means UTC) or seconds since the epoch (`1714566896.25`) |
//! | `info_hash` | no | 40 or 64 hex digits (BitTorrent v1 or v2), or empty |
//! | `tolerance` | no | seconds either side of `time` (default [`DEFAULT_TOLERANCE_NS`], 60 s) |
//! | `id` | no | any text, copied to the result (the notice's reference) |
//!
//! # What matches
//!
//! A flow matches a notice when one of its two endpoints is the notice's address and port
//! (TCP or UDP) and the flow was active at some time within `time ± tolerance` (its first and
//! last packets span a moment of that window). The notice's [`MatchResult`] is the strongest
//! of: the info-hash was seen on a matching flow; a matching flow is BitTorrent; flows match
//! but none is BitTorrent; no flow matches. Flows of the same address on *other* ports in the
//! window that carry the notice's info-hash (a tracker announce or a DHT query from the same
//! host, say) are listed apart.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use crate::record::FlowRecord;

/// Tolerance of a notice without a `tolerance` column: 60 s either side of its time.
pub const DEFAULT_TOLERANCE_NS: i64 = 60_000_000_000;

/// One notice: an endpoint seen at a time, maybe with the torrent's info-hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// Line of the notice file (the header is line 1).
    pub line: u64,
    /// The `id` column, if any.
    pub id: Option<String>,
    /// The address accused.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// When, in nanoseconds since the epoch (UTC).
    pub time_ns: i64,
    /// The info-hash named (20 or 32 bytes).
    pub info_hash: Option<Vec<u8>>,
    /// Window either side of `time_ns`, in nanoseconds.
    pub tolerance_ns: i64,
}

/// A notice file that cannot be read: the line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeError {
    /// 1-based line (1 is the header).
    pub line: u64,
    /// What is wrong, for people.
    pub message: String,
}

impl fmt::Display for NoticeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "notice file line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for NoticeError {}

/// The strongest thing found for a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchResult {
    /// No flow of the endpoint was active in the window.
    NoFlow,
    /// Flows of the endpoint were active, none of them BitTorrent.
    NotBittorrent,
    /// A BitTorrent flow of the endpoint was active; the notice's info-hash was not seen on
    /// it (or the notice names none).
    Bittorrent,
    /// A flow of the endpoint in the window carries the notice's info-hash.
    InfoHashSeen,
}

impl MatchResult {
    /// The name the CLI and Python write: `no_flow`, `not_bittorrent`, `bittorrent`,
    /// `info_hash_seen`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NoFlow => "no_flow",
            Self::NotBittorrent => "not_bittorrent",
            Self::Bittorrent => "bittorrent",
            Self::InfoHashSeen => "info_hash_seen",
        }
    }
}

/// What [`match_notices`] needs of a flow.
#[derive(Clone, Copy, Debug)]
pub struct MatchFlow<'a> {
    /// One endpoint.
    pub src: IpAddr,
    /// Its port.
    pub sport: u16,
    /// The other endpoint.
    pub dst: IpAddr,
    /// Its port.
    pub dport: u16,
    /// First packet, ns since the epoch.
    pub first_ns: i64,
    /// Last packet, ns since the epoch.
    pub last_ns: i64,
    /// True if the verdict is BitTorrent.
    pub bittorrent: bool,
    /// The info-hash seen in the flow.
    pub info_hash: Option<&'a [u8]>,
}

impl<'a> From<&'a FlowRecord> for MatchFlow<'a> {
    fn from(r: &'a FlowRecord) -> Self {
        Self {
            src: r.src,
            sport: r.sport,
            dst: r.dst,
            dport: r.dport,
            first_ns: r.first_ns,
            last_ns: r.last_ns,
            bittorrent: r.verdict.is_bittorrent(),
            info_hash: r.info_hash.as_deref(),
        }
    }
}

/// One flow that matched a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowMatch {
    /// Index of the flow in the slice given to [`match_notices`].
    pub flow: usize,
    /// True if the flow carries the notice's info-hash.
    pub info_hash_seen: bool,
}

/// The outcome for one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeMatch {
    /// Index of the notice in the slice given to [`match_notices`].
    pub notice: usize,
    /// The strongest finding.
    pub result: MatchResult,
    /// Flows of the notice's endpoint active in its window, in the order given.
    pub flows: Vec<FlowMatch>,
    /// Flows of the notice's address on other ports, active in its window, that carry its
    /// info-hash.
    pub same_address: Vec<usize>,
}

/// Match every notice against `flows` (see the module docs); one [`NoticeMatch`] per notice,
/// in order. Cost: one pass over the flows to index them by endpoint, then each notice looks
/// at the flows of its address only.
#[must_use]
pub fn match_notices(notices: &[Notice], flows: &[MatchFlow<'_>]) -> Vec<NoticeMatch> {
    let mut by_address: HashMap<IpAddr, Vec<usize>> = HashMap::new();
    for (i, f) in flows.iter().enumerate() {
        by_address.entry(f.src).or_default().push(i);
        if f.dst != f.src {
            by_address.entry(f.dst).or_default().push(i);
        }
    }
    notices
        .iter()
        .enumerate()
        .map(|(n, notice)| {
            let start = notice.time_ns.saturating_sub(notice.tolerance_ns);
            let end = notice.time_ns.saturating_add(notice.tolerance_ns);
            let mut found = NoticeMatch {
                notice: n,
                result: MatchResult::NoFlow,
                flows: Vec::new(),
                same_address: Vec::new(),
            };
            let candidates = by_address
                .get(&notice.address)
                .map_or(&[][..], Vec::as_slice);
            for &i in candidates {
                let Some(f) = flows.get(i) else { continue };
                if f.last_ns < start || f.first_ns > end {
                    continue;
                }
                let seen = notice.info_hash.is_some() && notice.info_hash.as_deref() == f.info_hash;
                let at_endpoint = (f.src == notice.address && f.sport == notice.port)
                    || (f.dst == notice.address && f.dport == notice.port);
                if !at_endpoint {
                    if seen {
                        found.same_address.push(i);
                    }
                    continue;
                }
                let result = if seen {
                    MatchResult::InfoHashSeen
                } else if f.bittorrent {
                    MatchResult::Bittorrent
                } else {
                    MatchResult::NotBittorrent
                };
                found.result = found.result.max(result);
                found.flows.push(FlowMatch {
                    flow: i,
                    info_hash_seen: seen,
                });
            }
            found
        })
        .collect()
}

/// Read a notice file (see the module docs); a notice without a `tolerance` gets
/// `default_tolerance_ns` ([`DEFAULT_TOLERANCE_NS`] unless the user chose another).
///
/// # Errors
/// The first line that is not a valid notice, or a header without `address`, `port` and
/// `time`.
pub fn read_notices(text: &str, default_tolerance_ns: i64) -> Result<Vec<Notice>, NoticeError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
    let error = |line: u64, message: String| NoticeError { line, message };
    let header = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => {}
            Some((n, l)) => break (n, split_csv(l).map_err(|m| error(n, m))?),
            None => return Err(error(1, "empty file: no header line".into())),
        }
    };
    let (header_line, names) = header;
    let column = |want: &str| {
        names.iter().position(|n| {
            n.trim()
                .trim_start_matches('\u{feff}')
                .eq_ignore_ascii_case(want)
        })
    };
    let required = |want: &str| {
        column(want).ok_or_else(|| {
            error(
                header_line,
                format!(
                    "no `{want}` column (the header must name address, port and time; \
                     info_hash, tolerance and id are optional)"
                ),
            )
        })
    };
    let (address, port, time) = (required("address")?, required("port")?, required("time")?);
    let (info_hash, tolerance, id) = (column("info_hash"), column("tolerance"), column("id"));
    let mut notices = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split_csv(line).map_err(|m| error(n, m))?;
        let get = |i: Option<usize>| {
            i.and_then(|i| fields.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let need =
            |i: usize, what: &str| get(Some(i)).ok_or_else(|| error(n, format!("no {what}")));
        let addr_text = need(address, "address")?;
        let address = addr_text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .map_err(|_| error(n, format!("{addr_text:?} is not an IPv4 or IPv6 address")))?;
        let port_text = need(port, "port")?;
        let port = port_text
            .parse::<u16>()
            .map_err(|_| error(n, format!("{port_text:?} is not a port (0-65535)")))?;
        let time_ns = parse_time(need(time, "time")?).map_err(|m| error(n, m))?;
        let info_hash = get(info_hash)
            .map(|h| parse_info_hash(h).map_err(|m| error(n, m)))
            .transpose()?;
        let tolerance_ns = match get(tolerance) {
            None => default_tolerance_ns,
            Some(t) => match t.parse::<f64>() {
                Ok(s) if (0.0..1e9).contains(&s) => (s * 1e9).round() as i64,
                _ => {
                    return Err(error(
                        n,
                        format!("tolerance {t:?} is not a number of seconds (0 to 10^9)"),
                    ))
                }
            },
        };
        notices.push(Notice {
            line: n,
            id: get(id).map(str::to_owned),
            address,
            port,
            time_ns,
            info_hash,
            tolerance_ns,
        });
    }
    Ok(notices)
}

/// The fields of one CSV line (RFC 4180 quoting; a quoted field cannot span lines).
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '\r') if chars.peek().is_none() => {}
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed on its line".into());
    }
    fields.push(field);
    Ok(fields)
}

fn parse_info_hash(text: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("info_hash {text:?} is not 40 or 64 hex digits");
    if text.len() != 40 && text.len() != 64 {
        return Err(bad());
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// A time as nanoseconds since the epoch: RFC 3339 / ISO 8601 (`2024-05-01T12:34:56Z`,
/// a space for the `T`, up to 9 fractional digits, `Z` or `±HH:MM` or nothing for UTC) or
/// decimal seconds since the epoch.
///
/// # Errors
/// Anything else, with a message that shows the accepted forms.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "time {text:?} is neither RFC 3339 (2024-05-01T12:34:56Z) nor seconds since the epoch"
        )
    };
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds.abs() < 9.2e9 {
            return Ok((seconds * 1e9).round() as i64);
        }
        return Err(bad());
    }
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let punct = |at: usize, set: &[u8]| b.get(at).is_some_and(|c| set.contains(c));
    if !(punct(4, b"-") && punct(7, b"-") && punct(10, b"Tt ") && punct(13, b":")) {
        return Err(bad());
    }
    let (year, month, day) = (digits(0..4), digits(5..7), digits(8..10));
    let (hour, minute) = (digits(11..13), digits(14..16));
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute)) =
        (year, month, day, hour, minute)
    else {
        return Err(bad());
    };
    let mut at = 16;
    let mut second = 0;
    if punct(16, b":") {
        second = digits(17..19).ok_or_else(bad)?;
        at = 19;
    }
    let mut nanos = 0i64;
    if punct(at, b".,") {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start || end - start > 9 {
            return Err(bad());
        }
        let value = digits(start..end).ok_or_else(bad)?;
        nanos = value * 10i64.pow(9 - (end - start) as u32);
        at = end;
    }
    let offset_s = match b.get(at..) {
        None | Some([]) | Some(b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), ..]) => {
            let (h, m) = if punct(at + 3, b":") {
                (digits(at + 1..at + 3), digits(at + 4..at + 6))
            } else {
                (digits(at + 1..at + 3), digits(at + 3..at + 5))
            };
            let len = if punct(at + 3, b":") { 6 } else { 5 };
            let (Some(h), Some(m)) = (h, m) else {
                return Err(bad());
            };
            if b.len() != at + len || h > 23 || m > 59 {
                return Err(bad());
            }
            let s = h * 3600 + m * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        Some(_) => return Err(bad()),
    };
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !valid {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(nanos))
        .ok_or_else(bad)
}

/// `ns` since the epoch as RFC 3339 UTC with nanoseconds: `2024-05-01T12:34:56.250000000Z`.
#[must_use]
pub fn format_time(ns: i64) -> String {
    let seconds = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn times_in_every_accepted_form() {
        let t = 1_714_566_896_000_000_000;
        for text in [
            "2024-05-01T12:34:56Z",
            "2024-05-01 12:34:56",
            "2024-05-01t12:34:56z",
            "2024-05-01T14:34:56+02:00",
            "2024-05-01T10:34:56-0200",
            "1714566896",
            "1714566896.0",
        ] {
            assert_eq!(parse_time(text), Ok(t), "{text}");
        }
        assert_eq!(parse_time("2024-05-01T12:34:56.25Z"), Ok(t + 250_000_000));
        assert_eq!(
            parse_time("2024-05-01T12:34:56.123456789Z"),
            Ok(t + 123_456_789)
        );
        assert_eq!(parse_time("2024-05-01T12:34Z"), Ok(t - 56_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse_time("2000-02-29T00:00:00Z"),
            Ok(951_782_400_000_000_000)
        );
        for ns in [
            0,
            t + 123_456_789,
            951_782_400_000_000_000,
            -1,
            4_102_444_800_000_000_000,
        ] {
            assert_eq!(parse_time(&format_time(ns)), Ok(ns), "{}", format_time(ns));
        }
        assert_eq!(format_time(t), "2024-05-01T12:34:56.000000000Z");
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00Z",
            "2024-05-01T12:34:56.Z",
            "2024-05-01T12:34:56+2",
            "2024-05-01T12:34:56Zjunk",
            "nan",
            "1e300",
            "2024-05-01T12:34:56.1234567891Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?}");
        }
    }

    const FILE: &str = "\u{feff}id,Address,port,time,info_hash,tolerance,extra\n\
        n1,10.0.0.1,51413,2023-11-14T22:13:20Z,09fa9e66f74835d6ff7b6671987da2de63b35979,5,x\n\
        \n\
        \"n,2\",[2001:db8::1],6881,1700000000,,,\n";

    #[test]
    fn a_notice_file_is_read() {
        let notices = read_notices(FILE, DEFAULT_TOLERANCE_NS).unwrap();
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].id.as_deref(), Some("n1"));
        assert_eq!(notices[0].line, 2);
        assert_eq!(notices[0].time_ns, 1_700_000_000_000_000_000);
        assert_eq!(notices[0].tolerance_ns, 5_000_000_000);
        assert_eq!(notices[0].info_hash.as_ref().map(Vec::len), Some(20));
        assert_eq!(notices[1].id.as_deref(), Some("n,2"));
        assert_eq!(notices[1].line, 4);
        assert_eq!(notices[1].address, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(notices[1].tolerance_ns, DEFAULT_TOLERANCE_NS);
        assert_eq!(notices[1].info_hash, None);
    }

    #[test]
    fn bad_files_name_the_line() {
        for (text, line, says) in [
            ("", 1, "no header"),
            ("address,port\n", 1, "`time`"),
            ("address,port,time\n1.2.3,1,0\n", 2, "IPv4"),
            ("address,port,time\n1.2.3.4,70000,0\n", 2, "port"),
            ("address,port,time\n1.2.3.4,1,soon\n", 2, "time"),
            ("address,port,time\n1.2.3.4,1\n", 2, "no time"),
            ("address,port,time,info_hash\n1.2.3.4,1,0,abc\n", 2, "hex"),
            (
                "address,port,time,tolerance\n1.2.3.4,1,0,-1\n",
                2,
                "tolerance",
            ),
            ("address,port,time\n\"1.2.3.4,1,0\n", 2, "quoted"),
        ] {
            let e = read_notices(text, DEFAULT_TOLERANCE_NS).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.to_string().contains(says), "{text:?}: {e}");
        }
    }

    fn flow(port: u16, first_s: i64, last_s: i64, bt: bool, ih: Option<&[u8]>) -> MatchFlow<'_> {
        MatchFlow {
            src: Ipv4Addr::new(10, 0, 0, 1).into(),
            sport: port,
            dst: Ipv4Addr::new(10, 0, 0, 9).into(),
            dport: 80,
            first_ns: first_s * 1_000_000_000,
            last_ns: last_s * 1_000_000_000,
            bittorrent: bt,
            info_hash: ih,
        }
    }

    #[test]
    fn notices_find_their_flows() {
        let notices = read_notices(FILE, DEFAULT_TOLERANCE_NS).unwrap();
        let ih = notices[0].info_hash.clone().unwrap();
        let t = 1_700_000_000;
        let other = [1u8; 20];
        let flows = [
            flow(51413, t - 100, t - 6, true, Some(&ih)), // ended before the window
            flow(51413, t + 3, t + 50, false, None),      // in the window, not BitTorrent
            flow(51413, t - 50, t + 50, true, Some(&other)), // spans it, other torrent
            flow(6000, t, t, true, Some(&ih)),            // same address, other port
        ];
        let found = match_notices(&notices, &flows);
        assert_eq!(found[0].result, MatchResult::Bittorrent);
        assert_eq!(
            found[0].flows.iter().map(|f| f.flow).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(found[0].same_address, [3]);
        assert_eq!(found[1].result, MatchResult::NoFlow);

        let flows = [flow(51413, t - 1, t - 1, true, Some(&ih))];
        let found = match_notices(&notices, &flows);
        assert_eq!(found[0].result, MatchResult::InfoHashSeen);
        assert!(found[0].flows[0].info_hash_seen);
        // The notice's endpoint may be either end of the flow.
        let mut reversed = flows[0];
        (reversed.src, reversed.sport, reversed.dst, reversed.dport) =
            (reversed.dst, reversed.dport, reversed.src, reversed.sport);
        assert_eq!(
            match_notices(&notices, &[reversed])[0].result,
            MatchResult::InfoHashSeen
        );
    }
}
