"""The `pluginary` command: thin commands over library functions.

Built on click alone: typer 0.2x validates every parameter through pydantic,
which cost `pluginary search` about 200 ms of start-up before it read a row.
Heavy modules (pedalboard, storage, RDF, rich tables) are imported inside the
commands that need them, so `pluginary --help`, `plugins` and `pipelines`
start fast.

`main()` is the one place where a run ends: a PluginaryError or a usage error
becomes one line on stderr and its exit code (2 for usage and pipeline errors,
3 for a failed stage), Ctrl-C exits 130 and SIGTERM 143 after the same
clean-up, and standard output is flushed here so a full disk or a closed pipe
is reported (or, for a pipe, silenced) instead of leaking as interpreter noise.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from pluginary import __version__
from pluginary.cli.catalog_commands import Group, catalog_option
from pluginary.cli.catalog_commands import register as register_catalog_commands
from pluginary.cli.category_commands import register as register_category_commands
from pluginary.cli.fleet_commands import register as register_fleet_commands
from pluginary.cli.preset_commands import presets as presets_command
from pluginary.cli.product_commands import register as register_product_commands
from pluginary.cli.render import safe
from pluginary.cli.serve_command import serve
from pluginary.core.errors import PluginaryError

EXIT_FAILED = 1
EXIT_STAGE_FAILED = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 128 + signal.SIGTERM

log = logging.getLogger(__name__)

set_option = click.option(
    "--set", "set_", multiple=True, metavar="STAGE.OPTION=VALUE", help="Override one stage option (repeatable)."
)
json_option = click.option("--json", "json_", is_flag=True, help="Print the run summary as one JSON object.")
strict_option = click.option("--strict", is_flag=True, help="Exit 3 when any plugin failed to scan.")


@click.group(name="pluginary", cls=Group)
@click.option("--verbose", "-v", count=True, help="Show diagnostics (-vv: debug).")
@click.version_option(__version__, prog_name="pluginary", message="%(prog)s %(version)s", help="Print the version.")
def app(verbose: int) -> None:
    """Find, safely scan, catalogue and export every audio plugin on this machine."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@app.command("run")
@click.argument("pipeline")
@set_option
@catalog_option
@json_option
@strict_option
@click.option("--dry-run", is_flag=True, help="Show what exports would change; write none.")
def run_command(
    pipeline: str, set_: tuple[str, ...], catalog: Path | None, json_: bool, strict: bool, dry_run: bool
) -> None:
    """Run a pipeline: discover → diff → scan → categorize → store → export, as the YAML says.

    PIPELINE is a pipeline file, or the name of a built-in one (`pluginary pipelines`).
    """
    from pluginary.pipeline import loader as pipelines

    loaded = pipelines.load(pipeline, overrides=list(set_))
    _run_and_report(loaded, catalog=catalog, as_json=json_, strict=strict, dry_run=dry_run)


@app.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--full", is_flag=True, help="Rescan every plugin, changed or not.")
@click.option("--retry-failed", is_flag=True, help="Scan quarantined plugins again.")
@set_option
@catalog_option
@json_option
@strict_option
def scan_command(
    paths: tuple[Path, ...],
    full: bool,
    retry_failed: bool,
    set_: tuple[str, ...],
    catalog: Path | None,
    json_: bool,
    strict: bool,
) -> None:
    """Bring the catalogue up to date (the built-in `scan` pipeline: no export).

    With PATHS, scan only these folders or bundles.
    """
    from pluginary.pipeline import loader as pipelines

    overrides = pipelines.scan_overrides(list(paths), full=full, retry_failed=retry_failed)
    loaded = pipelines.load("scan", overrides=[*overrides, *set_])
    _run_and_report(loaded, catalog=catalog, as_json=json_, strict=strict, dry_run=False)


