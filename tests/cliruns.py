"""Running ``bayesgrowth`` commands in-process through ``main()``, as a user's shell would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bayesgrowth.cli import main


def run_main(*args: str | Path, monkeypatch, capsys) -> subprocess.CompletedProcess:
    """``bayesgrowth.cli.main()`` in this process, with ``sys.argv`` set: cheaper than a process."""
    monkeypatch.setattr(sys, "argv", ["bayesgrowth", *map(str, args)])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(sys.argv, code, out, err)


def assert_one_line_error(proc: subprocess.CompletedProcess, *parts: str) -> str:
    """Assert the command failed with exit code 1 and one ``error:`` line holding every part."""
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for part in parts:
        assert part in lines[0]
    return lines[0]
