"""The netmiko + TextFSM collector over real SSH, against a CLI stand-in on loopback.

No vendor firmware runs here, so a small paramiko server plays a Huawei VRP switch: it prints
the ``<sysname>`` prompt, echoes what it is sent, answers ``screen-length 0 temporary`` the way
VRP does and every other command from the recorded outputs of
``tests/data/devices/huawei_vrp/zwww-east-agg01``. This exercises what the replay tests cannot:
netmiko's Huawei session preparation, prompt handling and echo stripping, our socket and the
runner's deadline, through :func:`~egovops.collect.runner.collect_devices` and the default
collector table.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from egovops.collect.base import Timeouts
from egovops.collect.replay import command_file
from egovops.collect.runner import RunOptions, collect_devices
from egovops.model.inventory import Device
from tests.conftest import DATA

RECORDING = DATA / "devices" / "huawei_vrp" / "zwww-east-agg01"
PROMPT = "<ZWWW-EAST-AGG01>"
PASSWORD = "vrp-Pass-2718"


class _Auth(paramiko.ServerInterface):  # type: ignore[misc]
    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == "egovops" and password == PASSWORD
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" \
            else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: object) -> bool:
        return True


class FakeVrp:
    """A VRP-like CLI on 127.0.0.1; ``hang`` makes one command never answer."""

    def __init__(self) -> None:
        self.key = paramiko.RSAKey.generate(2048)
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port: int = self.server.getsockname()[1]
        self.hang: str | None = None
        self.commands: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._transports: list[paramiko.Transport] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def _accept(self) -> None:
        self.server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            thread = threading.Thread(target=self._session, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _session(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        self._transports.append(transport)
        transport.add_server_key(self.key)
        try:
            transport.start_server(server=_Auth())
            channel = transport.accept(10)
            if channel is None:
                return
            channel.sendall(f"\r\nInfo: The max number of VTY users is 5.\r\n\r\n{PROMPT}")
            line, previous = "", ""
            while not self._stop.is_set():
                data = channel.recv(1024)
                if not data:
                    return
                for char in data.decode(errors="replace"):
                    if char == "\n" and previous == "\r":
                        previous = char
                        continue  # the second half of a CR LF
                    previous = char
                    if char in "\r\n":
                        channel.sendall("\r\n")
                        self._answer(channel, line.strip())
                        line = ""
                    else:
                        channel.sendall(char)
                        line += char
        except (EOFError, OSError, paramiko.SSHException):
            return
        finally:
            transport.close()

    def _answer(self, channel: paramiko.Channel, command: str) -> None:
        if command:
            self.commands.append(command)
        if command and command == self.hang:
            self._stop.wait(30)
            return
        if not command:
            out = ""
        elif command == "screen-length 0 temporary":
            out = "Info: The configuration takes effect on the current user terminal interface " \
                  "only."
        elif (RECORDING / command_file(command)).is_file():
            out = (RECORDING / command_file(command)).read_text(encoding="utf-8").rstrip("\n")
        else:
            out = "              ^\nError: Unrecognized command found at '^' position."
        text = out.replace("\n", "\r\n")
        channel.sendall((text + "\r\n" if text else "") + PROMPT)

    def close(self) -> None:
        self._stop.set()
        for transport in self._transports:
            transport.close()
        self.server.close()
        for thread in self._threads:
            thread.join(5)


@pytest.fixture(scope="module")
def vrp() -> Iterator[FakeVrp]:
    server = FakeVrp()
    try:
        yield server
    finally:
        server.close()


def _device(port: int, ident: str = "zwww-east-agg01") -> Device:
    return Device.model_validate({
        "id": ident, "role": "switch", "platform": "huawei_vrp", "zone": "outer",
        "mgmt": "127.0.0.1",
        "credentials": {"username": "egovops", "password": {"env": "VRP_PW"}, "port": port}})


OPTIONS = RunOptions(workers=4, timeouts=Timeouts(connect=5.0, command=10.0), retries=0)


def test_collects_a_vrp_cli_over_ssh_like_its_recording(vrp: FakeVrp) -> None:
    run = collect_devices([_device(vrp.port)], site="t", root=Path("."),
                          environ={"VRP_PW": PASSWORD}, options=OPTIONS)
    (result,) = run.results
    assert result.ok, result
    assert result.collector == "netmiko:huawei_vrp"
    facts = result.facts
    assert facts is not None and not facts.warnings, facts
    assert facts.facts.hostname == "ZWWW-EAST-AGG01"
    assert facts.facts.serial_number == "2102351931P0K8001847"
    assert len(facts.interfaces) == 61
    assert {n.remote_system_name for n in facts.lldp} >= {"ZWWW-CORE01", "ZWWW-CZJ-ACC01"}
    assert facts.configs["running"].startswith("!Software Version V200R011C10SPC600")
    assert "screen-length 0 temporary" in vrp.commands


def test_wrong_password_is_an_auth_failure(vrp: FakeVrp) -> None:
    run = collect_devices([_device(vrp.port)], site="t", root=Path("."),
                          environ={"VRP_PW": "wrong-Pass-1"}, options=OPTIONS)
    (result,) = run.results
    assert result.error_kind == "auth", result
    assert "wrong-Pass-1" not in result.error


def test_a_command_that_never_answers_is_cut_at_the_deadline(vrp: FakeVrp) -> None:
    vrp.hang = "display current-configuration"
    try:
        options = RunOptions(workers=2, timeouts=Timeouts(connect=5.0, command=30.0),
                             retries=0, deadline=4.0)
        start = time.monotonic()
        run = collect_devices([_device(vrp.port, "hung"), _device(vrp.port, "other")],
                              site="t", root=Path("."), environ={"VRP_PW": PASSWORD},
                              options=options)
        took = time.monotonic() - start
    finally:
        vrp.hang = None
    assert all(r.error_kind == "timeout" for r in run.results), run.results
    assert took < 8, took


def test_the_fake_server_refuses_strangers() -> None:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = collect_devices([_device(port)], site="t", root=Path("."),
                          environ={"VRP_PW": PASSWORD},
                          options=RunOptions(retries=0, timeouts=Timeouts(connect=1.0)))
    assert run.results[0].error_kind == "unreachable"
