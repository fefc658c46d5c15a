"""Generate many realistic VST3 test bundles, plus `expected.json` describing them.

The scan benchmarks need thousands of distinct plugins with believable names,
vendors, categories and parameter sets, and a known share of plugins that
crash, hang, sleep, leak or spew output. Everything is drawn from one seeded
`random.Random`, so a seed always yields the same bundles and the same
`expected.json` (apart from its `root`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from tests.plugins import (
    CRASHES,
    BundleSpec,
    LinkMode,
    Misbehaviour,
    ParamSpec,
    PluginSpec,
    Stage,
    make_bundle,
)
from tests.plugins.presets import write_vstpreset

EXPECTED_NAME = "expected.json"
EXPECTED_VERSION = 1
#: Stages at which generated crashes and hangs happen; all of them are reached by one pedalboard load.
LOAD_STAGES: tuple[Stage, ...] = ("dlopen", "load", "factory", "params", "process")

# fmt: off
VENDORS = (
    "Aurora Audio", "Bitwise Labs", "Copperline Sound", "Dunmore DSP", "Echo Valley Audio",
    "Fjord Instruments", "Granite Audio Works", "Helix Sound Design", "Ironbark Audio", "Juniper DSP",
    "Kestrel Labs", "Lumen Audio", "Marrow & Finch", "Northwind Audio", "Oakfield Sound",
    "Pellucid Audio", "Quartzline", "Redwood Audio", "Saltmarsh DSP", "Tidewater Instruments",
    "Umber Audio", "Vantage Sound Lab", "Wavecraft", "Xylem Audio", "Yarrow Sound", "Zephyr DSP",
    "Analog Obsession Co.", "Blue Heron Audio", "Cinder Labs", "Driftwood Plugins",
)
ADJECTIVES = (
    "Vintage", "Analog", "Crystal", "Deep", "Warm", "Bright", "Tube", "Tape", "Retro", "Modern",
    "Quantum", "Royal", "Golden", "Silver", "Dark", "Lush", "Punchy", "Smooth", "Wide", "Pro",
    "Ultra", "Micro", "Mega", "Cosmic", "Velvet", "Iron", "Glass", "Solar", "Lunar", "Electric",
    "Fuzzy", "Clean", "Dirty", "Hyper", "Neo", "Liquid", "Frozen", "Spectral", "Classic", "Studio",
)
SUFFIXES = ("", "", "", "", " 2", " MkII", " X", " Pro", " SE", " Lite", " 3", " Deluxe")

#: Sub-category, instrument?, product nouns, parameter names typical of that kind of plugin.
KINDS: tuple[tuple[str, bool, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Fx|EQ", False, ("EQ", "Equalizer", "Tone Shaper", "Graphic EQ", "Parametric EQ"),
     ("Low Gain", "Low Freq", "Mid Gain", "Mid Freq", "Mid Q", "High Gain", "High Freq", "Output")),
    ("Fx|Dynamics", False, ("Compressor", "Limiter", "Gate", "Expander", "Maximizer", "Leveler", "De-Esser"),
     ("Threshold", "Ratio", "Attack", "Release", "Knee", "Makeup", "Lookahead", "Mix")),
    ("Fx|Reverb", False, ("Reverb", "Hall", "Plate", "Room", "Chamber", "Spring Verb"),
     ("Size", "Decay", "Pre-Delay", "Damping", "Diffusion", "Low Cut", "High Cut", "Mix")),
    ("Fx|Delay", False, ("Delay", "Echo", "Tape Echo", "Ping Pong", "Multitap"),
     ("Time", "Feedback", "Low Cut", "High Cut", "Wow", "Flutter", "Mix", "Width")),
    ("Fx|Distortion", False, ("Saturator", "Overdrive", "Fuzz", "Distortion", "Bitcrusher", "Amp"),
     ("Drive", "Tone", "Bias", "Bits", "Downsample", "Output", "Mix")),
    ("Fx|Modulation", False, ("Chorus", "Flanger", "Phaser", "Tremolo", "Vibrato", "Rotary", "Ensemble"),
     ("Rate", "Depth", "Feedback", "Phase", "Stages", "Spread", "Mix")),
    ("Fx|Filter", False, ("Filter", "Wah", "Resonator", "Formant Filter"),
     ("Cutoff", "Resonance", "Env Amount", "Env Attack", "Env Release", "Drive", "Mix")),
    ("Fx|Spatial", False, ("Stereo Imager", "Widener", "Panner", "Mid-Side Tool"),
     ("Width", "Pan", "Mid Level", "Side Level", "Bass Mono", "Output")),
    ("Fx|Tools", False, ("Gain", "Utility", "Trim", "Phase Rotator", "Tuner"),
     ("Gain", "Pan", "Phase", "Offset", "Output")),
    ("Fx|Mastering", False, ("Mastering Chain", "Dither", "Loudness Tool"),
     ("Target", "Ceiling", "Character", "Noise Shaping", "Output")),
    ("Fx|Restoration", False, ("Denoiser", "Declicker", "Dehummer"),
     ("Reduction", "Sensitivity", "Smoothing", "Frequency", "Output")),
    ("Analyzer", False, ("Spectrum Analyzer", "Meter", "Scope"),
     ("Range", "Slope", "Speed", "Hold")),
    ("Instrument|Synth", True, ("Synth", "Poly Synth", "Mono Synth", "Wavetable", "FM Synth", "Pad Machine"),
     ("Osc 1 Level", "Osc 2 Level", "Detune", "Cutoff", "Resonance", "Attack", "Decay", "Sustain", "Release")),
    ("Instrument|Sampler", True, ("Sampler", "Rompler", "Strings"),
     ("Start", "Length", "Attack", "Release", "Tune", "Volume")),
    ("Instrument|Drum", True, ("Drum Machine", "Drums", "Beat Box"),
     ("Kick Level", "Snare Level", "Hat Decay", "Swing", "Tune", "Volume")),
    ("Instrument|Piano", True, ("Piano", "E-Piano", "Keys"),
     ("Hammer", "Tine", "Tremolo", "Lid", "Tone", "Volume")),
)
CHOICES = (
    ("Off", "On"),
    ("Low", "Mid", "High"),
    ("Sine", "Triangle", "Saw", "Square"),
    ("Stereo", "Mid/Side", "Left", "Right"),
    ("Clean", "Warm", "Crunch", "Lead"),
    ("1/4", "1/8", "1/16", "1/8T", "1/16T"),
    ("Peak", "RMS"),
    ("Bell", "Low Shelf", "High Shelf", "Low Cut", "High Cut", "Notch"),
    ("x1", "x2", "x4", "x8"),
)
CHOICE_NAMES = ("Mode", "Type", "Shape", "Routing", "Character", "Sync", "Detector", "Oversampling")
#: units, display min, display max
RANGES = (("dB", -24.0, 24.0), ("dB", -60.0, 0.0), ("Hz", 20.0, 20000.0), ("ms", 0.1, 1000.0),
          ("%", 0.0, 100.0), ("s", 0.1, 20.0), ("", 0.0, 1.0), ("st", -24.0, 24.0))
STEPPED = (("Voices", 1, 16), ("Octave", -3, 3), ("Semitones", -12, 12), ("Bands", 1, 8), ("Polyphony", 1, 64))
# fmt: on


@attrs.frozen
class GeneratorOptions:
    """How many bundles and which shares misbehave or take special forms (fractions of `count`)."""

    count: int = attrs.field(validator=attrs.validators.ge(0))
    seed: int = 0
    crash_fraction: float = 0.0
    hang_fraction: float = 0.0
    slow_fraction: float = 0.0
    leak_fraction: float = 0.0
    noisy_fraction: float = 0.0
    shell_fraction: float = 0.0
    moduleinfo_fraction: float = 0.0
    instrument_fraction: float = 0.2
    slow_ms: int = 200
    leak_mb: int = 32
    #: pedalboard's load asks ~1000 value texts per continuous parameter: fewer parameters, faster scans
    min_params: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    max_params: int = 60
    #: Factory programs per plugin class ("Program 1", …, one IUnitInfo program list), 0 for none.
    programs: int = attrs.field(default=0, validator=attrs.validators.ge(0))

    def __attrs_post_init__(self) -> None:
        bad = self.crash_fraction + self.hang_fraction + self.slow_fraction + self.leak_fraction + self.noisy_fraction
        for name, value in attrs.asdict(self).items():
            if name.endswith("_fraction") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if bad > 1.0:
            raise ValueError(f"crash, hang, slow, leak and noisy fractions add up to {bad:.2f}, more than 1")
        if self.max_params < self.min_params:
            raise ValueError(f"max_params {self.max_params} is below min_params {self.min_params}")


def _params(rng: random.Random, typical: tuple[str, ...], options: GeneratorOptions) -> tuple[ParamSpec, ...]:
    """min to max parameters, most near 10: the kind's typical names first, then numbered extras."""
    low, high = options.min_params, options.max_params
    count = round(rng.triangular(low, high, min(max(10, low), high)))
    names: list[str] = list(typical[:count])
    section = rng.choice(("Band", "Osc", "Env", "LFO", "Channel", "Macro"))
    index = 1
    while len(names) < count:
        names.append(f"{section} {index} {rng.choice(('Level', 'Amount', 'Rate', 'Time', 'Gain', 'Freq'))}")
        index += 1
    params: list[ParamSpec] = []
    for name in dict.fromkeys(names):  # unique, order kept
        roll = rng.random()
        if roll < 0.2:
            texts = rng.choice(CHOICES)
            label = f"{rng.choice(CHOICE_NAMES)} {len(params) + 1}"
            params.append(ParamSpec(label, texts=texts, default=rng.randrange(len(texts)) / (len(texts) - 1)))
        elif roll < 0.3:
            label, low, high = rng.choice(STEPPED)
            steps = high - low
            params.append(
                ParamSpec(
                    f"{label} {len(params) + 1}",
                    min=low,
                    max=high,
                    steps=steps,
                    default=rng.randrange(steps + 1) / steps,
                )
            )
        else:
            units, bottom, top = rng.choice(RANGES)
            params.append(ParamSpec(name, units=units, min=bottom, max=top, default=round(rng.random(), 4)))
    return tuple(params)


