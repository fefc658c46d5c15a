"""The `pluginary` command: thin commands over library functions.

Heavy modules (pedalboard, storage, RDF, rich tables) are imported inside the
commands that need them, so `pluginary --help`, `plugins` and `pipelines`
start fast. A PluginaryError becomes one line on stderr and its exit code:
2 for usage and pipeline errors, 3 for a failed stage; 130 after Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pluginary import __version__
from pluginary.cli.catalog_commands import register as register_catalog_commands
from pluginary.core.errors import PluginaryError

app = typer.Typer(
    name="pluginary",
    help="Find, safely scan, catalogue and export every audio plugin on this machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Show the effective settings and where each comes from.", no_args_is_help=True)
app.add_typer(config_app, name="config")

EXIT_STAGE_FAILED = 3
EXIT_INTERRUPTED = 130

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override one stage option, e.g. scan.timeout=60 (repeatable)."),
]
CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="PLUGINARY_CATALOG", help="The catalogue file (default: user data dir)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the run summary as one JSON object.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit 3 when any plugin failed to scan.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pluginary {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="Show diagnostics (-vv: debug).")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@app.command("run")
def run_command(
    pipeline: Annotated[str, typer.Argument(help="A pipeline file, or the name of a built-in one.")],
    set_: SetOption = None,
    catalog: CatalogOption = None,
    json_: JsonOption = False,
    strict: StrictOption = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what exports would change; write none.")] = False,
) -> None:
    """Run a pipeline: discover → diff → scan → categorize → store → export, as the YAML says."""
    from pluginary.pipeline import loader as pipelines

    loaded = pipelines.load(pipeline, overrides=set_ or [])
    _run_and_report(loaded, catalog=catalog, as_json=json_, strict=strict, dry_run=dry_run)


@app.command("scan")
def scan_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="Scan only these folders or bundles.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Rescan every plugin, changed or not.")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Scan quarantined plugins again.")] = False,
    set_: SetOption = None,
    catalog: CatalogOption = None,
    json_: JsonOption = False,
    strict: StrictOption = False,
) -> None:
    """Bring the catalogue up to date (the built-in `scan` pipeline: no export)."""
    from pluginary.pipeline import loader as pipelines

    overrides = [f"diff.full={str(full).lower()}", f"diff.retry_failed={str(retry_failed).lower()}"]
    if paths:
        listed = ", ".join(json.dumps(str(path.resolve())) for path in paths)
        overrides += [f"discover.extra_paths=[{listed}]", "discover.standard_paths=false"]
    loaded = pipelines.load("scan", overrides=[*overrides, *(set_ or [])])
    _run_and_report(loaded, catalog=catalog, as_json=json_, strict=strict, dry_run=False)


@app.command("export")
def export_command(
    format_: Annotated[str, typer.Argument(metavar="FORMAT", help="An exporter: json, csv, yaml, reaper, …")],
    path: Annotated[Path, typer.Argument(help="Where to write (a file or folder, as the exporter says).")],
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="An exporter option, key=value (repeatable).")
    ] = None,
    catalog: CatalogOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")] = False,
    json_: JsonOption = False,
) -> None:
    """Write one plugin list from the stored catalogue, without scanning."""
    from pluginary.core.options import ExportTarget, Pipeline, StoreOptions
    from pluginary.pipeline.loader import check_exporter
    from pluginary.pipeline.settings import parse_scalar

    check_exporter(format_, where="FORMAT")
    options: dict[str, Any] = {}
    for item in option or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise PluginaryError(f"cannot read --option {item!r}", fix="write it as key=value")
        options[key.strip()] = parse_scalar(raw)
    store = StoreOptions(backend="json" if catalog and catalog.suffix == ".json" else "sqlite")
    target = ExportTarget(format=format_, path=path, dry_run=dry_run, options=options)
    pipeline = Pipeline(name="export", path=Path("<command line>"), stages={"store": store, "export": (target,)})
    _run_and_report(pipeline, catalog=catalog, as_json=json_, strict=False, dry_run=dry_run)


def _run_and_report(pipeline: Any, *, catalog: Path | None, as_json: bool, strict: bool, dry_run: bool) -> None:
    from pluginary.cli.progress import ScanProgress
    from pluginary.pipeline import runner

    progress = ScanProgress()
    observers = [progress] if sys.stderr.isatty() and not as_json else []
    try:
        context = runner.run(pipeline, observers=observers, catalog=catalog, dry_run=dry_run)
    except KeyboardInterrupt:
        progress.stop()
        typer.echo(
            "interrupted: everything scanned so far is stored; run the same command again to resume",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        progress.stop()
    _report(context, as_json=as_json)
    if strict and context.summary.failed:
        raise typer.Exit(EXIT_STAGE_FAILED)


def _report(context: Any, *, as_json: bool) -> None:
    import attrs

    summary = context.summary
    if as_json:
        data = attrs.asdict(summary)
        data["catalog"] = str(context.catalog_path) if context.catalog_path else None
        data["outputs"] = [{"path": str(o.path), "status": o.status} for o in context.outputs]
        typer.echo(json.dumps(data, indent=2))
        return
    for change in context.outputs:
        if change.diff:
            typer.echo(change.diff, nl=not change.diff.endswith("\n"))
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for failure in summary.failures[:20]:
        typer.echo(f"failed: {failure['path']}: {failure['kind']}: {failure['message']}", err=True)
    if len(summary.failures) > 20:
        typer.echo(f"… and {len(summary.failures) - 20} more: see `pluginary failures`", err=True)
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
    typer.echo(f"{summary.pipeline}: " + ", ".join(parts) + f" in {summary.seconds:.2f} s")
    if context.catalog_path:
        typer.echo(f"catalogue: {context.catalog_path}")


@app.command("pipelines")
def pipelines_command() -> None:
    """List the built-in pipelines (usable by name with `pluginary run NAME`)."""
    from pluginary.pipeline.loader import builtin_pipelines, describe

    for name, path in builtin_pipelines().items():
        typer.echo(f"{name:<12} {describe(path)}")


@app.command("plugins")
def plugins_command(
    json_: Annotated[bool, typer.Option("--json", help="One JSON object per extension.")] = False,
) -> None:
    """List installed extensions (read from package metadata; nothing is imported)."""
    import attrs

    from pluginary.pipeline.hooks import installed_extensions

    extensions = installed_extensions()
    if json_:
        typer.echo(json.dumps([attrs.asdict(ext) for ext in extensions], indent=2))
        return
    for ext in extensions:
        state = "  (disabled)" if ext.disabled else ""
        typer.echo(f"{ext.kind:<12} {ext.name:<12} {ext.distribution} {ext.version}  {ext.target}{state}")


@config_app.command("show")
def config_show(
    pipeline: Annotated[str, typer.Argument(help="The pipeline whose settings to show.")] = "full",
    set_: SetOption = None,
) -> None:
    """Print every stage option's effective value and where it came from."""
    from pluginary.core.paths import user_config_dir
    from pluginary.pipeline import loader as pipelines

    loaded = pipelines.load(pipeline, overrides=set_ or [])
    typer.echo(f"# pipeline {loaded.name}: {loaded.path}")
    typer.echo(f"# user config: {user_config_dir() / 'config.yaml'}")
    for stage, option, value, origin in pipelines.effective_settings(loaded):
        typer.echo(f"{stage}.{option} = {json.dumps(value, default=str)}    # {origin}")


@config_app.command("path")
def config_path() -> None:
    """Print the user config file's path (it need not exist)."""
    from pluginary.core.paths import user_config_dir

    typer.echo(user_config_dir() / "config.yaml")


register_catalog_commands(app)


def main() -> None:
    try:
        # Without standalone mode click returns a typer.Exit's code instead of exiting.
        code = app(standalone_mode=False)
    except PluginaryError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(EXIT_INTERRUPTED)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