@app.command("export")
@click.argument("format_", metavar="FORMAT")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--option", "-o", multiple=True, metavar="KEY=VALUE", help="An exporter option (repeatable).")
@click.option(
    "--prefer",
    metavar="FORMAT,…",
    help="One entry per product: its plugin in the first of these formats it has (e.g. clap,vst3,au,lv2).",
)
@catalog_option
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@json_option
def export_command(
    format_: str,
    path: Path,
    option: tuple[str, ...],
    prefer: str | None,
    catalog: Path | None,
    dry_run: bool,
    json_: bool,
) -> None:
    """Write one plugin list from the stored catalogue, without scanning.

    FORMAT is an exporter (json, csv, yaml, reaper, …; see `pluginary plugins`);
    PATH is where to write (a file or folder, as the exporter says).
    """
    from pluginary.core.options import ExportTarget, Pipeline
    from pluginary.pipeline.loader import check_component, check_exporter, store_settings
    from pluginary.pipeline.settings import parse_scalar

    check_exporter(format_, where="FORMAT")
    formats = tuple(name.strip().lower() for name in (prefer or "").split(",") if name.strip())
    for name in formats:
        check_component("format", name, where="--prefer")
    options: dict[str, Any] = {}
    for item in option:
        key, sep, raw = item.partition("=")
        if not sep:
            raise PluginaryError(f"cannot read --option {item!r}", fix="write it as key=value")
        options[key.strip()] = parse_scalar(raw)
    store = store_settings()  # the config file's store.path and backend, as `scan` uses them
    target = ExportTarget(format=format_, path=path, dry_run=dry_run, options=options, prefer=formats)
    pipeline = Pipeline(name="export", path=Path("<command line>"), stages={"store": store, "export": (target,)})
    _run_and_report(pipeline, catalog=catalog, as_json=json_, strict=False, dry_run=dry_run)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C's KeyboardInterrupt would be so the very same clean-up runs:
    workers killed, their files journaled as cancelled (not suspect), finished batches kept."""


def _terminate(_signum: int, _frame: FrameType | None) -> None:
    # A second SIGTERM during the clean-up ends the process at once, as the sender insists.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise _Terminated


def _run_and_report(pipeline: Any, *, catalog: Path | None, as_json: bool, strict: bool, dry_run: bool) -> None:
    from pluginary.cli.progress import ScanProgress
    from pluginary.pipeline import runner

    progress = ScanProgress()
    observers = [progress] if sys.stderr.isatty() and not as_json else []
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        context = runner.run(pipeline, observers=observers, catalog=catalog, dry_run=dry_run)
    except KeyboardInterrupt as exc:
        progress.stop()
        terminated = isinstance(exc, _Terminated)
        click.echo(
            f"{'terminated' if terminated else 'interrupted'}: everything scanned so far is stored; "
            "run the same command again to resume",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        progress.stop()
    _report(context, as_json=as_json)
    if strict and context.summary.failed:
        raise click.exceptions.Exit(EXIT_STAGE_FAILED)


def _report(context: Any, *, as_json: bool) -> None:
    import attrs

    summary = context.summary
    if as_json:
        data = attrs.asdict(summary)
        data["catalog"] = str(context.catalog_path) if context.catalog_path else None
        data["outputs"] = [{"path": str(o.path), "status": o.status} for o in context.outputs]
        click.echo(json.dumps(data, indent=2))
        return
    for change in context.outputs:
        if change.diff:
            click.echo(change.diff, nl=not change.diff.endswith("\n"))
    for warning in summary.warnings:
        click.echo(f"warning: {safe(warning)}", err=True)
    for failure in summary.failures[:20]:
        click.echo(f"failed: {safe(failure['path'])}: {failure['kind']}: {safe(failure['message'])}", err=True)
    if len(summary.failures) > 20:
        click.echo(f"… and {len(summary.failures) - 20} more: see `pluginary failures`", err=True)
    parts = [
        f"{summary.found} found",
        f"{summary.new} new",
        f"{summary.changed} changed",
        f"{summary.removed} removed",
        f"{summary.scanned} scanned ({summary.plugins} plugins)",
        f"{summary.failed} failed",
        f"{summary.quarantined} quarantined",
        f"{summary.stored} stored",
        f"{summary.exported} exported",
    ]
    click.echo(f"{summary.pipeline}: " + ", ".join(parts) + f" in {summary.seconds:.2f} s")
    if context.catalog_path:
        click.echo(f"catalogue: {context.catalog_path}")


@app.command("pipelines")
def pipelines_command() -> None:
    """List the built-in pipelines (usable by name with `pluginary run NAME`)."""
    from pluginary.pipeline.loader import builtin_pipelines, describe

    for name, path in builtin_pipelines().items():
        click.echo(f"{name:<12} {describe(path)}")


@app.command("plugins")
@click.option("--json", "json_", is_flag=True, help="One JSON object per extension.")
def plugins_command(json_: bool) -> None:
    """List installed extensions (read from package metadata; nothing is imported)."""
    import attrs

    from pluginary.pipeline.hooks import installed_extensions

    extensions = installed_extensions()
    if json_:
        click.echo(json.dumps([attrs.asdict(ext) for ext in extensions], indent=2))
        return
    for ext in extensions:
        state = "  (disabled)" if ext.disabled else ""
        click.echo(f"{ext.kind:<12} {ext.name:<12} {ext.distribution} {ext.version}  {ext.target}{state}")


@app.group("config")
def config_app() -> None:
    """Show the effective settings and where each comes from."""


@config_app.command("show")
@click.argument("pipeline", default="full")
@set_option
def config_show(pipeline: str, set_: tuple[str, ...]) -> None:
    """Print every stage option's effective value and where it came from (PIPELINE: default full)."""
    from pluginary.core.paths import user_config_dir
    from pluginary.pipeline import loader as pipelines

    loaded = pipelines.load(pipeline, overrides=list(set_))
    click.echo(f"# pipeline {loaded.name}: {loaded.path}")
    click.echo(f"# user config: {user_config_dir() / 'config.yaml'}")
    from pluginary.core.fleet import scrub_urls

    for stage, option, value, origin in pipelines.effective_settings(loaded):
        # A database URL's password (store.url) is shown as ***.
        click.echo(scrub_urls(f"{stage}.{option} = {json.dumps(value, default=str)}    # {origin}"))


