#!/usr/bin/env python3
"""Telethon (a real Telegram MTProto client) opening connections to a data centre address that
never answers (a blocked or unreachable DC): the obfuscated transport (obfuscated2: a random
64-byte header, then AES-CTR) and MTProxy's randomized intermediate transport, each sending its
first request (req_pq_multi) and giving up. Run by telegram_real.sh inside a namespace.

Usage: telegram_real_client.py HOST PORT MODE   (MODE: obfuscated or mtproxy)
"""
import asyncio
import logging
import sys

from telethon import TelegramClient, connection
from telethon.sessions import MemorySession


async def main(host, port, mode):
    session = MemorySession()
    kwargs = {}
    if mode == "obfuscated":
        session.set_dc(2, host, port)
        kwargs["connection"] = connection.ConnectionTcpObfuscated
    else:
        # The client reaches the DC through an MTProxy at HOST:PORT (a 16-byte secret).
        session.set_dc(2, "149.154.167.51", 443)
        kwargs["connection"] = connection.ConnectionTcpMTProxyRandomizedIntermediate
        kwargs["proxy"] = (host, port, "dd" + "5f" * 16)
    client = TelegramClient(session, 1, "0" * 32, timeout=4, connection_retries=0,
                            request_retries=1, receive_updates=False, **kwargs)
    try:
        await asyncio.wait_for(client.connect(), 12)
    except Exception as e:  # the DC never answers
        print(f"telegram_real_client: {mode} {host}:{port}: {type(e).__name__}")
    finally:
        await client.disconnect()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
