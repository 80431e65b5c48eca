//! Which client a peer runs, read from its peer id ([BEP 20]) or from the `v` key of its
//! extension handshake ([BEP 10]).
//!
//! BEP 20 describes the conventions clients follow when they build the 20-byte peer id they
//! send in the handshake and to trackers:
//!
//! * **Azureus style**: `-`, a two-character client code, four version characters, `-`
//!   (`-TR3000-`, `-qB4520-`). Each client spells its version its own way, so each code
//!   carries its own version scheme.
//! * **Shadow style**: one letter and up to five base-64 version digits padded with `-` to
//!   six bytes, then three more bytes (`S58B-----`, `T03I--008`).
//! * **Mainline style**: one letter and dash-separated decimal numbers padded with `-` to
//!   eight bytes (`M4-3-6--`, `M4-20-8-`).
//! * A few clients with a layout of their own (`exbc` for BitComet and BitLord, `A2-1-36-0-`
//!   for aria2, `OP` for Opera, `XBT`, `TIX`, `-ML`, …).
//!
//! Identification is deliberately conservative: only prefixes from the tables below are
//! named, and a random or unknown peer id gives `None`, never a guessed name. Nothing here
//! allocates; the work is bounded by the table sizes and the first 20 bytes of the input.
//!
//! [BEP 20]: https://www.bittorrent.org/beps/bep_0020.html
//! [BEP 10]: https://www.bittorrent.org/beps/bep_0010.html

use crate::wire::bytes::hex_digit;
use core::fmt;

/// The most bytes of version text a [`Client`] holds; every decoder below stays within it.
const VERSION_CAPACITY: usize = 16;

/// A client identified from a peer id or `v` string: a static name plus a version kept in a
/// small fixed buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    name: &'static str,
    version: [u8; VERSION_CAPACITY],
    version_len: u8,
}

impl Client {
    /// The client's name, e.g. `"Transmission"` or `"µTorrent"`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The client's version as decoded from the peer id, e.g. `"3.00"` or `"1.8.8 (Beta)"`;
    /// `""` when the peer id names the client but carries no readable version.
    #[must_use]
    pub fn version(&self) -> &str {
        self.version
            .get(..usize::from(self.version_len))
            .and_then(|bytes| core::str::from_utf8(bytes).ok())
            .unwrap_or("")
    }

    /// Identifies the client from a peer id, normally the 20 bytes at offset 48 of the
    /// handshake (BEP 3) or the `peer_id` a tracker sees (BEP 20).
    ///
    /// Any length is accepted; only the first 20 bytes are read. An id shorter than the
    /// pattern it would match, an unknown client code and a random id all give `None`.
    #[must_use]
    pub fn from_peer_id(peer_id: &[u8]) -> Option<Client> {
        let id = peer_id.get(..20).unwrap_or(peer_id);
        bitcomet(id)
            .or_else(|| bitspirit(id))
            .or_else(|| own_layout(id))
            .or_else(|| azureus_style(id))
            .or_else(|| shadow_style(id))
            .or_else(|| mainline_style(id))
    }

    /// Identifies the client from the `v` value of a BEP 10 extension handshake, which the
    /// BEP describes as the "client name and version (as a utf-8 string)", e.g.
    /// `Transmission 3.00`, `qBittorrent/4.5.2` or `µTorrent 3.5.5`.
    ///
    /// The name before the last space or `/` that precedes a digit must be one of the
    /// clients known here (ASCII case ignored); the rest becomes the version when it is at
    /// most 16 bytes of letters, digits and `.+-_()` or spaces, and is left empty otherwise.
    #[must_use]
    pub fn from_client_version(v: &[u8]) -> Option<Client> {
        let split = v
            .windows(2)
            .rposition(|pair| matches!(pair, [b' ' | b'/', b'0'..=b'9']));
        let (name, version) = match split {
            Some(at) => (v.get(..at)?, v.get(at.checked_add(1)?..)?),
            None => (v, &[][..]),
        };
        let &(_, canonical) = V_NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))?;
        let readable = !version.is_empty()
            && version
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b" .+-_()".contains(&b));
        let version = if readable {
            Version::EMPTY.text(version)
        } else {
            None
        };
        Some(Client::new(canonical, version))
    }

    /// The client one side of a flow runs, by the rule every front end (CLI, C, Python) uses:
    /// its peer id when the client table names it, else its `v` string (BEP 10, or KRPC). A
    /// peer id is the client's own, exact encoding; a `v` string is free text that some
    /// clients fill with their library's name (rtorrent sends `libTorrent 0.13.8`).
    ///
    /// ```
    /// use torclass_core::Client;
    ///
    /// let c = Client::identify(Some(b"-LT2080-abcdefghijkl"), Some(b"LT 2.0.8.0")).unwrap();
    /// assert_eq!(c.to_string(), "libtorrent-rasterbar 2.0.8");
    /// let c = Client::identify(None, Some(b"Transmission 4.0.5")).unwrap();
    /// assert_eq!(c.to_string(), "Transmission 4.0.5");
    /// ```
    #[must_use]
    pub fn identify(peer_id: Option<&[u8]>, version: Option<&[u8]>) -> Option<Client> {
        peer_id
            .and_then(Client::from_peer_id)
            .or_else(|| version.and_then(Client::from_client_version))
    }

    /// The client of a flow, for a record that names one: [`Client::identify`]'s preference
    /// over both sides, the initiator first (a peer id on either side before a `v` string on
    /// either side).
    #[must_use]
    pub fn identify_flow(
        peer_ids: [Option<&[u8]>; 2],
        versions: [Option<&[u8]>; 2],
    ) -> Option<Client> {
        let [a, b] = peer_ids;
        let [v, w] = versions;
        Client::identify(a, None)
            .or_else(|| Client::identify(b, None))
            .or_else(|| Client::identify(None, v))
            .or_else(|| Client::identify(None, w))
    }

    fn new(name: &'static str, version: Option<Version>) -> Self {
        let version = version.unwrap_or(Version::EMPTY);
        Client {
            name,
            version: version.buf,
            version_len: version.len,
        }
    }
}

