"""QUIC (RFC 9000) echo server and client on aioquic, for the capture lab's udp-negative scenario.

Run with the virtualenv python that make-captures.sh prepares (aioquic from PyPI), inside a lab
namespace.

    quic_echo.py server IP PORT CERT KEY
    quic_echo.py client IP PORT BYTES      sends BYTES random bytes on one stream and checks
                                           that the same bytes come back
"""

import asyncio
import os
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

ALPN = ["lab-echo"]


class Echo(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(event.stream_id, event.data, end_stream=event.end_stream)
            self.transmit()


async def server(ip, port, cert, key):
    config = QuicConfiguration(is_client=False, alpn_protocols=ALPN)
    config.load_cert_chain(cert, key)
    await serve(ip, port, configuration=config, create_protocol=Echo)
    await asyncio.Future()


async def client(ip, port, size):
    config = QuicConfiguration(is_client=True, alpn_protocols=ALPN, server_name="lab.test")
    config.verify_mode = ssl.CERT_NONE
    data = os.urandom(size)
    async with connect(ip, port, configuration=config) as conn:
        reader, writer = await conn.create_stream()
        writer.write(data)
        writer.write_eof()
        echoed = await reader.read()
    if echoed != data:
        sys.exit(f"QUIC echo returned {len(echoed)} bytes, expected {size}")
    print(f"QUIC echo of {size} bytes ok", flush=True)


def main():
    cmd, ip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "server":
        asyncio.run(server(ip, port, sys.argv[4], sys.argv[5]))
    elif cmd == "client":
        asyncio.run(client(ip, port, int(sys.argv[4])))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
