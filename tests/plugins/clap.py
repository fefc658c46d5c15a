"""Real CLAP test plugins: one small C library, any number of distinct `.clap` modules.

`clap_test_plugin.c` is a genuine CLAP module (no SDK). It is compiled once per
source/flags/compiler (`build_library`, cached by hash); every module written by
`make_module` is a copy of that `.so` named `<name>.clap` plus `<name>.clap.conf`
beside it, which the C side reads when the library is loaded. So one build
yields any number of modules with their own plugins, descriptors, parameters,
ports and misbehaviour (crashes and hangs at a chosen stage, leaks, noise,
hostile text, lying counts). A copy, not a link: `dlopen` treats one inode as
one library, so linked modules would answer with each other's plugins.

Resource file (`<name>.clap.conf`): UTF-8 text, one `key=value` per line, the
value running to the end of the line; blank lines and `#` lines are ignored.
Sections: `[module]` (`clap_version` of `clap_entry`, `plugin_count_claim`: what
the factory's count says instead of the truth), `[plugin]` (starts the next
descriptor: `id`, `name`, `vendor`, `url`, `manual_url`, `support_url`, `version`,
`description`, `clap_version`, one `feature` line per feature; ports `audio_in`,
`audio_out` (main port channels, 0 = no port), `aux_in`, `aux_out` (one extra
port), `note_in`, `note_out` (port counts); `no_audio_ports`, `no_note_ports`,
`no_params` (the extension is not offered), `latency`; hostility:
`unterminated` (name, vendor, url and description point at 64 KiB of text with
no NUL, followed by an unreadable page), `refuse_create` (`create_plugin` answers
NULL), `refuse_init` (the plugin's `init` answers false), `param_count_claim`,
`port_count_claim`; misbehaviour: `crash` segv|abort|exit, `crash_stage`,
`exit_code`, `hang_stage`, `hang_busy`, `sleep_ms`, `stdout_bytes`,
`stderr_bytes` (at `clap_entry.init`), `alloc_mb` (kept by each instance)) and
`[param]` (`id`, `flags` as the CLAP bit mask, `name`, `module`, `units`, `min`,
`max`, `default`, `decimals`, `hostile_text` (the name and every value text
fill their buffer with no NUL), `blank_info` (`get_info` answers true and writes
nothing), one `text` line per value from `min`), `[presets]` (the module exports a
preset-discovery factory under `factory_id` with one provider: a PLUGIN location "Factory"
holding the `[preset]` sections, and when `location` is set a FILE location "User" at that file
or folder for files ending `.<extension>`; `soundpack` declares a sound pack of that id;
`unterminated` (the first preset's name is the wall of text); `repeat` (the PLUGIN location
reports each preset that many times, load keys `<key>-<n>`, until the host says stop); `fault`
create|init|metadata|crash: `create` answers NULL, `init` false, `get_metadata` of the PLUGIN
location reports its presets and answers false, or crashes there) and `[preset]` (`key`,
`name`, `description`, `soundpack`, `flags` (the CLAP bit mask; absent: `set_flags` is not
called), one `plugin`, `creator` or `feature` line each). A preset file is the preset's name on
its first line (`!` first makes it unreadable: `on_error`, then false), then `[preset]` keys.

Stages: `dlopen` (ELF constructor), `init` (`clap_entry.init`), `factory` (the
factory's plugin count), `create` (`create_plugin`), `params` (`get_info`).
dlopen, init and factory are module-wide: any plugin's misbehaviour there hits
the whole module.

`python -m tests.plugins.clap DIR --count N` writes N generated modules into DIR.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import attrs

from tests.plugins import CFLAGS, compile_cached, default_cache_dir

Stage = Literal["dlopen", "init", "factory", "create", "params"]
Crash = Literal["segv", "abort", "exit"]

SOURCE = Path(__file__).with_name("clap_test_plugin.c")
CONF_SUFFIX = ".conf"
STAGES: tuple[Stage, ...] = ("dlopen", "init", "factory", "create", "params")
CRASHES: tuple[Crash, ...] = ("segv", "abort", "exit")

#: `clap/ext/params.h` flag bits by name.
PARAM_FLAGS = {
    "stepped": 1 << 0,
    "periodic": 1 << 1,
    "hidden": 1 << 2,
    "readonly": 1 << 3,
    "bypass": 1 << 4,
    "automatable": 1 << 5,
    "modulatable": 1 << 10,
    "enum": 1 << 16,
}


def _one_line(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Reject what the line-based resource file cannot carry."""
    if "\n" in value or "\r" in value:
        raise ValueError(f"{attribute.name} must be one line, got {value!r}")


