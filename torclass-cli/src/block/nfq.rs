//! [`Queue`]: one NFQUEUE queue served through libnetfilter_queue (the netfilter project's
//! library, as in `torclass-ffi/examples/nfq_blocker.c`): packets are read in batches from the
//! queue's netlink socket, each handed to a [`Handler`], and the verdicts sent back — every
//! packet that is simply accepted with one batch verdict (`NFQNL_MSG_VERDICT_BATCH`) per batch,
//! the others one by one before it.
//!
//! This is the only module of the blocker with `unsafe` code; every pointer it gets from the
//! library is checked for NULL and used only while the library guarantees it.

use std::ffi::{c_char, c_int, c_void};
use std::io;
use std::os::fd::RawFd;
use std::ptr::NonNull;

#[repr(C)]
struct NfqHandle {
    _opaque: [u8; 0],
}
#[repr(C)]
struct NfqQHandle {
    _opaque: [u8; 0],
}
#[repr(C)]
struct NfqData {
    _opaque: [u8; 0],
}
/// `struct nfqnl_msg_packet_hdr` (linux/netfilter/nfnetlink_queue.h).
#[repr(C, packed)]
struct PacketHdr {
    packet_id: u32,
    hw_protocol: u16,
    hook: u8,
}

type Callback =
    unsafe extern "C" fn(*mut NfqQHandle, *mut c_void, *mut NfqData, *mut c_void) -> c_int;

#[link(name = "netfilter_queue")]
extern "C" {
    fn nfq_open() -> *mut NfqHandle;
    fn nfq_close(h: *mut NfqHandle) -> c_int;
    fn nfq_fd(h: *mut NfqHandle) -> c_int;
    fn nfq_create_queue(
        h: *mut NfqHandle,
        num: u16,
        cb: Callback,
        data: *mut c_void,
    ) -> *mut NfqQHandle;
    fn nfq_destroy_queue(qh: *mut NfqQHandle) -> c_int;
    fn nfq_set_mode(qh: *mut NfqQHandle, mode: u8, range: u32) -> c_int;
    fn nfq_set_queue_maxlen(qh: *mut NfqQHandle, len: u32) -> c_int;
    fn nfq_set_queue_flags(qh: *mut NfqQHandle, mask: u32, flags: u32) -> c_int;
    fn nfq_handle_packet(h: *mut NfqHandle, buf: *mut c_char, len: c_int) -> c_int;
    fn nfq_get_msg_packet_hdr(nfad: *mut NfqData) -> *mut PacketHdr;
    fn nfq_get_payload(nfad: *mut NfqData, data: *mut *mut u8) -> c_int;
    fn nfq_set_verdict2(
        qh: *mut NfqQHandle,
        id: u32,
        verdict: u32,
        mark: u32,
        len: u32,
        buf: *const u8,
    ) -> c_int;
    fn nfq_set_verdict_batch(qh: *mut NfqQHandle, id: u32, verdict: u32) -> c_int;
}

const NF_ACCEPT: u32 = 1;
const NF_REPEAT: u32 = 4;
const NFQNL_COPY_PACKET: u8 = 2;
const NFQA_CFG_F_FAIL_OPEN: u32 = 1;
const NFQA_CFG_F_GSO: u32 = 4;

/// Packets kept by the kernel for the queue before it drops (or, fail-open, accepts) more.
pub const QUEUE_MAXLEN: u32 = 8192;
/// Packets read before the verdicts are sent.
pub const BATCH: usize = 64;
/// The receive buffer: one netlink message with a 64 KiB packet and its attributes.
const BUFFER_LEN: usize = 0x10000 + 4096;

/// What to do with one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Let it through (sent in the batch's one verdict).
    Accept,
    /// Send it through the hook again carrying packet mark `mark`: the ruleset saves the
    /// mark to the connection and accepts or drops it, and the kernel then handles the rest
    /// of the connection by its mark.
    Mark(u32),
}

/// Decides packets.
pub trait Handler {
    /// The decision for one IP packet.
    fn packet(&mut self, ip: &[u8]) -> Decision;
}

/// Counters of the queue's socket and verdicts.
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueStats {
    /// Packets read.
    pub packets: u64,
    /// Batch verdicts sent.
    pub batches: u64,
    /// Verdict messages the kernel refused, and packets without a header.
    pub errors: u64,
    /// Times the socket overran (the kernel dropped, or fail-open accepted, packets it could
    /// not deliver).
    pub overruns: u64,
}

