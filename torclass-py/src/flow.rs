//! `torclass.Flow`: one flow's classifier, fed payload by payload.

use crate::names;
use crate::payload::Payload;
use crate::record;
use crate::verdict::PyVerdict;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use torclass_capture::FlowRecord;
use torclass_core::observer::{Field, Number, Observer};
use torclass_core::{Direction, FlowClassifier, Metadata, Transport};

/// First byte of a `Flow`'s state bytes (`__reduce__`): the layout below.
const STATE_VERSION: u8 = 1;

/// `Flow`'s state as bytes: version, transport (0 TCP, 1 UDP), the classifier's
/// [`FlowClassifier::to_state`], then the metadata kept so far: the info-hash, and for the
/// initiator then the responder the peer id, client name and DHT node id (each a length byte
/// and the bytes) and the listen port (2 bytes, big-endian, 0 if none).
fn encode(transport: Transport, state: &State) -> Vec<u8> {
    let mut out = vec![STATE_VERSION, u8::from(transport != Transport::Tcp)];
    out.extend_from_slice(&state.classifier.to_state());
    let mut field = |bytes: Option<&[u8]>| {
        let bytes = bytes.unwrap_or_default();
        out.push(u8::try_from(bytes.len()).unwrap_or(0));
        out.extend_from_slice(bytes.get(..usize::from(u8::MAX)).unwrap_or(bytes));
    };
    let m = &state.metadata;
    field(
        m.info_hash()
            .as_ref()
            .map(torclass_core::InfoHash::as_bytes),
    );
    for d in [Direction::Initiator, Direction::Responder] {
        field(m.peer_id(d).map(|id| &id[..]));
        field(m.client_name(d));
        field(m.dht_node_id(d).map(|id| &id[..]));
    }
    for d in [Direction::Initiator, Direction::Responder] {
        out.extend_from_slice(&m.listen_port(d).unwrap_or(0).to_be_bytes());
    }
    out
}

/// The transport and state [`encode`] wrote, or `None` for any other bytes.
fn decode(bytes: &[u8]) -> Option<(Transport, State)> {
    let (&version, rest) = bytes.split_first()?;
    let (&transport, rest) = rest.split_first()?;
    if version != STATE_VERSION {
        return None;
    }
    let transport = match transport {
        0 => Transport::Tcp,
        1 => Transport::Udp,
        _ => return None,
    };
    let (classifier, mut rest) = rest.split_at_checked(FlowClassifier::STATE_LEN)?;
    let classifier = FlowClassifier::from_state(classifier.try_into().ok()?)?;
    let mut metadata = Metadata::new();
    let mut field = |d: Direction, f: Field, rest: &mut &[u8]| -> Option<()> {
        let (&len, tail) = rest.split_first()?;
        let (bytes, tail) = tail.split_at_checked(usize::from(len))?;
        if !bytes.is_empty() {
            metadata.field(d, f, 0, bytes);
        }
        *rest = tail;
        Some(())
    };
    field(Direction::Initiator, Field::InfoHash, &mut rest)?;
    for d in [Direction::Initiator, Direction::Responder] {
        field(d, Field::PeerId, &mut rest)?;
        field(d, Field::ClientName, &mut rest)?;
        field(d, Field::DhtNodeId, &mut rest)?;
    }
    for d in [Direction::Initiator, Direction::Responder] {
        let (port, tail) = rest.split_first_chunk::<2>()?;
        let port = u16::from_be_bytes(*port);
        if port != 0 {
            metadata.number(d, Number::ListenPort, u64::from(port));
        }
        rest = tail;
    }
    rest.is_empty().then_some((
        transport,
        State {
            classifier,
            metadata,
        },
    ))
}

/// The keys of the JSON-lines record a lone flow fills (no addresses, times or counts).
const FLOW_KEYS: [&str; 9] = [
    "l4",
    "verdict",
    "protocol",
    "confidence",
    "evidence",
    "info_hash",
    "peer_id",
    "client",
    "dht_node_id",
];

struct State {
    classifier: FlowClassifier,
    metadata: Metadata,
}

/// One flow (a TCP connection or a UDP conversation), classified as its payloads arrive.
///
/// Feed each payload with the side that sent it: TCP segments in stream order (the payload
/// only, without headers), UDP datagrams one by one. The verdict does not depend on how a
/// TCP stream is cut into segments. State is fixed size (`FLOW_STATE_SIZE` bytes plus
/// metadata); a lock makes a `Flow` safe to share between threads.
#[pyclass(frozen, module = "torclass", name = "Flow")]
pub struct PyFlow {
    transport: Transport,
    state: Mutex<State>,
}

