"""Benchmark: the native VST3 reader on Debian's zam-plugins, against pedalboard and against the floor.

All figures come from the same run, on one warm pool (one worker per core;
the pool's own start-up is measured by bench_pool_overhead.py, not here), each
variant scanned `--repeat` times in turn and its median kept:

- native full scan vs today's pedalboard path (`vst3.py`'s fallback, which every
  bundle took before): target ratio ≥ 1 (no slower);
- metadata-only (factory class info, nothing instantiated) vs full: target ≥ 10×;
- the floor: what the plugins themselves cost. Each bundle is instantiated in a
  fresh process the way any host must (dlopen, module entry, factory, component
  and controller created and initialized, then released); floor = sum of those
  times ÷ cores. Target: full scan ≤ 2× the floor.

    python benchmarks/bench_vst3_native.py [--root /usr/lib/vst3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scanbench

from pluginary.core.interfaces import ScanSettings
from pluginary.core.models import Plugin, PluginFile
from pluginary.formats import vst3
from pluginary.formats import vst3_abi as abi
from pluginary.scanning.pool import ScanJob, WorkerPool

PEDALBOARD_NOT_SLOWER = 1.0
METADATA_SPEEDUP = 10.0
FLOOR_RATIO = 2.0


class PedalboardVST3(vst3.VST3Format):
    """Today's pedalboard path as a format the workers can load by name (`bench_vst3_native:PedalboardVST3`)."""

    name: ClassVar[str] = "vst3"

    def scan(self, bundle: Path, settings: ScanSettings) -> list[Plugin]:
        return vst3._scan_with_pedalboard(bundle, settings, vst3._moduleinfo(bundle), {})


def instantiate(binary: Path) -> float:
    """Seconds a host spends making every audio module class of `binary` exist, and giving it back."""
    host = abi.HostApplication()
    started = time.perf_counter()
    library = ctypes.CDLL(str(binary))
    library.ModuleEntry.restype = ctypes.c_bool
    library.ModuleEntry.argtypes = [ctypes.c_void_p]
    library.ModuleEntry(library._handle)
    library.GetPluginFactory.restype = ctypes.c_void_p
    factory = abi.Ref(library.GetPluginFactory(), abi.PluginFactoryVtbl)
    for index in range(factory.v.countClasses(factory.address)):
        info = abi.PClassInfo()
        factory.v.getClassInfo(factory.address, index, ctypes.byref(info))
        if abi.text(info.category, 32) != abi.AUDIO_MODULE_CLASS:
            continue
        component = abi.Ref(_create(factory, bytes(info.cid), abi.IID_COMPONENT), abi.ComponentVtbl)
        component.v.initialize(component.address, host.address)
        controller = component.query(abi.IID_EDIT_CONTROLLER, abi.PluginBaseVtbl)
        if controller is None:  # a controller class of its own: create and initialize it too
            named = abi.TUID()
            component.v.getControllerClassId(component.address, ctypes.byref(named))
            controller = abi.Ref(_create(factory, bytes(named), abi.IID_EDIT_CONTROLLER), abi.PluginBaseVtbl)
            controller.v.initialize(controller.address, host.address)
            controller.v.terminate(controller.address)
        controller.release()
        component.v.terminate(component.address)
        component.release()
    factory.release()
    library.ModuleExit()
    return time.perf_counter() - started


def _create(factory: abi.Ref[abi.PluginFactoryVtbl], cid: bytes, interface: bytes) -> int:
    out = ctypes.c_void_p()
    factory.v.createInstance(factory.address, cid, interface, ctypes.byref(out))
    if not out.value:
        raise RuntimeError(f"the factory creates no instance of {abi.cid_string(cid)}")
    return out.value


INSTANTIATE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from bench_vst3_native import instantiate
print(json.dumps(instantiate(Path(sys.argv[1]))))
"""


def floor_seconds(bundles: list[Path]) -> dict[str, float]:
    """Each bundle's own instantiation time, measured in a fresh process (as a worker meets it)."""
    here = str(Path(__file__).resolve().parent)
    times = {}
    for bundle in bundles:
        (binary,) = vst3.binary_files(bundle)
        done = subprocess.run(
            [sys.executable, "-c", INSTANTIATE, str(binary), here], capture_output=True, text=True, check=True
        )
        times[bundle.stem] = float(done.stdout.strip().splitlines()[-1])
    return times


