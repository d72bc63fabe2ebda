"""The daemon's HTTP endpoints: ``/metrics`` (every collector, collect-on-scrape),
``/probe?target=<device>`` (one device, in the style of snmp_exporter), ``/-/healthy`` and
``/-/ready`` (503 until the first complete cycle of jobs)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from egovops.metrics.collectors import knows_device, probe_registry
from egovops.metrics.state import StateSource

log = logging.getLogger("egovops.daemon.http")

INDEX = b"""<html><head><title>egovops</title></head><body><h1>egovops</h1>
<p><a href="/metrics">/metrics</a> &middot; <a href="/-/healthy">/-/healthy</a> &middot;
<a href="/-/ready">/-/ready</a> &middot; /probe?target=&lt;device id&gt;</p></body></html>
"""


def parse_listen(text: str) -> tuple[str, int]:
    """``"127.0.0.1:9731"`` / ``"[::1]:9731"`` → host and port."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"listen address {text!r} must be HOST:PORT")
    return host.strip("[]"), int(port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """A threading HTTP server over a registry, a state source and a readiness check."""

    def __init__(self, address: tuple[str, int], registry: CollectorRegistry,
                 source: StateSource, ready: Callable[[], bool]) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "egovops"

            def do_GET(self) -> None:
                server.handle(self)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("http request", extra={"client": self.client_address[0],
                                                 "request": format % args})

        self.registry = registry
        self.source = source
        self.ready = ready
        server_class = _Server6 if ":" in address[0] else _Server
        self.httpd = server_class(address, Handler)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``host:port`` actually bound (port 0 becomes the chosen port)."""
        host, port = self.httpd.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="egovops-http")
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        try:
            if url.path == "/metrics":
                self._send(request, 200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
            elif url.path == "/probe":
                targets = parse_qs(url.query).get("target", [])
                if len(targets) != 1 or not targets[0]:
                    self._send(request, 400, b"target parameter is missing\n")
                elif not knows_device(self.source(), targets[0]):
                    self._send(request, 404, f"unknown device {targets[0]!r}\n".encode())
                else:
                    body = generate_latest(probe_registry(self.source, targets[0]))
                    self._send(request, 200, body, CONTENT_TYPE_LATEST)
            elif url.path == "/-/healthy":
                self._send(request, 200, b"egovops is healthy.\n")
            elif url.path == "/-/ready":
                if self.ready():
                    self._send(request, 200, b"egovops is ready.\n")
                else:
                    self._send(request, 503, b"egovops is not ready: first cycle running.\n")
            elif url.path == "/":
                self._send(request, 200, INDEX, "text/html; charset=utf-8")
            else:
                self._send(request, 404, b"not found\n")
        except Exception:
            log.exception("request failed", extra={"path": url.path})
            self._send(request, 500, b"internal error; see the daemon log\n")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, code: int, body: bytes,
              content_type: str = "text/plain; charset=utf-8") -> None:
        request.send_response(code)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