/// `Transmission 3.00`, or just the name when the version is unknown.
impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        match self.version() {
            "" => Ok(()),
            version => write!(f, " {version}"),
        }
    }
}

// Names shared by more than one table.
const UTORRENT: &str = "µTorrent";
const AZUREUS: &str = "Azureus/Vuze";
const BITCOMET: &str = "BitComet";
const BITLORD: &str = "BitLord";
const XUNLEI: &str = "Xunlei";
const LIBTORRENT_RASTERBAR: &str = "libtorrent-rasterbar";

/// How an Azureus-style client writes its version in the four bytes after its code
/// (bytes 3..7), or in a few cases the six bytes 3..9.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    /// The client writes no version.
    Unversioned,
    /// libtorrent-rasterbar's `generate_fingerprint`: three digits `0-9A-Za-z` (0–61), the
    /// fourth a tag left out: `-LT2080-` is 2.0.8, `-qB46A0-` 4.6.10, `-lt0D80-` 0.13.8.
    Digits3,
    /// Four digits `0-9A-Za-z`: `-AZ5750-` is 5.7.5.0.
    Digits4,
    /// `-TR0006-` 0.6, `-TR0072-` 0.72, `-TR2940-` 2.94, `-TR300Z-` 3.00 (Dev), and from
    /// 4.0 on three digits: `-TR4000-` 4.0.0, `-TR400B-` 4.0.0 (Beta).
    Transmission,
    /// Three hex digits and a build letter (`-UT188B-` 1.8.8 (Beta)), or, when byte 7 is
    /// not `-`, two hex digits, two decimal digits and the letter (`-UW1110Q` 1.1.10).
    UTorrent,
    /// Three digits `0-9A-Za-z` and a release letter: `s` stable, `D` development, `a`, `b`,
    /// `r` alpha, beta, release candidate; Deluge 1.x puts a fourth number there instead
    /// (`-DE13F0-` 1.3.15, `-DE211s-` 2.1.1).
    Deluge,
    /// Two digits, then `D` (development) or `R` (release candidate) and a number
    /// (`-KT33D1-` 3.3 Dev 1), or three digits (`-KT4130-` 4.1.3).
    KTorrent,
    /// Two decimal digits of major version and two of minor, minor kept two wide:
    /// `-BC0241-` 2.41.
    MajorMinorPadded,
    /// Two decimal digits of major version and two of minor: `-WW0102-` 1.2,
    /// `-CD0303-` 3.3.
    MajorMinor,
    /// A major digit, two decimal digits of minor, a patch digit: `-PI0120-` 0.12.0.
    PicoTorrent,
    /// Six decimal digits in bytes 3..9, replacing the closing dash: `-BL246326` 2.4.6-326.
    BitLord,
    /// Only the major version is readable: `-FL51FF-` 5.x.
    MajorOnly,
    /// Two digits `0-9A-Za-z`: `-MG1Cr0-` 1.12.
    Digits2,
}