def timed_scan(pool: WorkerPool, bundles: list[Path], fmt: str, settings: ScanSettings) -> tuple[float, int, int]:
    """(seconds, plugins, failures) of one scan of `bundles` through the running pool."""
    jobs = [ScanJob(PluginFile(str(b), fmt, 0, 0, b.name), fmt, settings, 60.0) for b in bundles]
    started = time.perf_counter()
    results = list(pool.run(jobs))
    return (
        time.perf_counter() - started,
        sum(len(r.plugins) for r in results),
        sum(r.failure is not None for r in results),
    )


def verdict(label: str, baseline: str, ratio: float, target: str, ok: bool) -> bool:
    print(f"{label}: baseline {baseline}; ratio {ratio:.2f}; target {target}: {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("/usr/lib/vst3"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bundles = sorted(args.root.glob("Za*.vst3"))
    if not bundles:
        print(f"no zam-plugins VST3 bundles in {args.root}: apt-get install zam-plugins")
        return 2
    cores = os.cpu_count() or 1
    print(f"{len(bundles)} bundles in {args.root}; {cores} cores; load average {scanbench.load_average()}")

    variants: dict[str, Callable[[WorkerPool], tuple[float, int, int]]] = {
        "pedalboard": lambda pool: timed_scan(pool, bundles, "bench_vst3_native:PedalboardVST3", ScanSettings()),
        "native full": lambda pool: timed_scan(pool, bundles, "vst3", ScanSettings()),
        "native metadata-only": lambda pool: timed_scan(pool, bundles, "vst3", ScanSettings(metadata_only=True)),
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    with WorkerPool(cores) as pool:
        variants["native metadata-only"](pool)  # warm-up: workers started, files in the page cache
        for _ in range(args.repeat):
            for name, run in variants.items():
                wall, plugins, failed = run(pool)
                seconds[name].append(wall)
                print(f"  {name}: {wall:.3f} s, {plugins} plugins, {failed} failed")
    median = {name: statistics.median(values) for name, values in seconds.items()}
    own = floor_seconds(bundles)
    floor = sum(own.values()) / cores
    slowest = max(own, key=own.__getitem__)
    print(f"plugins' own instantiation: {sum(own.values()):.3f} s in all, slowest {slowest} {own[slowest]:.3f} s")
    # No schedule beats the slowest plugin: with one plugin this dominant the floor itself is out of reach.
    critical = max(floor, own[slowest])
    print(
        f"floor {floor:.3f} s; counting the slowest plugin as a lower bound: {critical:.3f} s "
        f"(full scan ÷ that: {median['native full'] / critical:.2f})"
    )

    full = median["native full"]
    met = [
        verdict(
            "native full vs pedalboard",
            f"pedalboard {median['pedalboard']:.3f} s, native {full:.3f} s",
            median["pedalboard"] / full,
            f"≥ {PEDALBOARD_NOT_SLOWER:g}",
            median["pedalboard"] / full >= PEDALBOARD_NOT_SLOWER,
        ),
        verdict(
            "metadata-only vs full",
            f"full {full:.3f} s, metadata-only {median['native metadata-only']:.3f} s",
            full / median["native metadata-only"],
            f"≥ {METADATA_SPEEDUP:g}",
            full / median["native metadata-only"] >= METADATA_SPEEDUP,
        ),
        verdict(
            "full scan vs floor",
            f"floor {floor:.3f} s (sum ÷ {cores} cores), full {full:.3f} s",
            full / floor,
            f"≤ {FLOOR_RATIO:g}",
            full / floor <= FLOOR_RATIO,
        ),
    ]
    print(json.dumps({"median_seconds": median, "floor_seconds": floor, "own_seconds": own}, indent=1))
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
