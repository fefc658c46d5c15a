"""Real VST3 test plugins: one small C library, any number of distinct bundles.

`vst3_test_plugin.c` is a genuine VST3 module (no SDK). It is compiled once per
source/flags/compiler (`build_library`, cached by hash) and every bundle made by
`make_bundle` carries its own copy of that `.so` plus a resource file that says
what the bundle is. The C side reads that file at load time, so one build yields
thousands of plugins with their own names, vendors, categories, parameters and
misbehaviour (crashes, hangs, leaks, noisy output).

Bundle layout (Linux)::

    Name.vst3/Contents/<uname -m>-linux/Name.so    the compiled library (copied)
    Name.vst3/Contents/Resources/pluginary-test.conf
    Name.vst3/Contents/Resources/moduleinfo.json   only if BundleSpec.moduleinfo

Resource file format (`pluginary-test.conf`): UTF-8 text, one `key=value` per
line, the value running to the end of the line (no quoting, no escapes); blank
lines and lines starting with `#` are ignored. Section lines switch what the
keys describe: `[module]` (factory: `vendor`, `url`, `email`), `[class]` (starts
the next plugin class: `cid` 32 hex digits, `name`, `vendor`, `version`,
`subcategories`, `sdk_version`, `instrument`, `audio_in`, `audio_out`,
`aux_in` (channels of a side-chain input bus after the main one), `midi_in`,
`midi_out` (one event bus each), `silent`, `latency`, `split_controller` with
`controller_cid` (the edit controller is a class of its own, listed after every
plugin class as a "Component Controller Class", reporting parameters only once
connected to its component), `needs_host` (initialize fails unless the context
answers IHostApplication with a name), `refuse_host` (initialize fails for the
host of that name, as licence-checking plugins refuse unknown hosts), `program_list` and one `program` line per
program (IUnitInfo), and misbehaviour: `crash` segv|abort|exit,
`crash_stage`, `exit_code`, `hang_stage`, `hang_busy` (spin instead of
blocking), `sleep_ms`, `busy_ms` (CPU time), `alloc_mb`,
`stdout_bytes`, `stderr_bytes`) and `[param]` (the next parameter of the
current class: `id`, `title`, `short_title`, `units`, `default` normalized,
`steps`, `min`, `max` display range, `decimals`, `automatable`, the flags
`hidden`, `read_only`, `bypass`, `program_change`, and one `text` line per
choice). Stages are dlopen (ELF constructor, inside the dynamic
loader), load (ModuleEntry/GetPluginFactory), classinfo (any getClassInfo*
call), factory (createInstance), params
(first getParameterInfo; so only with at least one parameter), process (first
process call; pedalboard processes while loading an effect, not an instrument
when `initialization_timeout=0`). Sleep, allocation and garbage output happen at
load. An instrument sounds in blocks that carry MIDI events (so pedalboard's
warm-up ends at once) unless `silent`.

Why bundles copy the `.so` by default instead of hard-linking it: glibc's
`dlopen` treats two paths with the same device and inode as one library that is
already loaded, and JUCE keeps a module loaded while any plugin is alive, so in
one process a hard-linked bundle loaded while another is alive answers with the
other bundle's plugins. A copy costs 20 KiB of disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

Stage = Literal["dlopen", "load", "classinfo", "factory", "params", "process"]
Crash = Literal["segv", "abort", "exit"]
LinkMode = Literal["copy", "hardlink", "symlink"]

SOURCE = Path(__file__).with_name("vst3_test_plugin.c")
CONFIG_NAME = "pluginary-test.conf"
MODULEINFO_NAME = "moduleinfo.json"
SDK_VERSION = "VST 3.7.9"
CFLAGS = (
    "-shared",
    "-fPIC",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fvisibility=hidden",
    # small copies per bundle: no unwind tables, symbols, build id or code-segment padding
    "-fno-asynchronous-unwind-tables",
    "-s",
    "-Wl,-z,noseparate-code",
    "-Wl,--build-id=none",
)
STAGES: tuple[Stage, ...] = ("dlopen", "load", "classinfo", "factory", "params", "process")
CRASHES: tuple[Crash, ...] = ("segv", "abort", "exit")


class TestPluginError(RuntimeError):
    """The test plugin library could not be built or a bundle could not be made."""


class CompilerNotFoundError(TestPluginError):
    """No C compiler: the VST3 test plugins cannot be built on this machine."""


# ---------------------------------------------------------------- specs


def _one_line(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Reject what the line-based resource file cannot carry."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"{attribute.name} must be one line, got {value!r}")


def _fits(size: int) -> Any:
    """Reject strings longer than the fixed-size VST3 struct field they end up in."""

    def check(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
        _one_line(_, attribute, value)
        if len(value.encode()) >= size:
            raise ValueError(f"{attribute.name} {value!r} exceeds the VST3 limit of {size - 1} bytes")

    return check


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _lines(_: object, attribute: attrs.Attribute[Any], values: tuple[str, ...]) -> None:
    for value in values:
        _one_line(_, attribute, value)


def _param_specs(values: Iterable[ParamSpec]) -> tuple[ParamSpec, ...]:
    return tuple(values)


def _plugin_specs(values: Iterable[PluginSpec]) -> tuple[PluginSpec, ...]:
    return tuple(values)


def derive_class_id(vendor: str, name: str) -> str:
    """A stable 32-hex-digit class id, so a plugin keeps its id across builds and runs."""
    return hashlib.sha256(f"{vendor}\0{name}".encode()).hexdigest()[:32].upper()


def _class_id(value: str) -> str:
    """Normalise a class id to 32 upper-case hex digits (what moduleinfo.json uses)."""
    value = value.replace("-", "").upper()
    if len(value) != 32 or any(c not in "0123456789ABCDEF" for c in value):
        raise ValueError(f"class_id must be 32 hex digits, got {value!r}")
    return value


@attrs.frozen
class Misbehaviour:
    """What a plugin does wrong; the default does nothing wrong."""

    crash: Crash | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(CRASHES)))
    crash_stage: Stage = attrs.field(default="load", validator=attrs.validators.in_(STAGES))
    exit_code: int = 3
    hang_stage: Stage | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(STAGES))
    )
    hang_busy: bool = False  # hang spinning on a core instead of blocked
    sleep_ms: int = 0
    busy_ms: int = 0  # milliseconds of CPU time spent loading (longer in wall time on a loaded machine)
    alloc_mb: int = 0
    stdout_bytes: int = 0
    stderr_bytes: int = 0

    @property
    def kills(self) -> bool:
        """True if loading this plugin ends the process (crash) or never returns (hang)."""
        return self.crash is not None or self.hang_stage is not None


@attrs.frozen
class ParamSpec:
    """One parameter. `texts` make it a choice (steps = len(texts) - 1)."""

    name: str = attrs.field(validator=_one_line)
    units: str = attrs.field(default="", validator=_one_line)
    default: float = attrs.field(default=0.0, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])
    min: float = 0.0
    max: float = 1.0
    texts: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    steps: int = attrs.field(default=attrs.Factory(lambda s: max(len(s.texts) - 1, 0), takes_self=True))
    decimals: int = attrs.field(default=attrs.Factory(lambda s: 0 if s.steps else 2, takes_self=True))
    short_name: str = attrs.field(default="", validator=_one_line)
    automatable: bool = True
    id: int | None = None
    #: VST3 parameter flags: hidden ones are no user parameters, read-only ones are outputs (meters).
    hidden: bool = False
    read_only: bool = False
    bypass: bool = False
    program_change: bool = False

    @texts.validator
    def _check_texts(self, attribute: attrs.Attribute[Any], texts: tuple[str, ...]) -> None:
        for text in texts:
            _one_line(self, attribute, text)

    @steps.validator
    def _check_steps(self, _: attrs.Attribute[Any], steps: int) -> None:
        if self.texts and steps != len(self.texts) - 1:
            raise ValueError(f"parameter {self.name!r}: {len(self.texts)} texts need steps={len(self.texts) - 1}")

    @property
    def is_choice(self) -> bool:
        return bool(self.texts)

    def display(self, normalized: float) -> str:
        """The text the plugin shows for `normalized` (same rounding as the C code)."""
        normalized = min(max(normalized, 0.0), 1.0)
        step = int(normalized * self.steps + 0.5)
        if self.texts:
            return self.texts[min(step, len(self.texts) - 1)]
        if self.steps:
            plain = self.min + step * (self.max - self.min) / self.steps
        else:
            plain = self.min + normalized * (self.max - self.min)
        return f"{plain:.{self.decimals}f}" + (f" {self.units}" if self.units else "")


@attrs.frozen
class PluginSpec:
    """One plugin class: what a host reads from the factory and the edit controller."""

    name: str = attrs.field(validator=_fits(64))
    vendor: str = attrs.field(default="Pluginary Test Audio", validator=_fits(64))
    version: str = attrs.field(default="1.0.0", validator=_fits(64))
    instrument: bool = False
    subcategories: str = attrs.field(
        default=attrs.Factory(lambda s: "Instrument|Synth" if s.instrument else "Fx", takes_self=True),
        validator=_fits(128),
    )
    audio_in: int = attrs.field(default=attrs.Factory(lambda s: 0 if s.instrument else 2, takes_self=True))
    audio_out: int = 2
    aux_in: int = 0  # channels of a side-chain input bus (after the main input bus)
    midi_in: bool = attrs.field(default=attrs.Factory(lambda s: s.instrument, takes_self=True))
    midi_out: bool = False
    latency: int = 0
    #: The edit controller is a class of its own (getControllerClassId), connected through IConnectionPoint.
    split_controller: bool = False
    #: initialize fails unless the host context answers IHostApplication.
    needs_host: bool = False
    #: initialize fails for the host that gives this name (e.g. "Pluginary"; pedalboard's host gives another).
    refuse_host: str = attrs.field(default="", validator=_fits(128))
    programs: tuple[str, ...] = attrs.field(default=(), converter=_texts, validator=_lines)
    program_list: str = attrs.field(default="Factory", validator=_fits(128))
    silent: bool = False  # an instrument that stays silent makes pedalboard wait its full initialization_timeout
    params: tuple[ParamSpec, ...] = attrs.field(default=(), converter=_param_specs)
    misbehaviour: Misbehaviour = Misbehaviour()
    class_id: str = attrs.field(
        default=attrs.Factory(lambda s: derive_class_id(s.vendor, s.name), takes_self=True), converter=_class_id
    )

    @property
    def controller_id(self) -> str:
        """The class id of the split edit controller: the plugin's own with its last byte flipped."""
        return self.class_id[:30] + f"{int(self.class_id[30:], 16) ^ 0xFF:02X}"

    def __attrs_post_init__(self) -> None:
        bad = self.misbehaviour
        if "params" in (bad.hang_stage, bad.crash and bad.crash_stage) and not self.params:
            raise ValueError(f"{self.name!r} misbehaves at the params stage, which needs at least one parameter")