/// Azureus-style client codes (BEP 20's list, extended from the tables in Transmission's
/// `clients.cc`, libtorrent's `identify_client.cpp` and WebTorrent's `bittorrent-peerid`).
const AZUREUS_STYLE: &[([u8; 2], &str, Scheme)] = &[
    (*b"7T", "aTorrent", Scheme::Digits4),
    (*b"AD", "Advanced Download Manager", Scheme::Digits3),
    (*b"AG", "Ares", Scheme::Digits4),
    (*b"A~", "Ares", Scheme::Digits3),
    (*b"AZ", AZUREUS, Scheme::Digits4),
    (*b"BC", BITCOMET, Scheme::MajorMinorPadded),
    (*b"BF", "Bitflu", Scheme::Unversioned),
    (*b"BI", "BiglyBT", Scheme::Digits4),
    (*b"BL", BITLORD, Scheme::BitLord),
    (*b"BN", "Baidu Netdisk", Scheme::Unversioned),
    (*b"BT", "BitTorrent", Scheme::UTorrent),
    (*b"BW", "BitTorrent Web", Scheme::UTorrent),
    (*b"CD", "Enhanced CTorrent", Scheme::MajorMinor),
    (*b"DE", "Deluge", Scheme::Deluge),
    (*b"FD", "Free Download Manager", Scheme::Digits3),
    (*b"FL", "Folx", Scheme::MajorOnly),
    (*b"FW", "FrostWire", Scheme::Digits3),
    (*b"GR", "GetRight", Scheme::Digits4),
    (*b"HL", "Halite", Scheme::Digits3),
    (*b"KG", "KGet", Scheme::Digits4),
    (*b"KT", "KTorrent", Scheme::KTorrent),
    (*b"LT", LIBTORRENT_RASTERBAR, Scheme::Digits3),
    (*b"LW", "LimeWire", Scheme::Unversioned),
    (*b"Lr", "LibreTorrent", Scheme::Digits3),
    (*b"MG", "MediaGet", Scheme::Digits2),
    (*b"MO", "MonoTorrent", Scheme::Digits4),
    (*b"MR", "Miro", Scheme::Digits4),
    (*b"NX", "Net Transport", Scheme::Digits4),
    (*b"PI", "PicoTorrent", Scheme::PicoTorrent),
    (*b"PT", "Popcorn Time", Scheme::Digits4),
    (*b"QD", "QQDownload", Scheme::Digits4),
    (*b"SD", XUNLEI, Scheme::Digits4),
    (*b"SP", "BitSpirit", Scheme::Digits3),
    (*b"SZ", "Shareaza", Scheme::Digits4),
    (*b"S~", "Shareaza", Scheme::Digits4),
    (*b"TB", "Torch Browser", Scheme::Unversioned),
    (*b"TR", "Transmission", Scheme::Transmission),
    (*b"TT", "TuoTu", Scheme::Digits4),
    (*b"UE", "µTorrent Embedded", Scheme::UTorrent),
    (*b"UM", "µTorrent Mac", Scheme::UTorrent),
    (*b"UT", UTORRENT, Scheme::UTorrent),
    (*b"UW", "µTorrent Web", Scheme::UTorrent),
    (*b"VG", "Vagaa", Scheme::Digits4),
    (*b"WD", "WebTorrent Desktop", Scheme::MajorMinor),
    (*b"WW", "WebTorrent", Scheme::MajorMinor),
    (*b"XL", XUNLEI, Scheme::Digits4),
    (*b"ZO", "Zona", Scheme::Digits4),
    (*b"lt", "libtorrent-rakshasa", Scheme::Digits3),
    (*b"qB", "qBittorrent", Scheme::Digits3),
];

/// Shadow-style first letters (BEP 20; BitTornado's peer id spec).
const SHADOW_STYLE: &[(u8, &str)] = &[
    (b'A', "ABC"),
    (b'O', "Osprey Permaseed"),
    (b'Q', "BTQueue"),
    (b'R', "Tribler"),
    (b'S', "Shad0w"),
    (b'T', "BitTornado"),
    (b'U', "UPnP NAT Bit Torrent"),
];

/// Mainline-style first letters (BEP 20).
const MAINLINE_STYLE: &[(u8, &str)] = &[(b'M', "BitTorrent Mainline"), (b'Q', "Queen Bee")];

/// Client names as they appear in BEP 10 `v` strings, and the name reported for each.
const V_NAMES: &[(&[u8], &str)] = &[
    (b"aria2", "aria2"),
    (b"Azureus", AZUREUS),
    (b"BiglyBT", "BiglyBT"),
    (b"BitComet", BITCOMET),
    (b"BitLord", BITLORD),
    (b"BitTorrent", "BitTorrent"),
    (b"Deluge", "Deluge"),
    (b"FrostWire", "FrostWire"),
    (b"KTorrent", "KTorrent"),
    (b"libtorrent", LIBTORRENT_RASTERBAR),
    (b"LibreTorrent", "LibreTorrent"),
    (b"MLdonkey", "MLdonkey"),
    (b"PicoTorrent", "PicoTorrent"),
    (b"qBittorrent", "qBittorrent"),
    (b"Shareaza", "Shareaza"),
    (b"Tixati", "Tixati"),
    (b"Transmission", "Transmission"),
    (b"uTorrent", UTORRENT),
    ("µTorrent".as_bytes(), UTORRENT),
    ("µTorrent Mac".as_bytes(), "µTorrent Mac"),
    (b"Vuze", AZUREUS),
    (b"WebTorrent", "WebTorrent"),
];

/// `-XXvvvv-`: BEP 20's Azureus style. A client whose version overruns byte 7
/// ([`Scheme::UTorrent`], [`Scheme::BitLord`]) is named only when that longer version reads.
fn azureus_style(id: &[u8]) -> Option<Client> {
    let [b'-', c0, c1, _, _, _, _, end] = *first::<8>(id)? else {
        return None;
    };
    let &(_, name, scheme) = AZUREUS_STYLE.iter().find(|(code, ..)| *code == [c0, c1])?;
    let version = id.get(3..).and_then(|v| scheme.decode(v));
    if end == b'-' {
        return Some(Client::new(name, version));
    }
    match scheme {
        Scheme::UTorrent | Scheme::BitLord => version.map(|v| Client::new(name, Some(v))),
        _ => None,
    }
}

