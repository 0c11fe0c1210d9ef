"""A TCP proxy in front of Redis that can lose a reply: the command reaches Redis and runs, and the connection
breaks before its answer comes back. That is the one failure a client retry cannot tell from a command that
never ran, so it is what tests of idempotent retries need."""

from __future__ import annotations

import asyncio


class CuttingProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.cuts = 0
        self._cut_marker: bytes | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cut_reply_to(self, marker: bytes) -> None:
        """The next command containing ``marker`` is delivered, and its connection breaks before the reply."""
        self._cut_marker = marker

    async def close(self) -> None:
        for w in list(self._writers):
            w.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)
        self._writers.update((client_w, server_w))
        cut = asyncio.Event()

        async def upstream() -> None:
            while data := await client_r.read(65536):
                if self._cut_marker is not None and self._cut_marker in data:
                    self._cut_marker = None
                    cut.set()
                server_w.write(data)
                await server_w.drain()

        async def downstream() -> None:
            while data := await server_r.read(65536):
                if cut.is_set():
                    self.cuts += 1
                    return  # the reply is dropped with the connection
                client_w.write(data)
                await client_w.drain()

        pumps = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for t in pumps:
            t.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)  # a reset connection ends a pump too
        for w in (client_w, server_w):
            w.close()
            self._writers.discard(w)
