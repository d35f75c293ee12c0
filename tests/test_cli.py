"""`fountain --help` names every sub-command on one line each, as a user reads it in a terminal."""

from __future__ import annotations

import re

from .conftest import run_fountain

COMMANDS = ["generate", "implement", "check-bundle", "dev", "images", "prepare", "deploy", "rollback", "status"]


def test_help_lists_every_sub_command_on_one_line(tmp_path):
    result = run_fountain("--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("  COMMAND") + 1
    listed = lines[start : start + len(COMMANDS)]
    assert [line.split()[0] for line in listed] == COMMANDS
    for line in listed:
        assert re.fullmatch(r"    \S+ +\S.*", line), line  # name and description on the same line
    assert lines[start + len(COMMANDS)] == ""  # no wrapped continuation lines