impl Scheme {
    /// The version text from `v`, the peer id from byte 3 on; `None` when it does not read.
    fn decode(self, v: &[u8]) -> Option<Version> {
        let [a, b, c, d] = *first::<4>(v)?;
        let version = Version::EMPTY;
        match self {
            Scheme::Unversioned => None,
            Scheme::Digits2 => version.digits(&[a, b], base62),
            Scheme::Digits3 => version.digits(&[a, b, c], base62),
            Scheme::Digits4 => version.digits(&[a, b, c, d], base62),
            Scheme::Transmission => transmission(a, b, c, d),
            Scheme::UTorrent => utorrent(v),
            Scheme::Deluge => {
                let version = version.digits(&[a, b, c], base62)?;
                match d {
                    b's' | b'0' => Some(version),
                    b'1'..=b'9' => version.dot()?.number(decimal(d)?.into()),
                    _ => version.text(release_suffix(d)),
                }
            }
            Scheme::KTorrent => match c {
                b'D' | b'R' => {
                    let label: &[u8] = if c == b'D' { b" Dev " } else { b" RC " };
                    let version = version.digits(&[a, b], base62)?.text(label)?;
                    version.number(base62(d)?.into())
                }
                _ => version.digits(&[a, b, c], base62),
            },
            Scheme::MajorMinorPadded => {
                let minor = two_decimal(c, d)?;
                let version = version.number(two_decimal(a, b)?.into())?.dot()?;
                version.number_padded2(minor)
            }
            Scheme::MajorMinor => {
                let version = version.number(two_decimal(a, b)?.into())?.dot()?;
                version.number(two_decimal(c, d)?.into())
            }
            Scheme::PicoTorrent => {
                let version = version.number(base62(a)?.into())?.dot()?;
                let version = version.number(two_decimal(b, c)?.into())?.dot()?;
                version.number(base62(d)?.into())
            }
            Scheme::BitLord => {
                let [.., e, f] = *first::<6>(v)?;
                let version = version.digits(&[a, b, c], decimal)?.byte(b'-')?;
                version.digits_joined(&[d, e, f], decimal)
            }
            Scheme::MajorOnly => version.number(base62(a)?.into())?.text(b".x"),
        }
    }
}

/// Transmission's four version bytes; see [`Scheme::Transmission`].
fn transmission(a: u8, b: u8, c: u8, d: u8) -> Option<Version> {
    let version = Version::EMPTY;
    match [a, b, c] {
        [b'0', b'0', b'0'] => version.text(b"0.")?.number(decimal(d)?.into()),
        [b'0', b'0', _] => version.text(b"0.")?.number_padded2(two_decimal(c, d)?),
        [b'0'..=b'3', ..] => {
            let version = version.number(decimal(a)?.into())?.dot()?;
            version
                .number_padded2(two_decimal(b, c)?)?
                .text(release_suffix(d))
        }
        _ => version.digits(&[a, b, c], base62)?.text(release_suffix(d)),
    }
}

/// µTorrent's version bytes; see [`Scheme::UTorrent`].
fn utorrent(v: &[u8]) -> Option<Version> {
    let [a, b, c, d, e] = *first::<5>(v)?;
    let version = Version::EMPTY.digits(&[a, b], hex_digit)?.dot()?;
    if e == b'-' {
        version
            .number(hex_digit(c)?.into())?
            .text(release_suffix(d))
    } else {
        version
            .number(two_decimal(c, d)?.into())?
            .text(release_suffix(e))
    }
}

/// The label of the build letter Transmission and µTorrent put after their version digits.
fn release_suffix(letter: u8) -> &'static [u8] {
    match letter {
        b'a' => b" (Alpha)",
        b'b' | b'B' => b" (Beta)",
        b'd' => b" (Debug)",
        b'D' | b'x' | b'X' | b'Z' => b" (Dev)",
        b'r' => b" (RC)",
        _ => b"",
    }
}

/// Peer ids with a layout of their own, matched on a fixed prefix.
fn own_layout(id: &[u8]) -> Option<Client> {
    if id.starts_with(b"AZ2500BT") {
        return Some(Client::new("BitTyrant", None));
    }
    if id.starts_with(b"FD6") {
        // Free Download Manager 6 sends `FD6` and random characters.
        return Some(Client::new(
            "Free Download Manager",
            Version::EMPTY.text(b"6"),
        ));
    }
    if let Some(rest) = id.strip_prefix(b"A2-") {
        // aria2: `A2-1-36-0-` is 1.36.0.
        let (version, _) = dashed_numbers(rest)?;
        return Some(Client::new("aria2", Some(version)));
    }
    if let Some(rest) = id.strip_prefix(b"-ML") {
        // MLdonkey: `-ML2.7.2-`, the version written out.
        let [a, b, c, d, e, b'-'] = *first::<6>(rest)? else {
            return None;
        };
        let written = [a, b, c, d, e];
        if !a.is_ascii_digit() || !written.iter().all(|&x| x.is_ascii_digit() || x == b'.') {
            return None;
        }
        return Some(Client::new("MLdonkey", Version::EMPTY.text(&written)));
    }
    if let Some(rest) = id.strip_prefix(b"TIX") {
        // Tixati: `TIX0193-` is 1.93.
        let [a, b, c, d, b'-'] = *first::<5>(rest)? else {
            return None;
        };
        let version = Version::EMPTY.number(two_decimal(a, b)?.into())?.dot()?;
        return Some(Client::new(
            "Tixati",
            Some(version.number_padded2(two_decimal(c, d)?)?),
        ));
    }
    if let Some(rest) = id.strip_prefix(b"XBT") {
        // XBT Client: `XBT054d-` is 0.5.4 (Debug).
        let [a, b, c, d] = *first::<4>(rest)?;
        let version = Version::EMPTY.digits(&[a, b, c], decimal)?;
        return Some(Client::new("XBT Client", version.text(release_suffix(d))));
    }
    if let Some(rest) = id.strip_prefix(b"OP") {
        // Opera: `OP` and a four-digit build, then lowercase hex digits.
        let build = first::<4>(rest)?;
        let tail = rest.get(4..).unwrap_or(&[]);
        let lower_hex = |b: &u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
        if !build.iter().all(u8::is_ascii_digit) || !tail.iter().all(lower_hex) {
            return None;
        }
        return Some(Client::new("Opera", Version::EMPTY.text(build)));
    }
    None
}

