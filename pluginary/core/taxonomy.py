"""The Pluginary taxonomy: two levels, as data, and how categorizers' proposals are merged.

A category name is a path: a top level ("Effect") or a top level and one of its
subcategories ("Effect/Reverb"). Every categorizer and exporter speaks these
names; `docs/taxonomy.md` documents them. The synonyms are the words that name
a subcategory in plugin names and format taxonomies ("verb", "hall", "plate" →
Reverb); `categorize_native` and `categorize_keywords` both look words up here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

import attrs

from pluginary.core.models import Category, CategorySource

SEPARATOR = "/"


@attrs.frozen
class Subcategory:
    name: str
    #: Lower-case words and short phrases that name this subcategory.
    synonyms: tuple[str, ...] = ()


@attrs.frozen
class TopLevel:
    name: str
    synonyms: tuple[str, ...] = ()
    subcategories: tuple[Subcategory, ...] = ()


TAXONOMY: tuple[TopLevel, ...] = (
    TopLevel(
        "Instrument",
        ("instrument", "vsti", "rompler", "workstation"),
        (
            Subcategory(
                "Synth",
                (
                    "synth",
                    "synthesizer",
                    "synthesiser",
                    "polysynth",
                    "monosynth",
                    "wavetable",
                    "subtractive",
                    "additive",
                    "fm synth",
                    "vocoder synth",
                    "modular",
                ),
            ),
            Subcategory(
                "Sampler",
                ("sampler", "multisampler", "sample player", "soundfont", "sf2", "sfz", "sampling"),
            ),
            Subcategory(
                "Drum",
                ("drum", "drums", "drum machine", "drumkit", "percussion", "kick", "snare", "beatbox", "808", "909"),
            ),
            Subcategory(
                "Piano",
                (
                    "piano",
                    "epiano",
                    "electric piano",
                    "rhodes",
                    "wurlitzer",
                    "wurli",
                    "grand",
                    "clavinet",
                    "harpsichord",
                    "keys",
                ),
            ),
            Subcategory("Organ", ("organ", "hammond", "tonewheel", "drawbar", "b3")),
            Subcategory("Other", ()),
        ),
    ),
    TopLevel(
        "Effect",
        ("effect", "effects", "fx"),
        (
            Subcategory(
                "EQ",
                (
                    "eq",
                    "equalizer",
                    "equaliser",
                    "equalization",
                    "geq",
                    "peq",
                    "parametric",
                    "graphic eq",
                    "tilt eq",
                    "dynamic eq",
                ),
            ),
            Subcategory(
                "Filter",
                (
                    "filter",
                    "lowpass",
                    "highpass",
                    "bandpass",
                    "notch",
                    "allpass",
                    "comb filter",
                    "wah",
                    "ladder",
                    "formant filter",
                ),
            ),
            Subcategory(
                "Dynamics",
                (
                    "dynamics",
                    "dynamic",
                    "compressor",
                    "comp",
                    "limiter",
                    "gate",
                    "expander",
                    "de-esser",
                    "deesser",
                    "transient",
                    "maximizer",
                    "maximiser",
                    "maxim",
                    "leveler",
                    "leveller",
                    "ducker",
                    "multiband compressor",
                ),
            ),
            Subcategory(
                "Reverb",
                (
                    "reverb",
                    "verb",
                    "reverberation",
                    "hall",
                    "room",
                    "plate",
                    "spring",
                    "chamber",
                    "convolution",
                    "impulse",
                    "ambience",
                ),
            ),
            Subcategory("Delay", ("delay", "echo", "ping pong", "slapback", "multitap", "tape delay")),
            Subcategory(
                "Modulation",
                (
                    "modulation",
                    "chorus",
                    "flanger",
                    "phaser",
                    "tremolo",
                    "vibrato",
                    "rotary",
                    "leslie",
                    "ensemble",
                    "ring modulator",
                    "ringmod",
                    "autopan",
                    "auto pan",
                    "uni-vibe",
                    "modulator",
                ),
            ),
            Subcategory(
                "Distortion",
                (
                    "distortion",
                    "overdrive",
                    "fuzz",
                    "saturation",
                    "saturator",
                    "amp",
                    "amp sim",
                    "cabinet",
                    "tube",
                    "valve",
                    "bitcrusher",
                    "crusher",
                    "waveshaper",
                    "exciter",
                    "clipper",
                    "drive",
                    "preamp",
                    "tape",
                ),
            ),
            Subcategory(
                "Pitch",
                (
                    "pitch",
                    "pitch shift",
                    "pitch shifter",
                    "pitchshift",
                    "harmonizer",
                    "octaver",
                    "autotune",
                    "pitch correction",
                    "transposer",
                    "whammy",
                ),
            ),
            Subcategory(
                "Spatial",
                (
                    "spatial",
                    "imager",
                    "widener",
                    "panner",
                    "surround",
                    "binaural",
                    "ambisonic",
                    "ambisonics",
                    "spatializer",
                    "hrtf",
                    "crossfeed",
                    "upmix",
                    "downmix",
                ),
            ),
            Subcategory(
                "Analyzer",
                (
                    "analyzer",
                    "analyser",
                    "analysis",
                    "meter",
                    "metering",
                    "scope",
                    "oscilloscope",
                    "spectrum",
                    "spectrogram",
                    "tuner",
                    "loudness meter",
                    "goniometer",
                    "vu",
                ),
            ),
            Subcategory(
                "Restoration",
                (
                    "restoration",
                    "denoise",
                    "denoiser",
                    "noise reduction",
                    "declick",
                    "declicker",
                    "decrackle",
                    "dehum",
                    "declip",
                    "declipper",
                    "repair",
                    "dereverb",
                ),
            ),
            Subcategory(
                "Utility",
                (
                    "utility",
                    "tool",
                    "tools",
                    "gain",
                    "trim",
                    "amplifier",
                    "volume",
                    "polarity",
                    "phase invert",
                    "crossover",
                    "splitter",
                    "router",
                    "mixer",
                    "channel tool",
                    "dc offset",
                ),
            ),
            Subcategory("Mastering", ("mastering", "master", "dither", "loudness maximizer")),
            Subcategory("Channel Strip", ("channel strip", "channelstrip", "console", "strip")),
        ),
    ),
    TopLevel("MIDI", ("midi", "arpeggiator", "arp", "chord", "chords", "sequencer", "midi fx")),
    TopLevel(
        "Generator",
        ("generator", "oscillator", "noise generator", "tone generator", "test tone", "signal generator", "metronome"),
    ),
)


def path(top: str, sub: str | None = None) -> str:
    """The category name for a top level and optional subcategory: "Effect/Reverb"."""
    return f"{top}{SEPARATOR}{sub}" if sub else top


def top_level(name: str) -> str:
    """The top level of a category name: "Effect" for "Effect/Reverb"."""
    return name.split(SEPARATOR, 1)[0]


def leaf(name: str) -> str:
    """The most specific part of a category name: "Reverb" for "Effect/Reverb"."""
    return name.rsplit(SEPARATOR, 1)[-1]


def is_specific(name: str) -> bool:
    """True for a name below a top level ("Effect/Reverb"), False for "Effect"."""
    return SEPARATOR in name


def names() -> Iterator[str]:
    """Every category name of the taxonomy, top levels first within each branch, in document order."""
    for top in TAXONOMY:
        yield top.name
        for sub in top.subcategories:
            yield path(top.name, sub.name)


#: Every known category name, for membership tests.
ALL_NAMES: frozenset[str] = frozenset(names())


@functools.cache
def synonym_index() -> Mapping[str, str]:
    """Each lower-case synonym (and each label) → the category name it stands for.

    A word listed under two categories keeps the first: the tables above are
    written so that does not happen, and a test checks it.
    """
    index: dict[str, str] = {}
    for top in TAXONOMY:
        for word in (top.name.lower(), *top.synonyms):
            index.setdefault(word, top.name)
        for sub in top.subcategories:
            # A catch-all ("Instrument/Other") has no synonyms and is never named by a word.
            for word in (sub.name.lower(), *sub.synonyms) if sub.synonyms else ():
                index.setdefault(word, path(top.name, sub.name))
    return MappingProxyType(index)


def merge_categories(existing_user: Sequence[Category], proposed: Sequence[Sequence[Category]]) -> tuple[Category, ...]:
    """Combine the user's categories with the categorizers' proposals, in pipeline order.

    - The user's categories come first, as given, and always win: a proposal
      with the same name is dropped whatever its confidence.
    - The first proposal (normally `native`) is taken whole. A later one
      (normally `keywords`) only fills in: it is used when nothing so far is
      more specific than a top level, and then only below the top levels
      already given, so it refines `Effect` to `Effect/Reverb` but never
      turns an effect into an instrument.
    - Names are de-duplicated keeping the highest confidence; a bare top level
      is dropped when one of its subcategories is present (it says no more).
    - Everything after the user's categories is ordered by confidence, best first.
    """
    user = _dedupe(existing_user)
    taken: dict[str, Category] = {}
    for index, proposal in enumerate(proposed):
        known = [*user, *taken.values()]
        if index > 0 and any(is_specific(c.name) for c in known):
            continue
        allowed_tops = {top_level(c.name) for c in known}
        for category in proposal:
            if index > 0 and allowed_tops and top_level(category.name) not in allowed_tops:
                continue
            current = taken.get(category.name)
            if current is None or category.confidence > current.confidence:
                taken[category.name] = category
    user_names = {c.name for c in user}
    rest = [c for name, c in taken.items() if name not in user_names]
    specific_tops = {top_level(c.name) for c in [*user, *rest] if is_specific(c.name)}
    rest = [c for c in rest if is_specific(c.name) or c.name not in specific_tops]
    rest.sort(key=lambda c: -c.confidence)  # stable: ties keep pipeline order
    return (*user, *rest)


def _dedupe(categories: Sequence[Category]) -> list[Category]:
    seen: dict[str, Category] = {}
    for category in categories:
        if category.name not in seen or category.confidence > seen[category.name].confidence:
            seen[category.name] = category
    return list(seen.values())


def user_category(name: str) -> Category:
    """A category the user set by hand: it wins over every categorizer."""
    return Category(name, CategorySource.USER, 1.0)