def _lines(_: object, attribute: attrs.Attribute[Any], values: tuple[str, ...]) -> None:
    for value in values:
        _one_line(_, attribute, value)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _params(values: Iterable[ClapParam]) -> tuple[ClapParam, ...]:
    return tuple(values)


def _plugins(values: Iterable[ClapPluginSpec]) -> tuple[ClapPluginSpec, ...]:
    return tuple(values)


def _flags(names: Iterable[str]) -> frozenset[str]:
    names = frozenset(names)
    if unknown := names - PARAM_FLAGS.keys():
        raise ValueError(f"unknown CLAP parameter flags {sorted(unknown)}: known {sorted(PARAM_FLAGS)}")
    return names


@attrs.frozen
class ClapMisbehaviour:
    """What a plugin does wrong; the default does nothing wrong."""

    crash: Crash | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.in_(CRASHES)))
    crash_stage: Stage = attrs.field(default="init", validator=attrs.validators.in_(STAGES))
    exit_code: int = 3
    hang_stage: Stage | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(STAGES))
    )
    hang_busy: bool = False
    sleep_ms: int = 0
    alloc_mb: int = 0
    stdout_bytes: int = 0
    stderr_bytes: int = 0


@attrs.frozen
class ClapParam:
    """One parameter, plain values as CLAP has them. `texts` are the value texts from `min` upward."""

    name: str = attrs.field(validator=_one_line)
    min: float = 0.0
    max: float = 1.0
    default: float = 0.0
    flags: frozenset[str] = attrs.field(default=frozenset({"automatable"}), converter=_flags)
    module: str = attrs.field(default="", validator=_one_line)
    units: str = attrs.field(default="", validator=_one_line)
    texts: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_lines)
    decimals: int = 2
    hostile_text: bool = False
    blank_info: bool = False  # get_info answers true and writes nothing
    id: int | None = None

    @property
    def mask(self) -> int:
        return sum(PARAM_FLAGS[name] for name in self.flags)

    def text(self, value: float) -> str:
        """What the plugin's `value_to_text` answers (same rule as the C code)."""
        step = int(value - self.min + 0.5)
        if self.texts and 0 <= step < len(self.texts):
            return self.texts[step]
        return f"{value:.{self.decimals}f}" + (f" {self.units}" if self.units else "")


def _is_instrument(spec: ClapPluginSpec) -> bool:
    return "instrument" in spec.features


@attrs.frozen
class ClapPluginSpec:
    """One descriptor of the factory, and what an instance of it answers."""

    id: str = attrs.field(validator=_one_line)
    name: str = attrs.field(validator=_one_line)
    vendor: str = attrs.field(default="Pluginary Test Audio", validator=_one_line)
    version: str = attrs.field(default="1.0.0", validator=_one_line)
    description: str = attrs.field(default="", validator=_one_line)
    url: str = attrs.field(default="https://example.invalid/pluginary-tests", validator=_one_line)
    manual_url: str = attrs.field(default="", validator=_one_line)
    support_url: str = attrs.field(default="", validator=_one_line)
    features: tuple[str, ...] = attrs.field(default=("audio-effect", "stereo"), converter=_strings, validator=_lines)
    audio_in: int = attrs.field(default=attrs.Factory(lambda s: 0 if _is_instrument(s) else 2, takes_self=True))
    audio_out: int = 2
    aux_in: int = 0
    aux_out: int = 0
    note_in: int = attrs.field(default=attrs.Factory(lambda s: 1 if _is_instrument(s) else 0, takes_self=True))
    note_out: int = 0
    latency: int = 0
    no_audio_ports: bool = False
    no_note_ports: bool = False
    no_params: bool = False
    unterminated: bool = False
    refuse_create: bool = False  # create_plugin returns NULL
    refuse_init: bool = False  # the plugin's init returns false
    param_count_claim: int = 0
    port_count_claim: int = 0
    clap_version: str = "1.2.0"
    params: tuple[ClapParam, ...] = attrs.field(default=(), converter=_params)
    misbehaviour: ClapMisbehaviour = ClapMisbehaviour()


