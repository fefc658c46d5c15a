"""`native`: map each format's own taxonomy onto Pluginary's.

Sources of the format vocabularies (the data below is written from them):

- VST3: the `PlugType` sub-category strings of the VST3 SDK
  (`pluginterfaces/vst/ivstaudioprocessor.h`): `Fx|EQ`, `Instrument|Synth|Sampler`,
  `Spatial|Fx`, the markers `OnlyRT`, `NoOfflineProcess`, … and the channel hints
  `Mono`/`Stereo`/`Surround`. A plugin's string joins several with `|`.
- LV2: the plugin classes of the LV2 core vocabulary (`lv2core.ttl`), with their
  `rdfs:subClassOf` hierarchy: a class mapped nowhere below takes its parent's
  place (`lv2:ParaEQPlugin` → `lv2:EQPlugin` → Effect/EQ).
- AU: the component type codes of AudioToolbox (`AUComponent.h`): `aumu`,
  `aufx`, `aumf`, `augn`, `aumi`, … plus Apple's free-text component tags.
- CLAP: the plugin features of `clap/plugin-features.h` (`instrument`,
  `audio-effect`, `reverb`, …), as the CLAP reader (`formats/clap.py`) gives them.

A string no table knows is looked up among the taxonomy's synonyms, with a
lower confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from pluginary.core import taxonomy
from pluginary.core.models import Category, CategorySource, Plugin

INSTRUMENT = "Instrument"
EFFECT = "Effect"
MIDI = "MIDI"
GENERATOR = "Generator"


def _fx(sub: str) -> str:
    return taxonomy.path(EFFECT, sub)


def _inst(sub: str) -> str:
    return taxonomy.path(INSTRUMENT, sub)


#: Confidence of a category a format states outright, and of one only found through synonyms.
STATED = 1.0
INFERRED = 0.8
#: LV2's SimulatorPlugin ("emulates a specific sound", mostly amps and cabinets) is a loose fit.
LOOSE = 0.6

# --- VST3 -------------------------------------------------------------------------------------------

#: The first word of a sub-category string says what kind of plugin follows.
VST3_DOMAINS: dict[str, str] = {
    "fx": EFFECT,
    "instrument": INSTRUMENT,
    "spatial": _fx("Spatial"),
    "analyzer": _fx("Analyzer"),
    "ambisonics": _fx("Spatial"),
    "up-downmix": _fx("Spatial"),
}
#: Words after `Fx`.
VST3_FX: dict[str, str] = {
    "analyzer": _fx("Analyzer"),
    "bass": EFFECT,
    "channel strip": _fx("Channel Strip"),
    "delay": _fx("Delay"),
    "distortion": _fx("Distortion"),
    "drums": EFFECT,
    "dynamics": _fx("Dynamics"),
    "eq": _fx("EQ"),
    "filter": _fx("Filter"),
    "generator": GENERATOR,
    "guitar": EFFECT,
    "instrument": EFFECT,  # kFxInstrument: an effect that may also be loaded as an instrument
    "external": EFFECT,
    "mastering": _fx("Mastering"),
    "microphone": EFFECT,
    "modulation": _fx("Modulation"),
    "network": _fx("Utility"),
    "pitch shift": _fx("Pitch"),
    "restoration": _fx("Restoration"),
    "reverb": _fx("Reverb"),
    "spatial": _fx("Spatial"),
    "surround": _fx("Spatial"),
    "tools": _fx("Utility"),
    "vocals": EFFECT,
}
#: Words after `Instrument`.
VST3_INSTRUMENT: dict[str, str] = {
    "drum": _inst("Drum"),
    "external": _inst("Other"),
    "piano": _inst("Piano"),
    "sampler": _inst("Sampler"),
    "synth": _inst("Synth"),
}
#: Words that describe how a plugin runs, not what it is.
VST3_MARKERS = frozenset({"onlyrt", "onlyofflineprocess", "onlyara", "noofflineprocess"})
#: Channel hints; `Surround` right after `Fx` is the Fx|Surround category instead.
VST3_CHANNELS = frozenset({"mono", "stereo", "surround"})

# --- LV2 --------------------------------------------------------------------------------------------

LV2_CORE = "http://lv2plug.in/ns/lv2core#"
#: rdfs:subClassOf in lv2core.ttl (ReverbPlugin also descends from DelayPlugin; it is mapped itself).
LV2_PARENT: dict[str, str] = {
    "AllpassPlugin": "FilterPlugin",
    "AmplifierPlugin": "DynamicsPlugin",
    "AnalyserPlugin": "UtilityPlugin",
    "BandpassPlugin": "FilterPlugin",
    "ChorusPlugin": "ModulatorPlugin",
    "CombPlugin": "FilterPlugin",
    "CompressorPlugin": "DynamicsPlugin",
    "ConstantPlugin": "GeneratorPlugin",
    "ConverterPlugin": "UtilityPlugin",
    "DelayPlugin": "Plugin",
    "DistortionPlugin": "Plugin",
    "DynamicsPlugin": "Plugin",
    "EQPlugin": "FilterPlugin",
    "EnvelopePlugin": "DynamicsPlugin",
    "ExpanderPlugin": "DynamicsPlugin",
    "FilterPlugin": "Plugin",
    "FlangerPlugin": "ModulatorPlugin",
    "FunctionPlugin": "UtilityPlugin",
    "GatePlugin": "DynamicsPlugin",
    "GeneratorPlugin": "Plugin",
    "HighpassPlugin": "FilterPlugin",
    "InstrumentPlugin": "GeneratorPlugin",
    "LimiterPlugin": "DynamicsPlugin",
    "LowpassPlugin": "FilterPlugin",
    "MIDIPlugin": "Plugin",
    "MixerPlugin": "UtilityPlugin",
    "ModulatorPlugin": "Plugin",
    "MultiEQPlugin": "EQPlugin",
    "OscillatorPlugin": "GeneratorPlugin",
    "ParaEQPlugin": "EQPlugin",
    "PhaserPlugin": "ModulatorPlugin",
    "PitchPlugin": "SpectralPlugin",
    "ReverbPlugin": "SimulatorPlugin",
    "SimulatorPlugin": "Plugin",
    "SpatialPlugin": "Plugin",
    "SpectralPlugin": "Plugin",
    "UtilityPlugin": "Plugin",
    "WaveshaperPlugin": "DistortionPlugin",
}
#: Only the classes whose place differs from their parent's; the rest inherit it.
LV2_CLASSES: dict[str, tuple[str, float]] = {
    "AmplifierPlugin": (_fx("Utility"), STATED),  # a gain stage, though lv2core files it under dynamics
    "AnalyserPlugin": (_fx("Analyzer"), STATED),
    "DelayPlugin": (_fx("Delay"), STATED),
    "DistortionPlugin": (_fx("Distortion"), STATED),
    "DynamicsPlugin": (_fx("Dynamics"), STATED),
    "EQPlugin": (_fx("EQ"), STATED),
    "FilterPlugin": (_fx("Filter"), STATED),
    "GeneratorPlugin": (GENERATOR, STATED),
    "InstrumentPlugin": (INSTRUMENT, STATED),
    "MIDIPlugin": (MIDI, STATED),
    "ModulatorPlugin": (_fx("Modulation"), STATED),
    "PitchPlugin": (_fx("Pitch"), STATED),
    "ReverbPlugin": (_fx("Reverb"), STATED),
    "SimulatorPlugin": (_fx("Distortion"), LOOSE),
    "SpatialPlugin": (_fx("Spatial"), STATED),
    "SpectralPlugin": (EFFECT, STATED),
    "UtilityPlugin": (_fx("Utility"), STATED),
}

# --- AU ---------------------------------------------------------------------------------------------

AU_TYPES: dict[str, str] = {
    "aumu": INSTRUMENT,  # music device
    "aufx": EFFECT,
    "aumf": EFFECT,  # music effect: an effect that also takes MIDI
    "auol": EFFECT,  # offline effect
    "augn": GENERATOR,
    "aumi": MIDI,  # MIDI processor
    "aufc": _fx("Utility"),  # format converter
    "aumx": _fx("Utility"),  # mixer
    "aupn": _fx("Spatial"),  # panner
}

# --- CLAP -------------------------------------------------------------------------------------------

CLAP_FEATURES: dict[str, str] = {
    "instrument": INSTRUMENT,
    "audio-effect": EFFECT,
    "note-effect": MIDI,
    "note-detector": MIDI,
    "analyzer": _fx("Analyzer"),
    "synthesizer": _inst("Synth"),
    "sampler": _inst("Sampler"),
    "drum": _inst("Drum"),
    "drum-machine": _inst("Drum"),
    "filter": _fx("Filter"),
    "phaser": _fx("Modulation"),
    "equalizer": _fx("EQ"),
    "de-esser": _fx("Dynamics"),
    "phase-vocoder": EFFECT,
    "granular": EFFECT,
    "frequency-shifter": _fx("Modulation"),
    "pitch-shifter": _fx("Pitch"),
    "distortion": _fx("Distortion"),
    "transient-shaper": _fx("Dynamics"),
    "compressor": _fx("Dynamics"),
    "expander": _fx("Dynamics"),
    "gate": _fx("Dynamics"),
    "limiter": _fx("Dynamics"),
    "flanger": _fx("Modulation"),
    "chorus": _fx("Modulation"),
    "delay": _fx("Delay"),
    "reverb": _fx("Reverb"),
    "tremolo": _fx("Modulation"),
    "glitch": EFFECT,
    "utility": _fx("Utility"),
    "pitch-correction": _fx("Pitch"),
    "restoration": _fx("Restoration"),
    "multi-effects": EFFECT,
    "mixing": _fx("Utility"),
    "mastering": _fx("Mastering"),
    "ambisonic": _fx("Spatial"),
}
CLAP_CHANNELS = frozenset({"mono", "stereo", "surround"})

Found = list[tuple[str, float]]


def _by_synonym(word: str) -> Found:
    name = taxonomy.synonym_index().get(word.strip().lower())
    return [(name, INFERRED)] if name else []


def vst3_categories(strings: Iterable[str]) -> Found:
    """Categories for a VST3 plugin's sub-category strings (each may join several with `|`)."""
    strings = list(strings)
    if len(strings) > 1 and not any("|" in s for s in strings):
        # moduleinfo.json and some hosts store one string's words separately: ("Fx", "Instrument").
        strings = ["|".join(strings)]
    found: Found = []
    for string in strings:
        words = [w.strip() for w in string.split("|") if w.strip()]
        if not words:
            continue
        first = words[0].lower()
        domain = VST3_DOMAINS.get(first)
        if domain is None:
            # A string that is only a category word ("EQ"), or a vendor's own word.
            known = VST3_FX.get(first) or VST3_INSTRUMENT.get(first)
            found.extend([(known, STATED)] if known else _by_synonym(first))
            continue
        table = VST3_FX if first == "fx" else VST3_INSTRUMENT if first == "instrument" else {}
        specific: Found = []
        for position, word in enumerate(words[1:], start=1):
            key = word.lower()
            if key in VST3_MARKERS or (key in VST3_CHANNELS and not (position == 1 and key in table)):
                continue
            if key in VST3_DOMAINS and key not in table:  # "Spatial|Fx": the first word said it all
                continue
            specific.extend([(table[key], STATED)] if key in table else _by_synonym(key))
        found.extend(specific or [(domain, STATED)])
    return found