def _bundle_name(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """The bundle name is also a folder and file name."""
    if not value or "/" in value or "\0" in value or value.startswith("."):
        raise ValueError(f"{attribute.name} {value!r} cannot be a folder name")


@attrs.frozen
class BundleSpec:
    """One `.vst3` bundle; more than one plugin makes it a shell.

    `vendor` is the factory's vendor. pedalboard (JUCE) reports it as `manufacturer_name` for every
    plugin in the bundle and ignores each class's own vendor, which moduleinfo.json and
    PClassInfo2 still carry.
    """

    name: str = attrs.field(validator=_bundle_name)
    plugins: tuple[PluginSpec, ...] = attrs.field(converter=_plugin_specs, validator=attrs.validators.min_len(1))
    moduleinfo: bool = False
    vendor: str = attrs.field(
        default=attrs.Factory(lambda s: s.plugins[0].vendor, takes_self=True), validator=_fits(64)
    )
    url: str = attrs.field(default="https://example.invalid/pluginary-tests", validator=_fits(256))
    email: str = attrs.field(default="tests@example.invalid", validator=_fits(128))

    @classmethod
    def of(cls, plugin: PluginSpec, *, moduleinfo: bool = False) -> BundleSpec:
        """A bundle holding just `plugin`, named after it."""
        return cls(name=plugin.name.replace("/", "-"), plugins=(plugin,), moduleinfo=moduleinfo)

    @property
    def is_shell(self) -> bool:
        return len(self.plugins) > 1


# ---------------------------------------------------------------- resource files


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _class_lines(plugin: PluginSpec) -> list[str]:
    bad = plugin.misbehaviour
    lines = [
        "[class]",
        f"cid={plugin.class_id}",
        f"name={plugin.name}",
        f"vendor={plugin.vendor}",
        f"version={plugin.version}",
        f"subcategories={plugin.subcategories}",
        f"sdk_version={SDK_VERSION}",
        f"instrument={_flag(plugin.instrument)}",
        f"audio_in={plugin.audio_in}",
        f"audio_out={plugin.audio_out}",
        f"aux_in={plugin.aux_in}",
        f"midi_in={_flag(plugin.midi_in)}",
        f"midi_out={_flag(plugin.midi_out)}",
        f"silent={_flag(plugin.silent)}",
        f"latency={plugin.latency}",
        f"needs_host={_flag(plugin.needs_host)}",
        f"refuse_host={plugin.refuse_host}",
    ]
    if plugin.split_controller:
        lines += ["split_controller=1", f"controller_cid={plugin.controller_id}"]
    if plugin.programs:
        lines += [f"program_list={plugin.program_list}", *(f"program={name}" for name in plugin.programs)]
    if bad.crash:
        lines += [f"crash={bad.crash}", f"crash_stage={bad.crash_stage}", f"exit_code={bad.exit_code}"]
    if bad.hang_stage:
        lines += [f"hang_stage={bad.hang_stage}", f"hang_busy={_flag(bad.hang_busy)}"]
    for key in ("sleep_ms", "busy_ms", "alloc_mb", "stdout_bytes", "stderr_bytes"):
        if getattr(bad, key):
            lines.append(f"{key}={getattr(bad, key)}")
    for index, param in enumerate(plugin.params):
        lines += [
            "[param]",
            f"id={index if param.id is None else param.id}",
            f"title={param.name}",
            f"short_title={param.short_name}",
            f"units={param.units}",
            f"default={param.default!r}",
            f"steps={param.steps}",
            f"min={param.min!r}",
            f"max={param.max!r}",
            f"decimals={param.decimals}",
            f"automatable={_flag(param.automatable)}",
            f"hidden={_flag(param.hidden)}",
            f"read_only={_flag(param.read_only)}",
            f"bypass={_flag(param.bypass)}",
            f"program_change={_flag(param.program_change)}",
        ]
        lines += [f"text={text}" for text in param.texts]
    return lines


def config_text(spec: BundleSpec) -> str:
    """The resource file the C plugin reads at load time (format: see the module docstring)."""
    lines = ["# Pluginary VST3 test plugin resource file", "[module]"]
    lines += [f"vendor={spec.vendor}", f"url={spec.url}", f"email={spec.email}"]
    for plugin in spec.plugins:
        lines += _class_lines(plugin)
    return "\n".join(lines) + "\n"


def _json5(value: Any, depth: int = 0) -> str:
    """JSON5 as the VST3 SDK writes moduleinfo.json: trailing commas everywhere."""
    pad = "  " * (depth + 1)
    if isinstance(value, dict):
        items = "".join(f"{pad}{json.dumps(k)}: {_json5(v, depth + 1)},\n" for k, v in value.items())
        return "{\n" + items + "  " * depth + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{pad}{_json5(v, depth + 1)},\n" for v in value) + "  " * depth + "]"
    return json.dumps(value, ensure_ascii=False)