PRESET_FACTORY_ID = "clap.preset-discovery-factory/2"
PRESET_FACTORY_DRAFT_ID = "clap.preset-discovery-factory/draft-2"
PresetFault = Literal["create", "init", "metadata", "crash"]


@attrs.frozen
class ClapPresetSpec:
    """One preset: in the provider's PLUGIN location (`key` is its load key) or in a preset file."""

    name: str = attrs.field(validator=_one_line)
    key: str = attrs.field(default="", validator=_one_line)
    #: The CLAP plugin ids it applies to (none: the provider names no plugin).
    plugins: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_lines)
    creators: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_lines)
    description: str = attrs.field(default="", validator=_one_line)
    features: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_lines)
    soundpack: str = attrs.field(default="", validator=_one_line)
    flags: int | None = None  # None: the location's flags apply


def _presets(values: Iterable[ClapPresetSpec]) -> tuple[ClapPresetSpec, ...]:
    return tuple(values)


@attrs.frozen
class ClapPresets:
    """The module's preset-discovery factory: one provider, its presets and its misbehaviour."""

    presets: tuple[ClapPresetSpec, ...] = attrs.field(default=(), converter=_presets)
    location: str = attrs.field(default="", validator=_one_line)  # a FILE location: a file or a folder
    extension: str = attrs.field(default="txtpreset", validator=_one_line)
    soundpack: str = attrs.field(default="", validator=_one_line)
    factory_id: str = PRESET_FACTORY_ID
    fault: PresetFault | None = None
    unterminated: bool = False
    repeat: int = 1


def _preset_lines(preset: ClapPresetSpec) -> list[str]:
    lines = [f"key={preset.key}", f"description={preset.description}", f"soundpack={preset.soundpack}"]
    lines += [f"plugin={plugin}" for plugin in preset.plugins]
    lines += [f"creator={creator}" for creator in preset.creators]
    lines += [f"feature={feature}" for feature in preset.features]
    return lines + ([] if preset.flags is None else [f"flags={preset.flags}"])


def preset_file_text(preset: ClapPresetSpec) -> str:
    """A preset file the test plugin's provider reads: the name, then the preset's keys."""
    return "\n".join([preset.name, *_preset_lines(preset)]) + "\n"


def _presets_lines(presets: ClapPresets) -> list[str]:
    lines = ["[presets]", f"factory_id={presets.factory_id}", f"location={presets.location}"]
    lines += [f"extension={presets.extension}", f"soundpack={presets.soundpack}"]
    lines += [f"fault={presets.fault or 'none'}", f"unterminated={_flag(presets.unterminated)}"]
    lines.append(f"repeat={presets.repeat}")
    for preset in presets.presets:
        lines += ["[preset]", f"name={preset.name}", *_preset_lines(preset)]
    return lines