def lv2_class(value: str) -> str:
    """The local name of an LV2 class given as a URI, a `lv2:` CURIE or a bare name."""
    for prefix in (LV2_CORE, "lv2:"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def lv2_categories(classes: Iterable[str]) -> Found:
    """Categories for LV2 classes; an unmapped class takes its nearest mapped ancestor's place."""
    found: Found = []
    for value in classes:
        name = lv2_class(value.strip())
        while name not in LV2_CLASSES and name in LV2_PARENT:  # every chain ends at lv2:Plugin
            name = LV2_PARENT[name]
        if name in LV2_CLASSES:
            found.append(LV2_CLASSES[name])
    return found


def au_categories(values: Iterable[str]) -> Found:
    """Categories for an AU's component type code and free-text tags ("Reverb", "Synthesizer")."""
    found: Found = []
    for value in values:
        key = value.strip().lower()
        found.extend([(AU_TYPES[key], STATED)] if key in AU_TYPES else _by_synonym(key))
    return found


def clap_categories(features: Iterable[str]) -> Found:
    found: Found = []
    for value in features:
        key = value.strip().lower()
        if key in CLAP_CHANNELS:
            continue
        found.extend([(CLAP_FEATURES[key], STATED)] if key in CLAP_FEATURES else _by_synonym(key))
    return found


def _unknown_format(values: Iterable[str]) -> Found:
    """A format without a table of its own: its words may still be synonyms."""
    return [item for value in values for item in _by_synonym(value)]


MAPPERS: dict[str, Callable[[Iterable[str]], Found]] = {
    "vst3": vst3_categories,
    "lv2": lv2_categories,
    "au": au_categories,
    "clap": clap_categories,
}


class NativeCategorizer:
    """Places a plugin by what its format says it is."""

    name: ClassVar[str] = "native"

    def categorize(self, plugin: Plugin) -> list[Category]:
        mapper = MAPPERS.get(plugin.format, _unknown_format)
        found = mapper(plugin.native_categories)
        if not found and plugin.is_instrument:
            found = [(INSTRUMENT, STATED)]
        elif not found and plugin.is_effect:
            found = [(EFFECT, STATED)]
        return _categories(found)


def _categories(found: Found) -> list[Category]:
    """One Category per name (first place, best confidence), without a top level a subcategory implies."""
    best: dict[str, float] = {}
    for name, confidence in found:
        best[name] = max(confidence, best.get(name, 0.0))
    specific_tops = {taxonomy.top_level(n) for n in best if taxonomy.is_specific(n)}
    return [
        Category(name, CategorySource.NATIVE, confidence)
        for name, confidence in best.items()
        if taxonomy.is_specific(name) or name not in specific_tops
    ]