/// BitComet before 0.59 and BitLord: `exbc`, a major and a minor byte, then `LORD` for
/// BitLord: `exbc\x00\x38` is 0.56.
fn bitcomet(id: &[u8]) -> Option<Client> {
    let rest = id.strip_prefix(b"exbc")?;
    let [major, minor] = *first::<2>(rest)?;
    let name = if rest.get(2..6) == Some(b"LORD") {
        BITLORD
    } else {
        BITCOMET
    };
    let version = Version::EMPTY.number(major.into())?.dot()?;
    Some(Client::new(name, version.number_padded2(minor)))
}

/// BitSpirit: a zero byte, the major version as a byte (zero for 1), then `BS`.
fn bitspirit(id: &[u8]) -> Option<Client> {
    let [0, major, b'B', b'S'] = *first::<4>(id)? else {
        return None;
    };
    let major = if major == 0 { 1 } else { major };
    Some(Client::new(
        "BitSpirit",
        Version::EMPTY.number(major.into()),
    ))
}

/// BEP 20's Shadow style as BitTornado documents it: a letter, version digits of the
/// alphabet `0-9A-Za-z.` padded with `-` to six bytes, then three bytes: `---` for a
/// single-torrent client, `-T-` for a tracker, or a counter of the torrents a multi-torrent
/// client runs. `S58B-----` is Shad0w 5.8.11, `T03I--008` BitTornado 0.3.18.
///
/// Random peer ids written in URL-safe base 64 would often fit that alphabet, so the major
/// version must be a decimal digit and a counter must be decimal and start with `0`;
/// without padding the tail must be `---`.
fn shadow_style(id: &[u8]) -> Option<Client> {
    let [letter, header @ .., t0, t1, t2] = *first::<9>(id)?;
    let &(_, name) = SHADOW_STYLE.iter().find(|(l, _)| *l == letter)?;
    let digits = header.iter().take_while(|&&b| b != b'-').count();
    let (version_digits, padding) = header.split_at(digits);
    let tail = [t0, t1, t2];
    if !padding.iter().all(|&b| b == b'-') {
        return None;
    }
    let tail_ok = match tail {
        [b'-', b'-', b'-'] => true,
        _ if padding.is_empty() => false,
        [b'-', b'T', b'-'] => true,
        [b'0', c1, c2] => c1.is_ascii_digit() && c2.is_ascii_digit(),
        _ => false,
    };
    match version_digits.first() {
        _ if !tail_ok => None,
        // `A--------`: the letter alone, no version.
        None if tail == *b"---" => Some(Client::new(name, None)),
        Some(major) if major.is_ascii_digit() => {
            let version = Version::EMPTY.digits(version_digits, shadow_digit)?;
            Some(Client::new(name, Some(version)))
        }
        _ => None,
    }
}

/// BEP 20's Mainline style: a letter, decimal major, minor and tiny versions separated by
/// dashes and padded with dashes to eight bytes: `M4-3-6--` is 4.3.6, `M4-20-8-` 4.20.8.
fn mainline_style(id: &[u8]) -> Option<Client> {
    let (&letter, rest) = id.split_first()?;
    let &(_, name) = MAINLINE_STYLE.iter().find(|(l, _)| *l == letter)?;
    let (version, used) = dashed_numbers(rest)?;
    let padding = rest.get(used..7)?;
    padding
        .iter()
        .all(|&b| b == b'-')
        .then(|| Client::new(name, Some(version)))
}

/// Reads `1-36-0-`: three decimal numbers of one to three digits, each followed by a dash.
/// Returns the dotted version and the bytes read.
fn dashed_numbers(bytes: &[u8]) -> Option<(Version, usize)> {
    let mut version = Version::EMPTY;
    let mut at = 0usize;
    for part in 0..3 {
        let field = bytes.get(at..)?;
        let digits = field.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=3).contains(&digits) || field.get(digits) != Some(&b'-') {
            return None;
        }
        if part > 0 {
            version = version.dot()?;
        }
        version = version.text(field.get(..digits)?)?;
        at = at.checked_add(digits)?.checked_add(1)?;
    }
    Some((version, at))
}

/// The first `N` bytes of `bytes` as an array, or `None` when there are fewer.
fn first<const N: usize>(bytes: &[u8]) -> Option<&[u8; N]> {
    bytes.get(..N)?.try_into().ok()
}

/// `0-9`.
fn decimal(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b.wrapping_sub(b'0'))
}

