#!/usr/bin/env python3
"""An example MCP server for Kiln, written with the official MCP Python SDK (mcp 2.x).

Every tool is deterministic and touches no network, so the server doubles as
the fixture for Kiln's MCP client tests (tests/plugins/mcp/).

    python3 server.py                          # stdio (how Kiln spawns it)
    python3 server.py --http --port 8765       # streamable HTTP at http://127.0.0.1:8765/mcp
    python3 server.py --http --port 0          # any free port; the line below names it

In HTTP mode the server prints "listening on 127.0.0.1:PORT" (flushed) once it
accepts connections, so a test or script can wait for that line.
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

mcp = MCPServer(
    "kiln-example",
    version="0.1.0",
    instructions="Example tools: arithmetic, made-up orders, an in-memory notebook.",
    log_level="WARNING",  # stderr stays quiet unless something goes wrong
)

# Made-up orders: what a shop's order service might answer.
_ORDERS: dict[str, dict[str, Any]] = {
    "A1001": {"status": "shipped", "carrier": "DHL", "items": 2, "eta": "2025-07-03"},
    "A1002": {"status": "processing", "carrier": None, "items": 1, "eta": "2025-07-08"},
    "B2001": {"status": "delivered", "carrier": "UPS", "items": 5, "eta": "2025-06-21"},
}

# The notebook lives as long as the process: one per stdio child, one per HTTP server.
_NOTES: list[dict[str, str]] = []

# Longest sleep `slow` accepts, so a forgotten test cannot hold a server forever.
_MAX_SLEEP_SECONDS = 120.0


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@mcp.tool()
def lookup_order(order_id: str) -> dict[str, Any]:
    """Look up the status of an order by its id (for example "A1001")."""
    order = _ORDERS.get(order_id.strip().upper())
    if order is None:
        raise ToolError(f"no order with id {order_id!r}")
    return {"order_id": order_id.strip().upper(), **order}


@mcp.tool()
def notes_save(title: str, text: str) -> dict[str, Any]:
    """Save a note; a note with the same title is replaced."""
    _NOTES[:] = [n for n in _NOTES if n["title"] != title]
    _NOTES.append({"title": title, "text": text})
    return {"saved": title, "count": len(_NOTES)}


@mcp.tool()
def notes_search(query: str) -> list[dict[str, str]]:
    """Find saved notes whose title or text contains the query (case-insensitive)."""
    q = query.casefold()
    return [n for n in _NOTES if q in n["title"].casefold() or q in n["text"].casefold()]


@mcp.tool()
async def slow(seconds: float) -> str:
    """Wait for the given number of seconds, then answer (for timeout tests)."""
    seconds = max(0.0, min(seconds, _MAX_SLEEP_SECONDS))
    # Asynchronous on purpose: other calls keep being served while this one waits.
    await anyio.sleep(seconds)
    return f"slept {seconds:g} seconds"


@mcp.tool()
def fail() -> str:
    """Always fails (to show how a tool error looks)."""
    raise ToolError("fail always fails: this is the error a tool reports")


def _bind(host: str, port: int) -> socket.socket:
    # Bound here rather than by uvicorn so that port 0 can be reported: the
    # kernel picks the port at bind time and uvicorn would not tell us which.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


async def _serve_http(host: str, port: int, json_response: bool) -> None:
    import uvicorn

    app = mcp.streamable_http_app(json_response=json_response, host=host)
    sock = _bind(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:
            if server.should_exit:
                return
            await anyio.sleep(0.02)
        print(f"listening on {host}:{sock.getsockname()[1]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port; 0 picks a free one")
    parser.add_argument(
        "--json-response",
        action="store_true",
        help="answer POSTs with application/json instead of an SSE stream",
    )
    args = parser.parse_args()
    if not args.http:
        mcp.run("stdio")
        return 0
    try:
        anyio.run(_serve_http, args.host, args.port, args.json_response)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
