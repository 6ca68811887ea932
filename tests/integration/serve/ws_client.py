#!/usr/bin/python3
"""WebSocket client for the `traverse serve` integration tests.

Usage: ws_client.py URL COUNT TIMEOUT_S
Connects to URL (ws://.../v1/events?...), prints the first COUNT messages, one per line, then
closes. Exits 2 if fewer than COUNT messages arrive within TIMEOUT_S seconds.
"""
import asyncio
import sys

import websockets


async def main(url: str, count: int, timeout: float) -> int:
    received = 0
    try:
        async with websockets.connect(url, open_timeout=timeout) as ws:
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
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
