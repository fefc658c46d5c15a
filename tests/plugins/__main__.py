"""Command line: `python -m tests.plugins make DIR --count N --seed S [...]` writes test bundles for benchmarks."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tests.plugins import TestPluginError, build_library, default_cache_dir
from tests.plugins.generator import EXPECTED_NAME, GeneratorOptions, make_plugins


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.plugins", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("make", help="write N generated VST3 bundles and DIR/expected.json")
    make.add_argument("directory", type=Path, metavar="DIR")
    make.add_argument("--count", type=int, required=True, help="number of bundles")
    make.add_argument("--seed", type=int, default=0, help="same seed, same bundles (default 0)")
    for kind, what in (
        ("crash", "segfault, abort or exit() while loading"),
        ("hang", "hang forever while loading"),
        ("slow", "sleep --slow-ms while loading"),
        ("leak", "allocate and keep --leak-mb while loading"),
        ("noisy", "write garbage to stdout and stderr while loading"),
        ("shell", "hold 2-4 plugins in one bundle"),
        ("moduleinfo", "carry a moduleinfo.json"),
    ):
        make.add_argument(
            f"--{kind}-fraction", type=float, default=0.0, metavar="F", help=f"share of bundles that {what}"
        )
    make.add_argument("--instrument-fraction", type=float, default=0.2, metavar="F", help="share of instruments (0.2)")
    make.add_argument("--min-params", type=int, default=5, help="fewest parameters per plugin (5)")
    make.add_argument(
        "--max-params", type=int, default=60, help="most parameters per plugin (60); each costs pedalboard ~4 ms"
    )
    make.add_argument("--slow-ms", type=int, default=200)
    make.add_argument("--leak-mb", type=int, default=32)
    make.add_argument(
        "--link",
        choices=("copy", "hardlink", "symlink"),
        default="copy",
        help="how bundles get the library; hard links share an inode, so load one per process",
    )
    make.add_argument("--library", type=Path, help="a compiled test plugin library (default: build or reuse one)")
    make.add_argument("--cache-dir", type=Path, default=None, help="where the library is built (default: user cache)")
    make.add_argument("--clean", action="store_true", help="first delete DIR's *.vst3 bundles and expected.json")
    return parser


def _clean(directory: Path) -> None:
    for bundle in directory.glob("*.vst3"):
        shutil.rmtree(bundle)
    (directory / EXPECTED_NAME).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.clean and args.directory.is_dir():
        _clean(args.directory)
    if args.directory.is_dir() and any(args.directory.glob("*.vst3")):
        print(f"error: {args.directory} already holds bundles; pass --clean to replace them", file=sys.stderr)
        return 2
    options = GeneratorOptions(
        count=args.count,
        seed=args.seed,
        crash_fraction=args.crash_fraction,
        hang_fraction=args.hang_fraction,
        slow_fraction=args.slow_fraction,
        leak_fraction=args.leak_fraction,
        noisy_fraction=args.noisy_fraction,
        shell_fraction=args.shell_fraction,
        moduleinfo_fraction=args.moduleinfo_fraction,
        instrument_fraction=args.instrument_fraction,
        slow_ms=args.slow_ms,
        min_params=args.min_params,
        max_params=args.max_params,
        leak_mb=args.leak_mb,
    )
    try:
        library = args.library or build_library(args.cache_dir or default_cache_dir())
    except TestPluginError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    expected = make_plugins(args.directory, library, options, link=args.link)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{key} {value}" for key, value in expected["summary"].items())
    print(
        f"made {expected['count']} bundles in {args.directory} in {elapsed:.1f} s ({summary}); "
        f"expected results in {args.directory / EXPECTED_NAME}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
