"""Shared fixtures: paths to shipped inventories, a YAML site writer, and tool requirements."""

from __future__ import annotations

import os
import shutil
import socket
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
EXAMPLE = REPO / "inventories" / "example-district"
MINI = DATA / "inventories" / "mini"


def require_tool(name: str) -> str:
    """Path of an external program; skip when absent, unless the test script installed tools.

    ``scripts/test`` sets ``EGOVOPS_REQUIRE_TOOLS=1`` after installing the Debian packages, so in
    CI a missing tool fails the test instead of skipping it.
    """
    path = shutil.which(name)
    if path is None:
        if os.environ.get("EGOVOPS_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is required (scripts/test installs it) but is not on PATH")
        pytest.skip(f"{name} not installed")
    return path


@pytest.fixture
def write_site(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{filename: yaml_text}`` into a fresh site folder and return its path."""

    def write(files: dict[str, str], name: str = "site") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for filename, text in files.items():
            target = root / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return root

    return write


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A loopback TCP server that accepts connections and never says a word (a hung device)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``run("inventory", "validate", PATH)`` → (exit code, stdout, stderr) of the CLI in
    English; tests that need more set-up (the PKI's) define their own."""
    from egovops.cli.main import main

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(["--lang", "en", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