def moduleinfo_data(spec: BundleSpec) -> dict[str, Any]:
    """What moduleinfo.json says, as plain data (tests compare a parsed file with this)."""
    return {
        "Name": spec.name,
        "Version": spec.plugins[0].version,
        "Factory Info": {
            "Vendor": spec.vendor,
            "URL": spec.url,
            "E-Mail": spec.email,
            "Flags": {"Unicode": True, "Classes Discardable": False, "Component Non Discardable": False},
        },
        "Compatibility": [],
        "Classes": [
            {
                "CID": plugin.class_id,
                "Category": "Audio Module Class",
                "Name": plugin.name,
                "Vendor": plugin.vendor,
                "Version": plugin.version,
                "SDKVersion": SDK_VERSION,
                "Sub Categories": plugin.subcategories.split("|"),
                "Class Flags": 0,
                "Cardinality": 2147483647,
                "Snapshots": [],
            }
            for plugin in spec.plugins
        ],
    }


def moduleinfo_text(spec: BundleSpec) -> str:
    """moduleinfo.json in JSON5 with comments and trailing commas, like real SDK output."""
    header = (
        "// moduleinfo.json: written by Pluginary's test plugin generator\n"
        "/* JSON5: comments and trailing commas are allowed */\n"
    )
    return header + _json5(moduleinfo_data(spec)) + "\n"


