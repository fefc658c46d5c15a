"""Realistic synthetic catalogues: N plugins × M parameters, the same for the same seed.

Shared by the catalogue tests and `benchmarks/bench_catalog.py`. Plugins come
in files (some files are shells holding several), from a pool of vendors, with
names, categories and parameters that fit their kind, so filters, sorting,
search ranking and statistics have something real to work on.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from attrs import evolve

from pluginary.core.models import (
    IO,
    Category,
    FileResult,
    Host,
    Parameter,
    ParameterKind,
    Plugin,
    PluginFile,
    Preset,
    PresetSource,
)
from pluginary.core.products import product_of

if TYPE_CHECKING:
    from pluginary.catalog import Catalog

VENDORS = (
    "FabFilter", "Valhalla DSP", "u-he", "Xfer Records", "Native Instruments", "Arturia", "Soundtoys",
    "Waves", "iZotope", "x42", "LSP", "Calf Studio Gear", "TAL Software", "Tokyo Dawn Labs", "Airwindows",
    "Surge Synth Team", "Eventide", "Plugin Alliance", "Melda Production", "Ｓｏｎｉｃ Ｃｈａｒｇｅ", "Zynaptiq",
)  # fmt: skip

#: kind word → (category, instrument?, parameter names that fit it)
KINDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "Reverb": ("Effect/Reverb", False, ("Decay", "Size", "Pre-Delay", "Damping", "Diffusion", "Early Reflections")),
    "Delay": ("Effect/Delay", False, ("Time", "Feedback", "Ping-Pong", "Sync", "Low Cut", "High Cut")),
    "EQ": ("Effect/EQ", False, ("Band 1 Frequency", "Band 1 Gain", "Band 1 Q", "Band 2 Frequency", "Band 2 Gain")),
    "Compressor": ("Effect/Dynamics", False, ("Threshold", "Ratio", "Attack", "Release", "Knee", "Makeup")),
    "Limiter": ("Effect/Dynamics", False, ("Ceiling", "Release", "Lookahead", "True Peak")),
    "Chorus": ("Effect/Modulation", False, ("Rate", "Depth", "Voices", "Spread")),
    "Distortion": ("Effect/Distortion", False, ("Drive", "Tone", "Bias", "Character")),
    "Synth": ("Instrument/Synth", True, ("Cutoff", "Resonance", "Osc 1 Wave", "Osc 2 Detune", "Filter Env", "Glide")),
    "Sampler": ("Instrument/Sampler", True, ("Sample Start", "Loop", "Root Key", "Velocity Curve")),
    "Drums": ("Instrument/Drums", True, ("Kick Level", "Snare Tune", "Hat Decay", "Room")),
    "Analyzer": ("Analyzer", False, ("Range", "Slope", "Hold")),
}

COMMON_PARAMETERS = ("Mix", "Output", "Input Gain", "Bypass", "Oversampling", "Quality", "Mode", "Width")
PREFIXES = ("Pro", "Vintage", "Super", "Micro", "Ultra", "Neo", "Tube", "Shimmer", "Echo", "Iron", "Crystal", "Dream")
SUFFIXES = ("", " 2", " 3", " MkII", " X", " Lite", " Pro", " Ⅱ")
ROOTS = {"vst3": "/usr/lib/vst3", "lv2": "/usr/lib/lv2", "au": "/Library/Audio/Plug-Ins/Components"}
SUFFIX = {"vst3": ".vst3", "lv2": ".lv2", "au": ".component"}


def iter_plugins(count: int, params: int | tuple[int, int] = (0, 60), *, seed: int = 0) -> Iterator[Plugin]:
    """`count` plugins, lazily; `params` is the number of parameters each, or a (low, high) range."""
    rng = random.Random(seed)
    for number in range(count):
        kind = rng.choice(tuple(KINDS))
        category, instrument, kind_parameters = KINDS[kind]
        vendor = rng.choice(VENDORS)
        fmt = rng.choices(("vst3", "lv2", "au"), weights=(6, 3, 1))[0]
        name = f"{rng.choice(PREFIXES)}{kind}{rng.choice(SUFFIXES)}"
        n_params = params if isinstance(params, int) else rng.randint(*params)
        digest = hashlib.sha1(f"{seed}:{number}".encode()).hexdigest()
        identity = {
            "vst3": digest[:32].upper(),
            "lv2": f"https://{vendor.lower().replace(' ', '-')}.example/plugins/{digest[:10]}",
            "au": f"{'aumu' if instrument else 'aufx'}-{digest[:4]}-{vendor[:4]}",
        }[fmt]
        yield Plugin(
            id=f"{fmt}:{identity}",
            format=fmt,
            name=name,
            path=f"{ROOTS[fmt]}/{vendor}/{name}-{number}{SUFFIX[fmt]}",
            vendor=vendor,
            version=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",
            native_categories=("Instrument|Synth",) if instrument else (f"Fx|{kind}",),
            is_instrument=instrument,
            is_effect=not instrument,
            categories=(Category(category, confidence=round(rng.uniform(0.5, 1.0), 2)),),
            io=IO(audio_inputs=0 if instrument else 2, audio_outputs=2, midi_inputs=1 if instrument else 0),
            latency=rng.choice((None, 0, 64, 512)),
            sdk="3.7.9" if fmt == "vst3" else "",
            parameters=tuple(_parameters(rng, n_params, kind_parameters)),
            scanned_at=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00+00:00",
            scanner_version="0.1.0",
            host=Host(name="studio", os="linux"),
        )


def _parameters(rng: random.Random, count: int, names: tuple[str, ...]) -> Iterator[Parameter]:
    pool = names + COMMON_PARAMETERS
    for index in range(count):
        base = pool[index % len(pool)]
        name = base if index < len(pool) else f"{base} {index // len(pool) + 1}"
        kind = rng.choices(tuple(ParameterKind), weights=(7, 1, 1, 1))[0]
        if kind is ParameterKind.CHOICE:
            choices = ("Off", "Low", "Medium", "High")
            yield Parameter(index, name, kind, default=0.0, minimum=0.0, maximum=1.0, default_text="Off",
                            num_steps=len(choices) - 1, choices=choices)  # fmt: skip
        elif kind is ParameterKind.BOOL:
            yield Parameter(index, name, kind, default=0.0, minimum=0.0, maximum=1.0, default_text="Off",
                            minimum_text="Off", maximum_text="On", num_steps=1)  # fmt: skip
        else:
            units = rng.choice(("dB", "%", "ms", "Hz", ""))
            default = round(rng.random(), 3)
            yield Parameter(
                index,
                name,
                kind,
                units=units,
                default=default,
                minimum=0.0,
                maximum=1.0,
                default_text=f"{default * 100:.1f} {units}".strip(),
                minimum_text=f"0 {units}".strip(),
                maximum_text=f"100 {units}".strip(),
                num_steps=100 if kind is ParameterKind.INT else None,
                automatable=rng.random() > 0.05,
            )


def file_for(plugin: Plugin, *, fingerprint: str = "v1") -> PluginFile:
    return PluginFile(path=plugin.path, format=plugin.format, size=4096, mtime_ns=1, fingerprint=fingerprint)


def iter_results(
    plugins: Iterator[Plugin] | list[Plugin], *, shells: float = 0.05, seed: int = 0
) -> Iterator[FileResult]:
    """Plugins grouped into files: about `shells` of the files hold two to four plugins."""
    rng = random.Random(seed)
    stream = iter(plugins)
    for first in stream:
        extra = rng.randint(1, 3) if rng.random() < shells else 0
        members = (first, *islice(stream, extra))
        members = tuple(evolve(plugin, path=first.path) for plugin in members)
        yield FileResult(file=file_for(first), plugins=members)


def batches(results: Iterator[FileResult], size: int = 100) -> Iterator[list[FileResult]]:
    while batch := list(islice(results, size)):
        yield batch


def check_products_and_presets_work(catalog: Catalog, plugins: dict[str, Plugin]) -> None:
    """What every catalogue upgraded from before products and presets must do (the SQLite and the
    PostgreSQL migration tests ask it of a file written by the old code): every plugin got the rule's
    product key; product tags and groupings work; a preset is stored with its file and found; removing
    a copy of a plugin installed twice still promotes the other."""
    keys = catalog.backend.product_keys()
    assert keys == {plugin_id: product_of(plugin) for plugin_id, plugin in plugins.items()}
    pro_q = {p.id for p in plugins.values() if p.name == "Pro-Q 3"}
    assert len({keys[plugin_id] for plugin_id in pro_q}) == 1
    assert catalog.backend.tag_product(keys[min(pro_q)], ["bright"]) == ("bright",)
    assert {p.id for p in catalog.plugins(tag="bright")} == pro_q
    zam = [p.id for p in plugins.values() if p.vendor == "Damien Zammit"]
    catalog.backend.group(zam, "zam/suite")
    assert set(catalog.backend.product_keys(zam).values()) == {"zam/suite"}
    compressor = plugins["lv2:urn:x42:dpl"]
    preset = Preset("urn:x42:preset:gentle", "Gentle", compressor.id, "lv2", PresetSource.BUNDLE, path="/p.lv2")
    catalog.backend.write([FileResult(PluginFile("/p.lv2", "lv2", 1, 1, "fp"), presets=(preset,))])
    assert [p.name for p in catalog.search_presets("gentle")] == ["Gentle"]
    assert [p.fingerprint for p in catalog.presets(compressor.id)] == ["fp"]
    catalog.backend.remove([compressor.path])
    assert catalog.get(compressor.id).path != compressor.path  # type: ignore[union-attr]
    assert catalog.check() == []