struct Context<H> {
    handler: H,
    qh: *mut NfqQHandle,
    /// Highest packet id of this batch to accept, if any.
    accept_up_to: Option<u32>,
    stats: QueueStats,
}

/// The library's callback: decide the packet, send a non-accept verdict at once, remember
/// an accept for the batch verdict.
///
/// # Safety
/// `data` is the `Context<H>` the queue was created with; `nfad` is valid for this call.
unsafe extern "C" fn on_packet<H: Handler>(
    _qh: *mut NfqQHandle,
    _msg: *mut c_void,
    nfad: *mut NfqData,
    data: *mut c_void,
) -> c_int {
    // SAFETY: `data` is the boxed context created with the queue, alive while the queue is,
    // and only this thread touches it (inside `nfq_handle_packet` called by `Queue::batch`).
    let ctx = unsafe { &mut *data.cast::<Context<H>>() };
    // SAFETY: `nfad` is valid during the callback.
    let hdr = unsafe { nfq_get_msg_packet_hdr(nfad) };
    if hdr.is_null() {
        ctx.stats.errors += 1;
        return 0;
    }
    // SAFETY: checked non-NULL; the header is packed, so read it unaligned.
    let id = u32::from_be(unsafe { std::ptr::addr_of!((*hdr).packet_id).read_unaligned() });
    let mut payload: *mut u8 = std::ptr::null_mut();
    // SAFETY: `nfad` is valid; on success `payload` points at `len` bytes of the message,
    // which live in the receive buffer until the callback returns.
    let len = unsafe { nfq_get_payload(nfad, &mut payload) };
    let ip: &[u8] = if len > 0 && !payload.is_null() {
        // SAFETY: see above; `len` is positive.
        unsafe { std::slice::from_raw_parts(payload, len as usize) }
    } else {
        &[]
    };
    ctx.stats.packets += 1;
    let decision =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ctx.handler.packet(ip)))
            .unwrap_or_else(|_| {
                ctx.stats.errors += 1;
                Decision::Accept
            });
    let sent = match decision {
        Decision::Accept => {
            ctx.accept_up_to = Some(ctx.accept_up_to.map_or(id, |m| m.max(id)));
            0
        }
        // SAFETY: `qh` is the queue's live handle.
        Decision::Mark(mark) => unsafe {
            nfq_set_verdict2(ctx.qh, id, NF_REPEAT, mark, 0, std::ptr::null())
        },
    };
    if sent < 0 {
        ctx.stats.errors += 1;
    }
    0
}

/// One bound NFQUEUE queue and its handler.
pub struct Queue<H: Handler> {
    h: NonNull<NfqHandle>,
    qh: NonNull<NfqQHandle>,
    fd: RawFd,
    ctx: Box<Context<H>>,
    buffer: Box<[u8]>,
}

// SAFETY: the handles are used only through `&mut self`, by one thread at a time; the library
// keeps no thread-local state.
unsafe impl<H: Handler + Send> Send for Queue<H> {}