def _module_name(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value or "/" in value or "\0" in value or value.startswith("."):
        raise ValueError(f"{attribute.name} {value!r} cannot be a file name")


@attrs.frozen
class ClapModuleSpec:
    """One `.clap` file: its factory lists `plugins`."""

    name: str = attrs.field(validator=_module_name)
    plugins: tuple[ClapPluginSpec, ...] = attrs.field(converter=_plugins, validator=attrs.validators.min_len(1))
    clap_version: str = "1.2.0"
    plugin_count_claim: int = 0
    presets: ClapPresets | None = None

    @classmethod
    def of(cls, plugin: ClapPluginSpec) -> ClapModuleSpec:
        """A module holding just `plugin`, named after it."""
        return cls(name=plugin.name.replace("/", "-"), plugins=(plugin,))


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _plugin_lines(plugin: ClapPluginSpec) -> list[str]:
    bad = plugin.misbehaviour
    lines = ["[plugin]"]
    for key in ("id", "name", "vendor", "version", "description", "url", "manual_url", "support_url", "clap_version"):
        lines.append(f"{key}={getattr(plugin, key)}")
    lines += [f"feature={feature}" for feature in plugin.features]
    for key in ("audio_in", "audio_out", "aux_in", "aux_out", "note_in", "note_out", "latency"):
        lines.append(f"{key}={getattr(plugin, key)}")
    for key in ("no_audio_ports", "no_note_ports", "no_params", "unterminated", "refuse_create", "refuse_init"):
        lines.append(f"{key}={_flag(getattr(plugin, key))}")
    lines += [f"param_count_claim={plugin.param_count_claim}", f"port_count_claim={plugin.port_count_claim}"]
    if bad.crash:
        lines += [f"crash={bad.crash}", f"crash_stage={bad.crash_stage}", f"exit_code={bad.exit_code}"]
    if bad.hang_stage:
        lines += [f"hang_stage={bad.hang_stage}", f"hang_busy={_flag(bad.hang_busy)}"]
    for key in ("sleep_ms", "alloc_mb", "stdout_bytes", "stderr_bytes"):
        lines.append(f"{key}={getattr(bad, key)}")
    for index, param in enumerate(plugin.params):
        lines += [
            "[param]",
            f"id={index if param.id is None else param.id}",
            f"flags={param.mask}",
            f"name={param.name}",
            f"module={param.module}",
            f"units={param.units}",
            f"min={param.min!r}",
            f"max={param.max!r}",
            f"default={param.default!r}",
            f"decimals={param.decimals}",
            f"hostile_text={_flag(param.hostile_text)}",
            f"blank_info={_flag(param.blank_info)}",
        ]
        lines += [f"text={text}" for text in param.texts]
    return lines


def config_text(spec: ClapModuleSpec) -> str:
    """The resource file the C plugin reads when loaded (format: the module docstring)."""
    lines = ["# Pluginary CLAP test plugin resource file", "[module]", f"clap_version={spec.clap_version}"]
    lines.append(f"plugin_count_claim={spec.plugin_count_claim}")
    for plugin in spec.plugins:
        lines += _plugin_lines(plugin)
    if spec.presets:
        lines += _presets_lines(spec.presets)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- building


def build_library(cache_dir: Path, compiler: str | None = None) -> Path:
    """Compile the CLAP test plugin once into `cache_dir`, reused while source, flags and compiler match."""
    return compile_cached(SOURCE, CFLAGS, "pluginary_test_clap", cache_dir, compiler)


def make_module(root: Path, spec: ClapModuleSpec | ClapPluginSpec, library: Path) -> Path:
    """Write `root/<name>.clap` (a copy of `library`) and its resource file; return the `.clap` path."""
    if isinstance(spec, ClapPluginSpec):
        spec = ClapModuleSpec.of(spec)
    root.mkdir(parents=True, exist_ok=True)
    module = root / f"{spec.name}.clap"
    if module.exists():
        raise FileExistsError(module)
    shutil.copyfile(library, module)
    module.chmod(0o755)
    # surrogateescape: a spec may carry bytes that are not UTF-8 ("caf\udce9" is b"caf\xe9"), as plugins do.
    module.with_name(module.name + CONF_SUFFIX).write_text(
        config_text(spec), encoding="utf-8", errors="surrogateescape"
    )
    return module


# ---------------------------------------------------------------- generation for scale


def generated_spec(number: int) -> ClapModuleSpec:
    """The `number`th generated module: deterministic, distinct ids, a mix of kinds; none misbehaves."""
    kind = number % 4
    params = [ClapParam(f"Gain {i}", min=-60.0, max=12.0, default=0.0, units="dB") for i in range(number % 7 + 1)]
    params.append(ClapParam("Mode", max=2.0, flags={"stepped", "enum", "automatable"}, texts=("A", "B", "C")))
    features = [("instrument", "synthesizer"), ("audio-effect", "reverb"), ("audio-effect", "equalizer")][kind % 3]
    plugin = ClapPluginSpec(
        id=f"invalid.example.pluginary.gen{number:05d}",
        name=f"Generated CLAP {number:05d}",
        vendor=f"Pluginary Vendor {number % 13}",
        features=(*features, "stereo"),
        params=tuple(params),
    )
    if kind == 3:  # a factory with two plugins
        second = attrs.evolve(plugin, id=plugin.id + ".b", name=plugin.name + " B", features=("analyzer", "mono"))
        return ClapModuleSpec(name=f"gen-{number:05d}", plugins=(plugin, second))
    return ClapModuleSpec(name=f"gen-{number:05d}", plugins=(plugin,))


def generate(root: Path, count: int, library: Path) -> list[Path]:
    """Write `count` generated modules into `root`."""
    return [make_module(root, generated_spec(number), library) for number in range(count)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.plugins.clap", description="write generated CLAP modules")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args(argv)
    library = build_library(default_cache_dir())
    print(f"wrote {len(generate(args.folder, args.count, library))} CLAP modules into {args.folder}")


if __name__ == "__main__":
    main()