/// Two decimal digits as one number.
fn two_decimal(tens: u8, ones: u8) -> Option<u8> {
    decimal(tens)?.checked_mul(10)?.checked_add(decimal(ones)?)
}

/// `0-9` is 0–9, `A-Z` 10–35, `a-z` 36–61.
fn base62(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'A'..=b'Z' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        b'a'..=b'z' => Some(b.wrapping_sub(b'a').wrapping_add(36)),
        _ => None,
    }
}

/// A version digit of BitTornado's base-64 alphabet `0-9A-Za-z.-` other than the `-` used
/// for padding: `.` is 62.
fn shadow_digit(b: u8) -> Option<u8> {
    match b {
        b'.' => Some(62),
        _ => base62(b),
    }
}

/// Version text under construction; every step returns `None` once it would overflow.
#[derive(Clone, Copy)]
struct Version {
    buf: [u8; VERSION_CAPACITY],
    len: u8,
}

impl Version {
    const EMPTY: Version = Version {
        buf: [0; VERSION_CAPACITY],
        len: 0,
    };

    fn byte(mut self, b: u8) -> Option<Self> {
        *self.buf.get_mut(usize::from(self.len))? = b;
        self.len = self.len.checked_add(1)?;
        Some(self)
    }

    fn text(self, text: &[u8]) -> Option<Self> {
        text.iter().try_fold(self, |version, &b| version.byte(b))
    }

    fn dot(self) -> Option<Self> {
        self.byte(b'.')
    }

    /// `n` in decimal.
    fn number(self, n: u16) -> Option<Self> {
        let mut digits = [0u8; 5];
        let mut count = 0usize;
        let mut rest = n;
        loop {
            *digits.get_mut(count)? =
                b'0'.checked_add(u8::try_from(rest.checked_rem(10)?).ok()?)?;
            count = count.checked_add(1)?;
            rest = rest.checked_div(10)?;
            if rest == 0 {
                break;
            }
        }
        digits
            .get(..count)?
            .iter()
            .rev()
            .try_fold(self, |v, &d| v.byte(d))
    }

    /// `n` in decimal, at least two digits wide.
    fn number_padded2(self, n: u8) -> Option<Self> {
        let version = if n < 10 { self.byte(b'0')? } else { self };
        version.number(n.into())
    }

    /// Each byte of `digits` read by `read` and written as a number, joined with dots.
    fn digits(self, digits: &[u8], read: fn(u8) -> Option<u8>) -> Option<Self> {
        digits
            .iter()
            .enumerate()
            .try_fold(self, |version, (i, &d)| {
                let version = if i > 0 { version.dot()? } else { version };
                version.number(read(d)?.into())
            })
    }

