"""SSH sessions for collectors: one socket we own, netmiko on top, errors classified.

The socket is opened here, not by netmiko, so that (1) the connect timeout is ours, (2) the
runner can close it from another thread to break a hung read, and (3) the site's ssh_config is
honoured: ``ProxyCommand`` (the lab reaches each node through its namespace this way),
``ProxyJump`` through one jump host (``ssh -W``), ``HostName``, ``Port``. Secrets go to
paramiko only; session logging is off, and error texts pass through the redactor.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
from pathlib import Path
from typing import Any

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)

from egovops.collect.base import (
    AuthError,
    CollectContext,
    CollectError,
    CollectTimeoutError,
    TransientError,
)
from egovops.collect.credentials import Login


class _ProxyCommand(paramiko.ProxyCommand):  # type: ignore[misc]
    """paramiko's ProxyCommand, with a ``close`` that may be called again (paramiko's reader
    thread, the runner's cancel and the session each close it)."""

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            super().close()


def open_socket(host: str, port: int, ssh_config: str | None, timeout: float) -> Any:
    """A connected socket (or ``paramiko.ProxyCommand``) to ``host:port``."""
    target_host, target_port = host, port
    if ssh_config:
        path = Path(ssh_config)
        if path.is_file():
            config = paramiko.SSHConfig.from_path(str(path)).lookup(host)
            target_host = config.get("hostname", host)
            target_port = int(config.get("port", port)) if port == 22 else port
            if "proxycommand" in config:
                proxy = _ProxyCommand(config["proxycommand"])
                proxy.settimeout(timeout)
                return proxy
            if "proxyjump" in config:
                hops = config["proxyjump"].split(",")
                if len(hops) > 1:
                    raise CollectError("ProxyJump through more than one jump host is not "
                                       "supported; chain them with ProxyCommand")
                proxy = _ProxyCommand(
                    f"ssh -F {path} -o BatchMode=yes -W {target_host}:{target_port} {hops[0]}")
                proxy.settimeout(timeout)
                return proxy
    try:
        return socket.create_connection((target_host, target_port), timeout=timeout)
    except TimeoutError:
        raise CollectTimeoutError(f"TCP connect to {target_host}:{target_port}: no answer within "
                             f"{timeout:g} s") from None
    except OSError as exc:
        raise TransientError(f"TCP connect to {target_host}:{target_port}: "
                             f"{exc.strerror or exc}") from None


def close_socket(sock: Any) -> None:
    """Close a socket or ``ProxyCommand``; for the latter also reap the helper process."""
    with contextlib.suppress(OSError):
        sock.close()
    process = getattr(sock, "process", None)
    if process is None:
        return
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    try:
        process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class NetmikoSession:
    """An open netmiko connection; ``run`` sends one command and returns its output."""

    def __init__(self, host: str, device_type: str, login: Login, ctx: CollectContext,
                 extra: dict[str, Any] | None = None) -> None:
        self._ctx = ctx
        timeout = ctx.timeouts.connect
        sock = open_socket(host, login.port, login.ssh_config, timeout)
        self._sock = sock
        ctx.cancel.on_cancel(sock.close)
        try:
            self.conn = ConnectHandler(
                device_type=device_type,
                host=host,
                port=login.port,
                username=login.username,
                password=login.password or "",
                secret=login.enable or "",
                key_file=login.key_file,
                use_keys=login.key_file is not None,
                allow_agent=False,
                sock=sock,
                conn_timeout=timeout,
                auth_timeout=timeout,
                banner_timeout=timeout,
                blocking_timeout=timeout,
                session_timeout=ctx.timeouts.command,
                fast_cli=True,
                session_log=None,
                **(extra or {}),
            )
        except BaseException as exc:
            close_socket(sock)
            raise classify(exc, ctx) from None
        remote = self.conn.remote_conn
        if remote is not None:
            ctx.cancel.on_cancel(remote.close)

    def run(self, command: str, timeout: float | None = None) -> str:
        """Output of ``command`` (prompt and echo stripped)."""
        try:
            out = self.conn.send_command(
                command, read_timeout=timeout or self._ctx.timeouts.command,
                strip_prompt=True, strip_command=True,
            )
        except BaseException as exc:
            raise classify(exc, self._ctx) from None
        return str(out).replace("\r\n", "\n").strip("\n")

    def enable(self) -> None:
        """Enter privileged mode (Cisco ``enable`` with the login's enable secret)."""
        try:
            self.conn.enable()
        except BaseException as exc:
            raise classify(exc, self._ctx) from None

    def close(self) -> None:
        """Close the SSH transport and the socket. netmiko's own ``disconnect`` first leaves
        config mode and logs out, waiting up to a full read timeout on some hosts; a collector
        changed nothing, so it simply hangs up. Errors while closing are of no interest."""
        try:
            client = self.conn.remote_conn_pre
            transport = client.get_transport() if client is not None else None
            if client is not None:
                client.close()
            if transport is not None:
                transport.join(2)
        except Exception:
            pass
        with contextlib.suppress(Exception):
            close_socket(self._sock)


def classify(exc: BaseException, ctx: CollectContext) -> CollectError:
    """Map netmiko/paramiko/socket exceptions to :class:`CollectError` kinds (text redacted)."""
    if isinstance(exc, CollectError):
        return exc
    text = ctx.redactor(" ".join(str(exc).split()) or type(exc).__name__)
    if ctx.cancel.cancelled:
        return CollectTimeoutError("deadline passed; session closed")
    if isinstance(exc, (NetmikoAuthenticationException, paramiko.AuthenticationException)):
        return AuthError(f"authentication failed: {_first_line(text)}")
    if isinstance(exc, (NetmikoTimeoutException, ReadTimeout, TimeoutError, socket.timeout)):
        return CollectTimeoutError(_first_line(text))
    if isinstance(exc, paramiko.SSHException) and "banner" in text.lower():
        return CollectTimeoutError(f"no SSH banner: {_first_line(text)}")
    if isinstance(exc, (ConnectionError, EOFError, paramiko.SSHException, OSError)):
        return TransientError(_first_line(text))
    if isinstance(exc, Exception):
        return CollectError(f"{type(exc).__name__}: {_first_line(text)}")
    raise exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else "error"