def _plugin(rng: random.Random, vendor: str, used: set[str], instrument: bool, options: GeneratorOptions) -> PluginSpec:
    subcategories, _, nouns, typical = rng.choice([kind for kind in KINDS if kind[1] == instrument])
    while True:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(nouns)}{rng.choice(SUFFIXES)}"
        if name not in used:
            break
        name = f"{name} {rng.randint(2, 99)}"
        if name not in used:
            break
    used.add(name)
    if rng.random() < 0.3:
        subcategories += rng.choice(("|Stereo", "|Mono"))
    return PluginSpec(
        name=name,
        vendor=vendor,
        version=f"{rng.randint(1, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
        instrument=instrument,
        subcategories=subcategories,
        latency=rng.choice((0, 0, 0, 64, 256, 1024)),
        params=_params(rng, typical, options),
        programs=tuple(f"Program {index + 1}" for index in range(options.programs)),
    )


def _misbehaviour(rng: random.Random, kind: str, plugin: PluginSpec, options: GeneratorOptions) -> Misbehaviour:
    # pedalboard calls process() while loading an effect, but not an instrument (its warm-up is skipped)
    # and asks parameter infos only if there are parameters
    stages = tuple(
        stage
        for stage in LOAD_STAGES
        if not (stage == "process" and plugin.instrument) and not (stage == "params" and not plugin.params)
    )
    if kind == "crash":
        crash = rng.choice(CRASHES)
        return Misbehaviour(crash=crash, crash_stage=rng.choice(stages), exit_code=rng.randint(1, 120))
    if kind == "hang":
        return Misbehaviour(hang_stage=rng.choice(stages))
    if kind == "slow":
        return Misbehaviour(sleep_ms=options.slow_ms)
    if kind == "leak":
        return Misbehaviour(alloc_mb=options.leak_mb)
    if kind == "noisy":
        return Misbehaviour(stdout_bytes=rng.randint(64, 65536), stderr_bytes=rng.randint(64, 65536))
    return Misbehaviour()