    /// Each byte of `digits` read by `read` and written as a number, without separators.
    fn digits_joined(self, digits: &[u8], read: fn(u8) -> Option<u8>) -> Option<Self> {
        digits
            .iter()
            .try_fold(self, |version, &d| version.number(read(d)?.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// `prefix` padded with filler to a full 20-byte peer id.
    fn id(prefix: &[u8]) -> [u8; 20] {
        let mut id = *b"x7Kq2pLm9ZrT4vWc8NbY";
        for (slot, &b) in id.iter_mut().zip(prefix) {
            *slot = b;
        }
        id
    }

    /// (peer id prefix, expected name, expected version). Ids are from the test suites of
    /// Transmission and `bittorrent-peerid`, nDPI's `bittorrent.pcap`, and the version
    /// rules of each client.
    const REAL: &[(&[u8], &str, &str)] = &[
        (b"-TR3000-", "Transmission", "3.00"),
        (b"-TR2940-", "Transmission", "2.94"),
        (b"-TR300Z-", "Transmission", "3.00 (Dev)"),
        (b"-TR0006-", "Transmission", "0.6"),
        (b"-TR0072-", "Transmission", "0.72"),
        (b"-TR111Z-", "Transmission", "1.11 (Dev)"),
        (b"-TR4000-", "Transmission", "4.0.0"),
        (b"-TR400B-", "Transmission", "4.0.0 (Beta)"),
        (b"-TR4Az0-", "Transmission", "4.10.61"),
        (b"-qB4520-", "qBittorrent", "4.5.2"),
        (b"-qB46A0-", "qBittorrent", "4.6.10"),
        (b"-LT2080-", "libtorrent-rasterbar", "2.0.8"),
        (b"-LT1100-", "libtorrent-rasterbar", "1.1.0"),
        (b"-LT12J0-", "libtorrent-rasterbar", "1.2.19"),
        (b"-lt0D80-", "libtorrent-rakshasa", "0.13.8"),
        (b"-UT3450-", "µTorrent", "3.4.5"),
        (b"-UT188B-", "µTorrent", "1.8.8 (Beta)"),
        (b"-UT341\0-", "µTorrent", "3.4.1"),
        (b"-UT7a5\0-", "µTorrent", "7.10.5"),
        (b"-UM1860-", "µTorrent Mac", "1.8.6"),
        (b"-UW1110Q", "µTorrent Web", "1.1.10"),
        (b"-BT7950-", "BitTorrent", "7.9.5"),
        (b"-BT791B-", "BitTorrent", "7.9.1 (Beta)"),
        (b"-DE13F0-", "Deluge", "1.3.15"),
        (b"-DE211s-", "Deluge", "2.1.1"),
        (b"-DE200D-", "Deluge", "2.0.0 (Dev)"),
        (b"-AZ5750-", "Azureus/Vuze", "5.7.5.0"),
        (b"-AZ2200-", "Azureus/Vuze", "2.2.0.0"),
        (b"-BI2300-", "BiglyBT", "2.3.0.0"),
        (b"-BC0241-", "BitComet", "2.41"),
        (b"-BL246326", "BitLord", "2.4.6-326"),
        (b"-CD0303-", "Enhanced CTorrent", "3.3"),
        (b"-KT33D1-", "KTorrent", "3.3 Dev 1"),
        (b"-KT11R1-", "KTorrent", "1.1 RC 1"),
        (b"-KT4130-", "KTorrent", "4.1.3"),
        (b"-WW0102-", "WebTorrent", "1.2"),
        (b"-WW0007-", "WebTorrent", "0.7"),
        (b"-WD0007-", "WebTorrent Desktop", "0.7"),
        (b"-FD51R\xFF-", "Free Download Manager", "5.1.27"),
        (b"-FD51@\xFF-", "Free Download Manager", ""),
        (b"-FL51FF-", "Folx", "5.x"),
        (b"-FW6830-", "FrostWire", "6.8.3"),
        (b"-PI0120-", "PicoTorrent", "0.12.0"),
        (b"-Lr10X0-", "LibreTorrent", "1.0.33"),
        (b"-ADB560-", "Advanced Download Manager", "11.5.6"),
        (b"-XL0012-", "Xunlei", "0.0.1.2"),
        (b"-SD0100-", "Xunlei", "0.1.0.0"),
        (b"-HL0290-", "Halite", "0.2.9"),
        (b"-AG2053-", "Ares", "2.0.5.3"),
        (b"-SZ2132-", "Shareaza", "2.1.3.2"),
        (b"-MG1Cr0-", "MediaGet", "1.12"),
        (b"-BN0001-", "Baidu Netdisk", ""),
        (b"-LW0001-", "LimeWire", ""),
        (b"A2-1-36-0-", "aria2", "1.36.0"),
        (b"A2-1-18-8-", "aria2", "1.18.8"),
        (b"A2-1-2-0-", "aria2", "1.2.0"),
        (b"M4-3-6--", "BitTorrent Mainline", "4.3.6"),
        (b"M4-20-8-", "BitTorrent Mainline", "4.20.8"),
        (b"M5-0-7--9aa757efd5be", "BitTorrent Mainline", "5.0.7"),
        (b"Q1-23-4-", "Queen Bee", "1.23.4"),
        (b"S58B-----", "Shad0w", "5.8.11"),
        (b"T03I--008gY6iB6Aq27C", "BitTornado", "0.3.18"),
        (b"T03C-----6tYolxhVUFS", "BitTornado", "0.3.12"),
        (b"T0390----5uL5NvjBe2z", "BitTornado", "0.3.9.0"),
        (b"A310--001v5Gysr4NxNK", "ABC", "3.1.0"),
        (b"A--------YMyoBPXYy2L", "ABC", ""),
        (b"R37---003uApHy851-Pq", "Tribler", "3.7"),
        (
            b"exbc\x00\x38zDc\x10-n\x9a\xd6r;3\x9f5\xa9",
            "BitComet",
            "0.56",
        ),
        (
            b"exbc\x00\x38LORD2\x00\x04\x8e\xce\xd5{\xd7\x10(",
            "BitLord",
            "0.56",
        ),
        (
            b"\x00\x02BS\x9b~\xd3\xe0X\xa88J\xa7HHTTPBT",
            "BitSpirit",
            "2",
        ),
        (
            b"\x00\x03BS\x07$\x88\x96D\xc5\x950\x8a_\xf2\xcaUDP0",
            "BitSpirit",
            "3",
        ),
        (b"OP7685f2c1495b1680bf", "Opera", "7685"),
        (b"XBT054d-", "XBT Client", "0.5.4 (Debug)"),
        (b"TIX0193-", "Tixati", "1.93"),
        (b"TIX0137-i6i6f0i5d5b7", "Tixati", "1.37"),
        (b"-ML2.7.2-kgjjfkd", "MLdonkey", "2.7.2"),
        (b"FD6k4SYy9BOU4U4rk3-J", "Free Download Manager", "6"),
        (b"AZ2500BT", "BitTyrant", ""),
    ];

    #[test]
    fn real_peer_ids() {
        for &(prefix, name, version) in REAL {
            let got =
                Client::from_peer_id(&id(prefix)).map(|c| (c.name(), c.version().to_string()));
            let shown = String::from_utf8_lossy(prefix);
            assert_eq!(got, Some((name, version.to_string())), "{shown:?}");
        }
    }

    #[test]
    fn display_joins_name_and_version() {
        let show = |prefix: &[u8]| Client::from_peer_id(&id(prefix)).map(|c| c.to_string());
        assert_eq!(show(b"-TR3000-").as_deref(), Some("Transmission 3.00"));
        assert_eq!(show(b"-BN0001-").as_deref(), Some("Baidu Netdisk"));
        assert_eq!(show(b"-UT3450-").as_deref(), Some("µTorrent 3.4.5"));
    }

    #[test]
    fn unknown_and_random_ids_are_none() {
        let garbage: &[&[u8]] = &[
            b"-#@0000-Em6o1EmvwLtD",
            b"-ZZ1000-abcdefghijkl",
            b"-TR3000xabcdefghijkl",
            b"-qB4520",
            b"\xe7\xf1\x63\xbb\x0e\x5f\xcd\x35\x00\x5c\x09\xa1\x1b\xc2\x74\xc4\x23\x85\xa1\xa0",
            b"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            b"x7Kq2pLm9ZrT4vWc8NbY",
            b"OP76zzf2c1495b1680bf",
            b"OP7685F2C1495B1680BF",
            b"M4-3-6xx",
            b"M4-3-",
            b"T03I-0008gY6iB6Aq27C",
            b"SZbgE-JnmrMO_SKto0iv",
            b"R3rDD-yRTw2CKtGxUqDA",
            b"T03I--x08gY6iB6Aq27C",
            b"A-------0YMyoBPXYy2L",
            b"A2-1-36",
            b"-ML2.7.2xkgjjfkd",
            b"exbc\x00",
            b"",
            b"-",
        ];
        for &id in garbage {
            let shown = String::from_utf8_lossy(id);
            assert_eq!(Client::from_peer_id(id), None, "{shown:?}");
        }
    }

    #[test]
    fn short_ids_need_the_whole_pattern() {
        assert_eq!(Client::from_peer_id(b"-TR300"), None);
        assert_eq!(Client::from_peer_id(b"S58B----"), None);
        let client = Client::from_peer_id(b"-TR3000-");
        assert_eq!(
            client.map(|c| c.version().to_string()).as_deref(),
            Some("3.00")
        );
    }

    #[test]
    fn only_the_first_20_bytes_are_read() {
        let mut long = Vec::from(id(b"-qB4520-"));
        long.extend_from_slice(b"trailing bytes are ignored");
        let client = Client::from_peer_id(&long);
        assert_eq!(client.map(|c| c.name()), Some("qBittorrent"));
        // Opera's hex tail is checked up to byte 20 only.
        let mut opera = Vec::from(*b"OP7685f2c1495b1680bf");
        opera.extend_from_slice(b"XYZ");
        assert!(Client::from_peer_id(&opera).is_some());
    }

    #[test]
    fn extension_handshake_v_strings() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"Transmission 3.00", "Transmission", "3.00"),
            (b"Transmission 4.0.6", "Transmission", "4.0.6"),
            (b"qBittorrent/4.5.2", "qBittorrent", "4.5.2"),
            ("µTorrent 3.5.5".as_bytes(), "µTorrent", "3.5.5"),
            ("µTorrent Mac 1.8.7".as_bytes(), "µTorrent Mac", "1.8.7"),
            (b"uTorrent 2.2.1", "µTorrent", "2.2.1"),
            (b"BitTorrent 7.10.5", "BitTorrent", "7.10.5"),
            (b"Deluge 2.1.1", "Deluge", "2.1.1"),
            (b"libtorrent/2.0.8.0", "libtorrent-rasterbar", "2.0.8.0"),
            (b"Azureus 5.7.6.0", "Azureus/Vuze", "5.7.6.0"),
            (b"BiglyBT 3.5.0.0", "BiglyBT", "3.5.0.0"),
            (b"aria2/1.36.0", "aria2", "1.36.0"),
            (b"Tixati", "Tixati", ""),
            (b"qbittorrent/4.5.2", "qBittorrent", "4.5.2"),
            (b"KTorrent 5.1.2 (beta)", "KTorrent", "5.1.2 (beta)"),
            (b"Transmission 3.00\xff", "Transmission", ""),
            (b"Transmission 12345678901234567", "Transmission", ""),
        ];
        for &(v, name, version) in cases {
            let got = Client::from_client_version(v).map(|c| (c.name(), c.version().to_string()));
            let shown = String::from_utf8_lossy(v);
            assert_eq!(got, Some((name, version.to_string())), "{shown:?}");
        }
        for v in [&b"Foo 1.0"[..], b"", b"1.0", b"Transmissio 3.00", b"/3.00"] {
            assert_eq!(Client::from_client_version(v), None);
        }
    }

    /// Display output a JSON record or terminal can show as it is.
    fn is_printable(text: &str) -> bool {
        !text.is_empty() && !text.chars().any(char::is_control)
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for client in [Client::from_peer_id(&bytes), Client::from_client_version(&bytes)]
                .into_iter()
                .flatten()
            {
                prop_assert!(is_printable(&client.to_string()));
                prop_assert!(client.version().bytes().all(|b| b.is_ascii_graphic() || b == b' '));
            }
        }

        #[test]
        fn known_prefixes_with_random_tails(
            code in proptest::sample::select(AZUREUS_STYLE),
            rest in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let mut id = Vec::from(*b"-");
            id.extend_from_slice(&code.0);
            id.extend_from_slice(&rest);
            if let Some(client) = Client::from_peer_id(&id) {
                prop_assert!(is_printable(&client.to_string()));
                prop_assert_eq!(client.name(), code.1);
            }
        }
    }
}
