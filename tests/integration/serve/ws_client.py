#!/usr/bin/python3
"""WebSocket client for the `traverse serve` integration tests.

Usage: ws_client.py URL COUNT TIMEOUT_S [CA_FILE]
Connects to URL (ws://.../v1/events?... or wss://... verified against CA_FILE), prints the first
COUNT messages, one per line, then closes. Exits 2 if fewer than COUNT messages arrive within
TIMEOUT_S seconds (or the connection or TLS handshake fails).
"""
import asyncio
import ssl
import sys

import websockets


async def main(url: str, count: int, timeout: float, ca_file: str | None) -> int:
    received = 0
    context = None
    if url.startswith("wss://"):
        context = ssl.create_default_context(cafile=ca_file)
    try:
        async with websockets.connect(url, open_timeout=timeout, ssl=context) as ws:
            print("connected", flush=True)
            while received < count:
                message = await asyncio.wait_for(ws.recv(), timeout=timeout)
                print(message, flush=True)
                received += 1
    except (asyncio.TimeoutError, websockets.exceptions.WebSocketException, OSError) as error:
        print(f"error: {error!r}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    ca = sys.argv[4] if len(sys.argv) > 4 else None
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), ca)))