@config_app.command("path")
def config_path() -> None:
    """Print the user config file's path (it need not exist)."""
    from pluginary.core.paths import user_config_dir

    click.echo(user_config_dir() / "config.yaml")


register_catalog_commands(app)
register_fleet_commands(app)
register_product_commands(app)
register_category_commands(app)
from pluginary.cli.project_command import project as project_command  # noqa: E402  (kept beside its registration)

app.add_command(project_command)
app.add_command(presets_command)
app.add_command(serve)


def main(args: Sequence[str] | None = None) -> NoReturn:
    """The `pluginary` entry point (`args` default to the command line's)."""
    sys.exit(_main(args))


def _main(args: Sequence[str] | None) -> int:
    """Run the app; every way a run can end becomes an exit code and at most one line on stderr."""
    try:
        # Without standalone mode click returns an Exit's code and raises usage errors to us.
        code = app.main(args=args, prog_name="pluginary", standalone_mode=False)
        sys.stdout.flush()  # here, so a full disk or closed pipe is ours to report, not the interpreter's
    except PluginaryError as exc:
        return _fail(str(exc), exc.exit_code)
    except click.ClickException as exc:
        return _fail(_usage(exc), exc.exit_code)
    except click.Abort:  # click's form of Ctrl-C outside a run
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.filename is None and exc.errno not in _OUTPUT_ERRNOS:
            raise  # not the system refusing a file or our output: a bug, keep its traceback
        return _os_error(exc)
    return code if isinstance(code, int) else 0


def _fail(message: str, code: int) -> int:
    click.echo(f"error: {safe(message)}", err=True)
    return code


def _usage(exc: click.ClickException) -> str:
    """A usage error in one line: which command, what is wrong, where the help is."""
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return " ".join(exc.format_message().split())
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # a bare group: its message is the whole help
        what = f"name a command: {', '.join(ctx.command.list_commands(ctx))}"
    else:
        what = " ".join(exc.format_message().split()).rstrip(".")
    return f"{ctx.command_path}: {what} — see `{ctx.command_path} --help`"


#: How writing standard output fails: a closed pipe, a full disk or quota, a file too big, a dead device.
_OUTPUT_ERRNOS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _os_error(exc: OSError) -> int:
    """What the system refused, in one line (the traceback with -v). A write with no file named
    is standard output's: a closed pipe (`pluginary list | head -1`) ends quietly, a full disk says so."""
    log.info("the system refused", exc_info=True)
    if exc.filename is None:
        _discard_stdout()
        if exc.errno == errno.EPIPE:
            return EXIT_FAILED
        return _fail(f"cannot write standard output: {exc.strerror} — free space or write elsewhere", EXIT_FAILED)
    denied = exc.errno in (errno.EACCES, errno.EPERM)
    fix = "check its permissions and those of the folders above it" if denied else "run with -v for details"
    return _fail(f"{exc.filename}: {exc.strerror} — {fix}", EXIT_FAILED)


def _discard_stdout() -> None:
    # What is still buffered would fail again when the interpreter flushes it at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    main()