fn last_error(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

impl<H: Handler> Queue<H> {
    /// Bind queue `num` (needs CAP_NET_ADMIN): whole packets copied, GSO packets unsegmented,
    /// and, unless `fail_closed`, packets the queue cannot hold accepted by the kernel.
    pub fn open(num: u16, fail_closed: bool, handler: H) -> io::Result<Self> {
        // SAFETY: plain constructor; NULL checked.
        let h = NonNull::new(unsafe { nfq_open() }).ok_or_else(|| last_error("nfq_open"))?;
        let mut ctx = Box::new(Context {
            handler,
            qh: std::ptr::null_mut(),
            accept_up_to: None,
            stats: QueueStats::default(),
        });
        let data = std::ptr::addr_of_mut!(*ctx).cast::<c_void>();
        // SAFETY: `h` is live; `data` points at the boxed context, which outlives the queue
        // (it is dropped after `nfq_destroy_queue` in `Drop`).
        let qh = unsafe { nfq_create_queue(h.as_ptr(), num, on_packet::<H>, data) };
        let Some(qh) = NonNull::new(qh) else {
            let e = last_error(&format!(
                "binding NFQUEUE {num} (is another process serving it? is CAP_NET_ADMIN missing?)"
            ));
            // SAFETY: `h` is live and not used again.
            unsafe { nfq_close(h.as_ptr()) };
            return Err(e);
        };
        ctx.qh = qh.as_ptr();
        // SAFETY: `h` is live.
        let fd = unsafe { nfq_fd(h.as_ptr()) };
        let queue = Self {
            h,
            qh,
            fd,
            ctx,
            buffer: vec![0; BUFFER_LEN].into_boxed_slice(),
        };
        // SAFETY: `qh` is live.
        if unsafe { nfq_set_mode(qh.as_ptr(), NFQNL_COPY_PACKET, 0xffff) } < 0 {
            return Err(last_error("nfq_set_mode"));
        }
        // SAFETY: as above.
        unsafe { nfq_set_queue_maxlen(qh.as_ptr(), QUEUE_MAXLEN) };
        let flags = NFQA_CFG_F_GSO | if fail_closed { 0 } else { NFQA_CFG_F_FAIL_OPEN };
        // SAFETY: as above. Kernels before 3.6 (fail-open) and 3.10 (GSO) refuse the flags:
        // the queue still works, without them.
        if unsafe { nfq_set_queue_flags(qh.as_ptr(), NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO, flags) }
            < 0
        {
            eprintln!(
                "torclass: NFQUEUE {num}: {}",
                last_error("setting fail-open/GSO")
            );
        }
        let rcvbuf: c_int = 16 << 20;
        let timeout = libc::timeval {
            tv_sec: 0,
            tv_usec: 100_000,
        };
        // SAFETY: valid socket and option values of the right sizes.
        unsafe {
            if libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUFFORCE,
                std::ptr::addr_of!(rcvbuf).cast(),
                4,
            ) < 0
            {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVBUF,
                    std::ptr::addr_of!(rcvbuf).cast(),
                    4,
                );
            }
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                std::ptr::addr_of!(timeout).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(queue)
    }

    /// Read and decide up to [`BATCH`] packets (waiting at most 100 ms for the first), then
    /// send the batch's accept verdict. Returns the number of packets read.
    pub fn batch(&mut self) -> io::Result<usize> {
        let mut read = 0;
        while read < BATCH {
            let flags = if read == 0 { 0 } else { libc::MSG_DONTWAIT };
            // SAFETY: the buffer is ours and `BUFFER_LEN` long.
            let n = unsafe {
                libc::recv(
                    self.fd,
                    self.buffer.as_mut_ptr().cast(),
                    self.buffer.len(),
                    flags,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::ENOBUFS) => {
                        self.ctx.stats.overruns += 1;
                        continue;
                    }
                    Some(libc::EAGAIN | libc::EINTR) => break,
                    _ => {
                        self.flush();
                        return Err(e);
                    }
                }
            }
            // SAFETY: `h` is live; the buffer holds `n` bytes the kernel wrote; the callback
            // runs inside this call on this thread.
            unsafe {
                nfq_handle_packet(self.h.as_ptr(), self.buffer.as_mut_ptr().cast(), n as c_int)
            };
            read += 1;
        }
        self.flush();
        Ok(read)
    }

    fn flush(&mut self) {
        if let Some(id) = self.ctx.accept_up_to.take() {
            // SAFETY: `qh` is live.
            if unsafe { nfq_set_verdict_batch(self.qh.as_ptr(), id, NF_ACCEPT) } < 0 {
                self.ctx.stats.errors += 1;
            }
            self.ctx.stats.batches += 1;
        }
    }

    /// Decide every packet already waiting, so that none is dropped when the queue closes.
    pub fn drain(&mut self) {
        while matches!(self.batch(), Ok(n) if n > 0) {}
    }

    /// The handler.
    pub fn handler(&mut self) -> &mut H {
        &mut self.ctx.handler
    }

    /// The socket's counters.
    pub fn stats(&self) -> QueueStats {
        self.ctx.stats
    }
}

impl<H: Handler> Drop for Queue<H> {
    fn drop(&mut self) {
        // SAFETY: both handles are live and not used after this; the context box outlives
        // them (fields drop after this body).
        unsafe {
            nfq_destroy_queue(self.qh.as_ptr());
            nfq_close(self.h.as_ptr());
        }
    }
}
