"""Every usage error is one line on stderr and exit 2, for every command the app has, now and later.

The cases are derived from the real click command tree, so a command added later is
covered without touching this file: an unknown option, each missing required argument,
an extra argument, an option without its value, and a bad value for each typed option
(whole numbers, choices, paths that must exist). Every case runs in-process through
`main()` (the entry point's own code: fast), and one case per command also runs as a
real `python -m pluginary` process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import click
import pytest

from pluginary.cli.app import app, main

REPO = Path(__file__).resolve().parents[1]


def commands(group: click.Group = app, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under `group`, with the words that invoke it."""
    yield path, group
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def _bad_value(param: click.Parameter) -> str | None:
    if isinstance(param.type, click.types.IntParamType):
        return "x"
    if isinstance(param.type, click.Choice):
        return "no-such-choice"
    if isinstance(param.type, click.Path) and param.type.exists:
        return "/no/such/path"
    return None


class Case(NamedTuple):
    what: str
    command: tuple[str, ...]  # the words that name the command
    args: list[str]


def usage_cases() -> Iterator[Case]:
    """What each case tries, on which command, with which arguments: every one a usage error."""
    for path, command in commands():
        words = list(path)
        yield Case("unknown option", path, [*words, "--no-such-option"])
        if isinstance(command, click.Group):
            yield Case("no command", path, words)
            yield Case("unknown command", path, [*words, "no-such-command"])
            continue
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        required = ["x" for p in arguments if p.required]
        for given in range(len(required)):
            yield Case(f"missing argument {given + 1}", path, [*words, *required[:given]])
        if all(p.nargs != -1 for p in arguments):
            yield Case("extra argument", path, [*words, *("x" for _ in arguments), "extra"])
        for param in command.params:
            bad = _bad_value(param)
            if isinstance(param, click.Option) and param.is_flag and param.opts[0].startswith("--"):
                yield Case(f"{param.opts[0]} given a value", path, [*words, *required, f"{param.opts[0]}=x"])
            elif isinstance(param, click.Option) and not param.count:
                yield Case(f"{param.opts[0]} without its value", path, [*words, *required, param.opts[0]])
                if bad is not None:
                    yield Case(f"{param.opts[0]} {bad}", path, [*words, *required, param.opts[0], bad])
            elif isinstance(param, click.Argument) and bad is not None:
                yield Case(f"{param.name} {bad}", path, [*words, bad])


CASES = list(usage_cases())


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No case may reach the user's own folders, even if one stopped being a usage error."""
    env = {"PLUGINARY_DATA_DIR": str(tmp_path / "data"), "PLUGINARY_CONFIG_DIR": str(tmp_path / "config")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLUGINARY_CATALOG", raising=False)
    return {**os.environ, **env}


def assert_usage_error(case: Case, code: object, stdout: str, stderr: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming the command and pointing at its help."""
    command = " ".join(("pluginary", *case.command))
    assert (code, stdout) == (2, ""), (case, stdout, stderr)
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, (case, stderr)
    assert stderr.startswith(f"error: {command}: "), (case, stderr)
    assert stderr.endswith(f" — see `{command} --help`\n"), (case, stderr)


def test_the_walk_covers_every_command_and_kind_of_case() -> None:
    named = {" ".join(path) for path, _ in commands()}
    assert {"", "run", "scan", "export", "list", "search", "info", "tag", "db", "db backup", "config show"} <= named
    tried = {(" ".join(case.command), case.what) for case in CASES}
    assert {
        ("", "no command"), ("db", "unknown command"), ("list", "extra argument"), ("export", "missing argument 2"),
        ("list", "--limit x"), ("list", "--limit without its value"), ("list", "--output no-such-choice"),
        ("scan", "paths /no/such/path"), ("tag", "missing argument 2"), ("db backup", "unknown option"),
        ("scan", "--full given a value"),
    } <= tried  # fmt: skip
    assert {case.command for case in CASES} == {path for path, _ in commands()}


@pytest.mark.parametrize("case", CASES, ids=[f"{' '.join(c.command) or '-'}: {c.what}" for c in CASES])
def test_a_usage_error_through_main(case: Case, isolated: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(case.args)
    captured = capsys.readouterr()
    assert_usage_error(case, ended.value.code, captured.out, captured.err)


def run_all(argvs: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Real `python -m pluginary` processes, started together (each pays the interpreter's start-up)."""
    running = [
        subprocess.Popen([sys.executable, "-m", "pluginary", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
        for argv in argvs
    ]  # fmt: skip
    done = []
    for argv, process in zip(argvs, running, strict=True):
        out, err = process.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(argv, process.returncode, out, err))
    return done


@pytest.mark.slow
def test_one_usage_error_per_command_through_the_real_entry_point(isolated: dict[str, str]) -> None:
    # The walk's first case of every command, and the ones a newcomer meets first.
    firsts = {case.command: case for case in reversed(CASES)}
    met_first: tuple[list[str], ...] = (
        ["--no-such-option"],
        ["list", "--no-such-option"],
        ["export"],
        ["info"],
        [],
        ["list", "--limit", "x"],
    )
    newcomer = [case for case in CASES if case.args in met_first]
    cases = [*firsts.values(), *newcomer]
    assert len(newcomer) == 6
    for case, done in zip(cases, run_all([case.args for case in cases], isolated), strict=True):
        assert_usage_error(case, done.returncode, done.stdout, done.stderr)