def _assign(rng: random.Random, count: int, fractions: dict[str, float]) -> list[str]:
    """Give exactly round(fraction * count) bundles each kind of misbehaviour, at random places."""
    kinds: list[str] = []
    for kind, fraction in fractions.items():
        kinds += [kind] * round(fraction * count)
    kinds = kinds[:count] + ["ok"] * max(count - len(kinds), 0)
    rng.shuffle(kinds)
    return kinds


def generate_specs(options: GeneratorOptions) -> Iterator[BundleSpec]:
    """The bundles for `options`, deterministic for `options.seed`; nothing is written."""
    rng = random.Random(options.seed)
    behaviours = _assign(
        rng,
        options.count,
        {
            "crash": options.crash_fraction,
            "hang": options.hang_fraction,
            "slow": options.slow_fraction,
            "leak": options.leak_fraction,
            "noisy": options.noisy_fraction,
        },
    )
    shells = set(rng.sample(range(options.count), round(options.shell_fraction * options.count)))
    with_info = set(rng.sample(range(options.count), round(options.moduleinfo_fraction * options.count)))
    used_names: set[str] = set()
    for index, behaviour in enumerate(behaviours):
        vendor = rng.choice(VENDORS)
        size = rng.randint(2, 4) if index in shells else 1
        plugins = [
            _plugin(rng, vendor, used_names, rng.random() < options.instrument_fraction, options) for _ in range(size)
        ]
        plugins[0] = attrs.evolve(plugins[0], misbehaviour=_misbehaviour(rng, behaviour, plugins[0], options))
        if size > 1:
            name = f"{vendor} {rng.choice(('Bundle', 'Essentials', 'Collection', 'Suite', 'Toolbox'))} {index + 1}"
        else:
            name = plugins[0].name
        yield BundleSpec(name=name.replace("/", "-"), plugins=plugins, moduleinfo=index in with_info)


