"""Playbook benchmark: ``egovops playbook run backup-configs`` against plain ``ansible-playbook``.

Run from the repository root, as root (the lab uses network namespaces)::

    .venv/bin/python bench/playbooks.py [--repeat 3] [--forks 16]

It copies ``inventories/example-lab`` into a temporary folder under its own site id (namespaces
``egv-egvpbbench-…``), builds its lab, and runs ``backup-configs`` over the lab's 15 hosts two
ways, alternating, after one warm-up run of each (so both measure the steady state: files
unchanged, no commit):

1. ``egovops``: :func:`egovops.playbooks.run_playbook` — the whole wrapper: inventory written
   from the model (vault, known_hosts), ansible's own pattern matching for the targets,
   ansible-runner (pexpect, event callback, artifacts), the per-host fold;
2. ``plain``: ``ansible-playbook`` started with :mod:`subprocess` on the *same* inventory file,
   the same environment (the curated one the wrapper gives ansible, SSH control sockets
   included), the same extra vars and forks, output discarded.

Each timing is wall time from the call to the result. It prints the medians, the wrapper's
overhead (egovops / plain - 1) and PASS/MISS against the target (<= 10 %), removes the lab and
the folder, and always exits 0: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from egovops.lab import lab_down, lab_up, plan_lab  # noqa: E402
from egovops.load import load_inventory  # noqa: E402
from egovops.playbooks import RunOptions, find_playbook, run_playbook  # noqa: E402
from egovops.playbooks.hostkeys import resolve_known_hosts  # noqa: E402
from egovops.playbooks.inventory import write_run_inventory  # noqa: E402
from egovops.playbooks.runner import ansible_playbook, curated_env  # noqa: E402

SITE = os.environ.get("EGOVOPS_BENCH_SITE", "egvpbbench")
TARGET = 0.10


def plain_run(work: Path, site: Path, book: Path, forks: int) -> float:
    """One ``ansible-playbook`` run on the wrapper's inventory and environment."""
    inv = load_inventory(site)
    private = Path(tempfile.mkdtemp(prefix="egvpb-plain-", dir="/tmp"))
    for sub in ("home", "ansible", "tmp", "cp"):
        (private / sub).mkdir()
    try:
        known = resolve_known_hosts(inv, None, private)
        run_inv = write_run_inventory(inv, private, known, os.environ)
        binary = ansible_playbook()
        env = curated_env(private, private / "cp", binary)
        extra = (f'{{"egovops_site": "{inv.site.id}", "egovops_backup_dir": '
                 f'"{work / "plain-backups" / inv.site.id}", "egovops_work_dir": '
                 f'"{private / "tmp"}", "egovops_python": "{sys.executable}"}}')
        start = time.perf_counter()
        proc = subprocess.run([str(binary), "-i", str(run_inv.path), "--forks", str(forks),
                               "-e", extra, str(book)], env=env, cwd=book.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            print(f"plain ansible-playbook exited {proc.returncode}: {proc.stderr[-500:]!r}")
        return seconds
    finally:
        for sock in (private / "cp").iterdir():
            subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "x"],
                           capture_output=True, check=False)
        shutil.rmtree(private, ignore_errors=True)


def egovops_run(work: Path, site: Path, forks: int) -> float:
    """One run through the wrapper."""
    inv = load_inventory(site)
    options = RunOptions(artifact_dir=work / "artifacts", backup_dir=work / "backups",
                         forks=forks)
    start = time.perf_counter()
    run = run_playbook(find_playbook("backup-configs"), inv, options, os.environ)
    seconds = time.perf_counter() - start
    if run.exit_code:
        print(f"egovops run exited {run.exit_code}: "
              f"{ {h: r.status.value for h, r in run.hosts.items()} }")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--forks", type=int, default=16)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/playbooks.py needs root (the lab's network namespaces)")
        return 0
    work = Path(tempfile.mkdtemp(prefix="egovops-bench-pb-"))
    site = work / "site"
    shutil.copytree(REPO / "inventories" / "example-lab", site,
                    ignore=shutil.ignore_patterns(".lab"))
    text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(text.replace("\n  id: lab\n", f"\n  id: {SITE}\n", 1),
                                    encoding="utf-8")
    plan = plan_lab(load_inventory(site))
    book = find_playbook("backup-configs").path
    try:
        lab_down(SITE, plan.state_dir)
        lab_up(plan)
        hosts = len(plan.nodes)
        egovops_run(work, site, args.forks)  # warm-up: first commit
        plain_run(work, site, book, args.forks)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(egovops_run(work, site, args.forks))
            theirs.append(plain_run(work, site, book, args.forks))
        mine, base = statistics.median(ours), statistics.median(theirs)
        overhead = mine / base - 1
        print(f"backup-configs over {hosts} lab hosts, forks {args.forks}, "
              f"{args.repeat} alternating runs after one warm-up each")
        print(f"  egovops playbook run : median {mine:6.2f} s  "
              f"({', '.join(f'{s:.2f}' for s in ours)})")
        print(f"  plain ansible-playbook: median {base:6.2f} s  "
              f"({', '.join(f'{s:.2f}' for s in theirs)})")
        print(f"  ratio {mine / base:.3f}, wrapper overhead {overhead * 100:+.1f} % "
              f"(target <= {TARGET * 100:.0f} %): {'PASS' if overhead <= TARGET else 'MISS'}")
    finally:
        lab_down(SITE, plan.state_dir)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
