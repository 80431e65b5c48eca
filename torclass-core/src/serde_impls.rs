//! `serde` support (the `serde` feature): the public records serialize as the JSON-lines
//! record writes them.
//!
//! - [`Protocol`], [`Confidence`], [`Direction`], [`Transport`]: their JSON names
//!   (`"peer_wire"`, `"confirmed"`, `"initiator"`, `"tcp"`), read back by `FromStr`;
//! - [`Evidence`]: the list of its named bits (`["handshake", "fast_bit"]`);
//! - [`InfoHash`]: lowercase hex (read back from hex or base32, as `FromStr`);
//! - [`Verdict`]: `"undecided"`, `"not_bittorrent"` or
//!   `{"bittorrent": {"protocol": …, "confidence": …, "evidence": […]}}`;
//! - [`Detection`](crate::Detection), [`FlowKey`](crate::FlowKey),
//!   [`Endpoint`](crate::Endpoint) and the stats structs: their fields.
//!
//! No allocation: strings are borrowed from the deserializer's input (serde_json's
//! `from_str`/`from_slice` lend them; a string with escapes needs an owned input).

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::info_hash::InfoHash;
use crate::verdict::{Confidence, Direction, Evidence, Protocol, Transport};

/// Reads a string into `T` by its `FromStr`.
struct ByName<T>(PhantomData<T>, &'static str);

impl<T: FromStr> Visitor<'_> for ByName<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

macro_rules! by_name {
    ($($ty:ty, $what:literal;)*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ByName(PhantomData, $what))
            }
        }
    )*};
}

by_name! {
    Protocol, "a protocol name such as \"peer_wire\"";
    Confidence, "\"likely\" or \"confirmed\"";
    Direction, "\"initiator\" or \"responder\"";
    Transport, "\"tcp\" or \"udp\"";
}

impl Serialize for InfoHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InfoHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ByName(
            PhantomData,
            "an info-hash: 40 or 64 hex digits, or 32 base32 characters",
        ))
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

/// Reads a list of evidence names.
struct EvidenceNames;

impl<'de> Visitor<'de> for EvidenceNames {
    type Value = Evidence;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of evidence names such as [\"handshake\"]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Evidence, A::Error> {
        let mut evidence = Evidence::NONE;
        while let Some(name) = seq.next_element::<&str>()? {
            let bit = Evidence::NAMED
                .iter()
                .find(|(_, n)| *n == name)
                .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(name), &self))?;
            evidence |= bit.0;
        }
        Ok(evidence)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EvidenceNames)
    }
}

#[cfg(test)]
mod tests {
    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use serde_json::{from_str, json, to_value};

    use std::string::ToString;

    use crate::packet::{Endpoint, FlowKey};
    use crate::reassembly::ReassemblyStats;
    use crate::verdict::{Detection, Verdict};
    use crate::{CacheStats, TableStats};

    use super::*;

    #[test]
    fn names_are_the_json_names() {
        for p in Protocol::ALL {
            assert_eq!(to_value(p).unwrap(), json!(p.name()));
            assert_eq!(
                from_str::<Protocol>(&json!(p.name()).to_string()).unwrap(),
                p
            );
        }
        for c in [Confidence::Likely, Confidence::Confirmed] {
            assert_eq!(to_value(c).unwrap(), json!(c.name()));
            assert_eq!(
                from_str::<Confidence>(&json!(c.name()).to_string()).unwrap(),
                c
            );
        }
        for d in [Direction::Initiator, Direction::Responder] {
            assert_eq!(
                from_str::<Direction>(&to_value(d).unwrap().to_string()).unwrap(),
                d
            );
        }
        assert_eq!(to_value(Transport::Udp).unwrap(), json!("udp"));
        let err = from_str::<Protocol>("\"bittorrent\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a protocol name"), "{err}");
    }

    #[test]
    fn verdicts_as_the_record_writes_them() {
        let evidence = Evidence::HANDSHAKE | Evidence::FAST_BIT;
        let v = Verdict::BitTorrent(Detection::new(
            Protocol::PeerWire,
            Confidence::Confirmed,
            evidence,
        ));
        let value = to_value(v).unwrap();
        assert_eq!(
            value,
            json!({"bittorrent": {"protocol": "peer_wire", "confidence": "confirmed",
                                  "evidence": ["handshake", "fast_bit"]}})
        );
        assert_eq!(from_str::<Verdict>(&value.to_string()).unwrap(), v);
        for v in [Verdict::Undecided, Verdict::NotBitTorrent] {
            let s = to_value(v).unwrap();
            assert_eq!(s, json!(v.name()));
            assert_eq!(from_str::<Verdict>(&s.to_string()).unwrap(), v);
        }
        assert!(from_str::<Evidence>("[\"handshake\", \"nope\"]").is_err());
        assert_eq!(from_str::<Evidence>("[]").unwrap(), Evidence::NONE);
    }

    #[test]
    fn keys_hashes_and_stats() {
        let key = FlowKey {
            transport: Transport::Tcp,
            src: Endpoint {
                addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                port: 51413,
            },
            dst: Endpoint {
                addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
                port: 6881,
            },
        };
        let value = to_value(key).unwrap();
        assert_eq!(
            value,
            json!({"transport": "tcp", "src": {"addr": "10.0.0.1", "port": 51413},
                   "dst": {"addr": "::1", "port": 6881}})
        );
        assert_eq!(from_str::<FlowKey>(&value.to_string()).unwrap(), key);

        let hash = InfoHash::V1([0xab; 20]);
        assert_eq!(to_value(hash).unwrap(), json!("ab".repeat(20)));
        assert_eq!(
            from_str::<InfoHash>(&json!("ab".repeat(20)).to_string()).unwrap(),
            hash
        );
        assert!(from_str::<InfoHash>("\"abc\"").is_err());

        let stats = TableStats::default();
        let value = to_value(stats).unwrap();
        assert_eq!(value["flows"], json!(0));
        assert_eq!(from_str::<TableStats>(&value.to_string()).unwrap(), stats);
        assert!(to_value(CacheStats::default()).unwrap().is_object());
        assert!(to_value(ReassemblyStats::default()).unwrap().is_object());
    }
}