# ---------------------------------------------------------------- building


def find_compiler() -> str | None:
    """The system C compiler (`$CC`, else cc, gcc, clang), or None."""
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


def _compiler_identity(compiler: str) -> str:
    """Version and target of the compiler, so a compiler upgrade rebuilds the cache."""
    result = subprocess.run([compiler, "-v"], capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def default_cache_dir() -> Path:
    """Where the compiled library is kept between test runs: `$PLUGINARY_TEST_CACHE`, else the user cache."""
    if override := os.environ.get("PLUGINARY_TEST_CACHE"):
        return Path(override)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pluginary-tests"


def build_library(cache_dir: Path, compiler: str | None = None) -> Path:
    """Compile the C plugin once into `cache_dir`, reusing the result while source, flags and compiler match."""
    return compile_cached(SOURCE, CFLAGS, "pluginary_test_vst3", cache_dir, compiler)


def compile_cached(source: Path, cflags: Sequence[str], stem: str, cache_dir: Path, compiler: str | None) -> Path:
    """`source` compiled into `cache_dir/<stem>-<machine>-<hash>.so`, reused while source, flags and compiler
    match (the VST3 and the CLAP test plugins both build this way).

    The output is written under a temporary name and renamed into place, so
    concurrent test sessions can share one cache directory safely.
    """
    compiler = compiler or find_compiler()
    if compiler is None:
        raise CompilerNotFoundError(
            f"no C compiler found to build {source.name}: install one (apt-get install gcc) or set CC"
        )
    key = hashlib.sha256()
    for part in (source.read_bytes(), "\0".join(cflags).encode(), _compiler_identity(compiler).encode()):
        key.update(part)
        key.update(b"\0")
    cache_dir.mkdir(parents=True, exist_ok=True)
    library = cache_dir / f"{stem}-{platform.machine()}-{key.hexdigest()[:16]}.so"
    if library.is_file():
        return library
    fd, tmp_name = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=cache_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = subprocess.run([compiler, *cflags, "-o", str(tmp), str(source)], capture_output=True, text=True)
        if result.returncode != 0:
            raise TestPluginError(f"compiling {source} with {compiler} failed:\n{result.stderr}")
        tmp.replace(library)
    finally:
        tmp.unlink(missing_ok=True)
    return library


# ---------------------------------------------------------------- bundles


def arch_folder() -> str:
    """The per-architecture folder inside Contents, e.g. `x86_64-linux` (from `uname -m`)."""
    return f"{platform.machine()}-linux"


def binary_path(bundle: Path) -> Path:
    """Where a host looks for a bundle's library: the `.so` must carry the bundle's name."""
    return bundle / "Contents" / arch_folder() / f"{bundle.stem}.so"


def resources_path(bundle: Path) -> Path:
    return bundle / "Contents" / "Resources"


def _place_library(library: Path, target: Path, link: LinkMode) -> None:
    """Copy (default) or link the compiled library to `target`; a failed hard link falls back to a copy."""
    if link == "symlink":
        target.symlink_to(library.resolve())
        return
    if link == "hardlink":
        try:
            os.link(library, target)
            return
        except OSError:
            pass
    shutil.copyfile(library, target)
    target.chmod(0o755)


def make_bundle(root: Path, spec: BundleSpec | PluginSpec, library: Path, *, link: LinkMode = "copy") -> Path:
    """Write `root/<name>.vst3` for `spec` around `library` and return the bundle path.

    `link="hardlink"` saves disk but the bundles then share one inode, which
    `dlopen` treats as one library: load at most one of them per process.
    """
    if isinstance(spec, PluginSpec):
        spec = BundleSpec.of(spec)
    bundle = root / f"{spec.name}.vst3"
    binary = binary_path(bundle)
    resources = resources_path(bundle)
    binary.parent.mkdir(parents=True, exist_ok=False)
    resources.mkdir(parents=True)
    _place_library(library, binary, link)
    (resources / CONFIG_NAME).write_text(config_text(spec), encoding="utf-8")
    if spec.moduleinfo:
        (resources / MODULEINFO_NAME).write_text(moduleinfo_text(spec), encoding="utf-8")
    return bundle


__all__ = [
    "CFLAGS",
    "CONFIG_NAME",
    "CRASHES",
    "MODULEINFO_NAME",
    "STAGES",
    "BundleSpec",
    "CompilerNotFoundError",
    "Crash",
    "LinkMode",
    "Misbehaviour",
    "ParamSpec",
    "PluginSpec",
    "Stage",
    "TestPluginError",
    "arch_folder",
    "binary_path",
    "build_library",
    "config_text",
    "default_cache_dir",
    "derive_class_id",
    "find_compiler",
    "make_bundle",
    "moduleinfo_data",
    "moduleinfo_text",
    "resources_path",
]
