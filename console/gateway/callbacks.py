"""The HTTP server the providers post their receipts and replies to (aiohttp.web).

``/callback/{provider name}/{kind}`` -> that provider's ``callback()``; what it returns is handed
to the gateway (``ingest``), and the provider is answered only once that is durable (a provider
retries a push it was not answered 200, and the outbox recognises the retry). A callback the
adapter refuses (a wrong token, an unreadable body) -> 403, counted, logged without its body.
``GET /health``: the providers' health. HTTPS when a certificate and key are configured.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from console.gateway.config import ServerConfig
from console.gateway.provider import Callback, CallbackRefused, Provider

log = logging.getLogger("console.gateway")


class CallbackServer:
    def __init__(
        self,
        cfg: ServerConfig,
        providers: Mapping[str, Provider],
        ingest: Callable[[str, Callback], Awaitable[None]],
        refused: Callable[[], None],
        health: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self.cfg = cfg
        self._providers = providers
        self._ingest = ingest
        self._refused = refused
        self._health = health or dict
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; the port (the configured one, or the one the system gave for port 0)."""
        app = web.Application(client_max_size=1 << 20)
        app.router.add_route("*", "/callback/{provider}", self._callback)
        app.router.add_route("*", "/callback/{provider}/{tail:.*}", self._callback)
        app.router.add_get("/health", self._health_page)
        runner = web.AppRunner(app, access_log=None)  # an access log would hold tokens in URLs
        await runner.setup()
        ctx = None
        if self.cfg.tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(self.cfg.tls_cert, self.cfg.tls_key)
        site = web.TCPSite(runner, self.cfg.host, self.cfg.port, ssl_context=ctx)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        port = int(addresses[0][1]) if addresses else self.cfg.port
        log.info("gateway: callbacks on %s:%d/callback/{provider}/", self.cfg.host, port)
        return port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health_page(self, request: web.Request) -> web.Response:
        return web.json_response({"state": "online", "providers": self._health()})

    async def _callback(self, request: web.Request) -> web.Response:
        name = request.match_info["provider"]
        p = self._providers.get(name)
        if p is None:
            return web.Response(status=404)
        body = await request.read()
        try:
            cb = p.callback(request.path, dict(request.headers), body, dict(request.query))
        except CallbackRefused as exc:
            self._refused()
            log.warning("gateway: refused a callback for %s (%s)", name, str(exc)[:100])
            return web.Response(status=403)
        except Exception as exc:  # a body the adapter cannot read
            log.warning("gateway: unreadable callback for %s: %s", name, type(exc).__name__)
            return web.Response(status=400)
        await self._ingest(name, cb)  # durable before the provider hears "ok"
        ctype, _, charset = cb.content_type.partition(";")
        return web.Response(
            body=cb.answer,
            content_type=ctype.strip() or "application/json",
            charset=charset.split("=")[-1].strip() or None,
        )