impl PyFlow {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The classifier cannot panic, so a poisoned lock still holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The flow as a record without addresses, to read its fields the way records are written.
    fn record(&self) -> FlowRecord {
        let state = self.lock();
        let nowhere = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let mut r = FlowRecord::new(self.transport, nowhere, 0, nowhere, 0);
        r.verdict = state.classifier.verdict();
        r.set_metadata(&state.metadata);
        r
    }
}

#[pymethods]
impl PyFlow {
    #[new]
    #[pyo3(signature = (transport = "tcp"))]
    fn new(transport: &str) -> PyResult<Self> {
        let transport = names::transport(transport)?;
        Ok(Self {
            transport,
            state: Mutex::new(State {
                classifier: FlowClassifier::new(transport),
                metadata: Metadata::new(),
            }),
        })
    }

    /// Pickle (and `copy`) support: the flow's state as bytes, `Flow._from_state(state)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let flow = slf.get();
        let state = PyBytes::new(py, &encode(flow.transport, &flow.lock()));
        let rebuild = slf.get_type().getattr("_from_state")?;
        PyTuple::new(py, [rebuild, PyTuple::new(py, [state])?.into_any()])
    }

    /// The flow whose `__reduce__` gave `state`. Raises `ValueError` for any other bytes.
    #[staticmethod]
    fn _from_state(state: &[u8]) -> PyResult<Self> {
        let (transport, state) = decode(state)
            .ok_or_else(|| PyValueError::new_err("not the state of a torclass.Flow"))?;
        Ok(Self {
            transport,
            state: Mutex::new(state),
        })
    }

    /// Feed the next payload sent by `direction` (`"initiator"`, the side that sent the
    /// flow's first packet, or `"responder"`) and return the verdict so far.
    ///
    /// `payload` is bytes, bytearray or memoryview; `bytes` is read in place, mutable buffers
    /// are copied first. Bounded work per call; the GIL is held (it is short).
    #[pyo3(signature = (payload, direction = "initiator"))]
    fn feed(&self, payload: &Bound<'_, PyAny>, direction: &str) -> PyResult<PyVerdict> {
        let direction = names::direction(direction)?;
        let payload = Payload::extract(payload, "payload")?;
        let mut guard = self.lock();
        let state = &mut *guard;
        let verdict =
            state
                .classifier
                .feed_with(direction, payload.as_slice(), &mut state.metadata);
        Ok(PyVerdict(verdict))
    }

    /// Tell the flow that bytes sent by `direction` were lost before the next payload.
    #[pyo3(signature = (direction = "initiator"))]
    fn gap(&self, direction: &str) -> PyResult<()> {
        let direction = names::direction(direction)?;
        self.lock().classifier.gap(direction);
        Ok(())
    }

    /// The flow ended: an undecided verdict becomes `"not_bittorrent"`. Returns the verdict.
    fn finish(&self) -> PyVerdict {
        PyVerdict(self.lock().classifier.finish())
    }

    /// The verdict so far.
    #[getter]
    fn verdict(&self) -> PyVerdict {
        PyVerdict(self.lock().classifier.verdict())
    }

    /// True when more payloads can change nothing.
    #[getter]
    fn is_done(&self) -> bool {
        self.lock().classifier.is_done()
    }

    /// `"tcp"` or `"udp"`.
    #[getter]
    fn transport(&self) -> &'static str {
        self.transport.name()
    }

    /// The torrent's info-hash in lowercase hex (40 or 64 digits), or `None`.
    #[getter]
    fn info_hash<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record::field(py, &self.record(), "info_hash")
    }

    /// A peer id seen (the initiator's first), printable with other bytes as `\xNN`, or `None`.
    #[getter]
    fn peer_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record::field(py, &self.record(), "peer_id")
    }

    /// The client named by a peer id or a BEP 10 `v` string, or `None`.
    #[getter]
    fn client<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record::field(py, &self.record(), "client")
    }

    /// A DHT node id seen, in lowercase hex, or `None`.
    #[getter]
    fn dht_node_id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        record::field(py, &self.record(), "dht_node_id")
    }

    /// The keys of the JSON-lines record a lone flow knows: `l4`, the verdict's keys and the
    /// metadata (`info_hash`, `peer_id`, `client`, `dht_node_id`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        record::dict(py, &self.record(), &FLOW_KEYS)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Flow {} {}>",
            self.transport.name(),
            self.lock().classifier.verdict()
        )
    }
}

/// Classify one payload on its own, as the first payload of a new flow sent by its
/// initiator.
pub(crate) fn classify_one(transport: Transport, payload: &[u8]) -> PyVerdict {
    let mut flow = FlowClassifier::new(transport);
    PyVerdict(flow.feed(torclass_core::Direction::Initiator, payload))
}