#: Stages that hit every plugin of a shell: pedalboard (JUCE) instantiates every class of a file to list it.
MODULE_STAGES = ("dlopen", "load", "factory")


def _kills_module(misbehaviour: Misbehaviour) -> bool:
    """Whether this misbehaviour also kills loads of the other plugins in the same bundle."""
    return (misbehaviour.crash is not None and misbehaviour.crash_stage in MODULE_STAGES) or (
        misbehaviour.hang_stage in MODULE_STAGES
    )


def expected_entry(bundle: Path, root: Path, spec: BundleSpec) -> dict[str, Any]:
    """What a scanner should find in `bundle` (for benchmarks to compare their results with).

    `load_kills` says whether loading that plugin (pedalboard, `initialization_timeout=0`) crashes or
    hangs the process: its own misbehaviour, or a sibling's in the same shell at dlopen, load or factory.
    """
    module_dies = any(_kills_module(plugin.misbehaviour) for plugin in spec.plugins)
    return {
        "path": bundle.relative_to(root).as_posix(),
        "bundle": spec.name,
        "shell": spec.is_shell,
        "moduleinfo": spec.moduleinfo,
        "kills": any(plugin.misbehaviour.kills for plugin in spec.plugins),
        "plugins": [
            {
                "name": plugin.name,
                "vendor": plugin.vendor,
                "version": plugin.version,
                "class_id": plugin.class_id,
                "subcategories": plugin.subcategories,
                "instrument": plugin.instrument,
                "audio_in": plugin.audio_in,
                "audio_out": plugin.audio_out,
                "latency": plugin.latency,
                "params": len(plugin.params),
                "param_names": [param.name for param in plugin.params],
                "misbehaviour": attrs.asdict(plugin.misbehaviour),
                "load_kills": module_dies or plugin.misbehaviour.kills,
            }
            for plugin in spec.plugins
        ],
    }


def make_plugins(
    directory: Path, library: Path, options: GeneratorOptions, *, link: LinkMode = "copy"
) -> dict[str, Any]:
    """Write the bundles for `options` into `directory` and `directory/expected.json`; return what was written."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = [
        expected_entry(make_bundle(directory, spec, library, link=link), directory, spec)
        for spec in generate_specs(options)
    ]
    expected = {
        "version": EXPECTED_VERSION,
        "root": str(directory.resolve()),
        "options": attrs.asdict(options),
        "count": len(entries),
        "summary": _summary(entries),
        "bundles": entries,
    }
    (directory / EXPECTED_NAME).write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return expected


def _summary(entries: list[dict[str, Any]]) -> dict[str, int]:
    plugins = [plugin for entry in entries for plugin in entry["plugins"]]
    return {
        "bundles": len(entries),
        "plugins": len(plugins),
        "shells": sum(entry["shell"] for entry in entries),
        "with_moduleinfo": sum(entry["moduleinfo"] for entry in entries),
        "crash": sum(plugin["misbehaviour"]["crash"] is not None for plugin in plugins),
        "hang": sum(plugin["misbehaviour"]["hang_stage"] is not None for plugin in plugins),
        "slow": sum(plugin["misbehaviour"]["sleep_ms"] > 0 for plugin in plugins),
        "leak": sum(plugin["misbehaviour"]["alloc_mb"] > 0 for plugin in plugins),
        "noisy": sum(plugin["misbehaviour"]["stdout_bytes"] > 0 for plugin in plugins),
    }


#: What the VST3 SDK's "Preset Locations" replace in vendor and plugin folder names.
_NOT_IN_FOLDER_NAMES = str.maketrans({char: "_" for char in '\\*?/:<>|"'})


def make_preset_tree(root: Path, expected: dict[str, Any], per_class: int) -> int:
    """Write `per_class` .vstpreset files for every plugin class in `expected` (as `make_plugins`
    returns it) under `root/<vendor>/<plugin>/`, as the VST3 SDK lays preset folders out; return how many."""
    written = 0
    for entry in expected["bundles"]:
        for plugin in entry["plugins"]:
            folder = (
                root / plugin["vendor"].translate(_NOT_IN_FOLDER_NAMES) / plugin["name"].translate(_NOT_IN_FOLDER_NAMES)
            )
            for index in range(per_class):
                name = f"Preset {index + 1}"
                write_vstpreset(folder / f"{name}.vstpreset", plugin["class_id"], info={"Name": name})
                written += 1
    return written
