"""The taxonomy, the `native` and `keywords` categorizers, and how their proposals merge."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from pluginary.categorizers.keywords import PARAMETER_CUES, KeywordCategorizer, words
from pluginary.categorizers.native import (
    AU_TYPES,
    CLAP_FEATURES,
    LV2_CLASSES,
    LV2_PARENT,
    VST3_DOMAINS,
    VST3_FX,
    VST3_INSTRUMENT,
    NativeCategorizer,
)
from pluginary.core import taxonomy
from pluginary.core.interfaces import Categorizer
from pluginary.core.models import IO, Category, CategorySource, Parameter, Plugin
from pluginary.core.taxonomy import merge_categories

NATIVE, KEYWORDS, USER = CategorySource.NATIVE, CategorySource.KEYWORDS, CategorySource.USER
DOCS = Path(__file__).resolve().parents[1] / "docs" / "taxonomy.md"


def plugin(
    fmt: str = "vst3", name: str = "Thing", native: tuple[str, ...] = (), params: tuple[str, ...] = (), **fields: Any
) -> Plugin:
    return Plugin(
        id=f"{fmt}:{name}",
        format=fmt,
        name=name,
        path=f"/plugins/{name}",
        native_categories=native,
        parameters=tuple(Parameter(index=i, name=p) for i, p in enumerate(params)),
        **fields,
    )


def names(categories: list[Category] | tuple[Category, ...]) -> list[str]:
    return [c.name for c in categories]


# --- the taxonomy -----------------------------------------------------------------------------------


def test_taxonomy_has_the_two_levels_the_issue_lists() -> None:
    tops = {top.name: [sub.name for sub in top.subcategories] for top in taxonomy.TAXONOMY}
    assert tops == {
        "Instrument": ["Synth", "Sampler", "Drum", "Piano", "Organ", "Other"],
        "Effect": [
            "EQ",
            "Filter",
            "Dynamics",
            "Reverb",
            "Delay",
            "Modulation",
            "Distortion",
            "Pitch",
            "Spatial",
            "Analyzer",
            "Restoration",
            "Utility",
            "Mastering",
            "Channel Strip",
        ],
        "MIDI": [],
        "Generator": [],
    }


def test_no_word_names_two_categories() -> None:
    seen: dict[str, str] = {}
    for top in taxonomy.TAXONOMY:
        entries = [(top.name, w) for w in (top.name.lower(), *top.synonyms)]
        entries += [
            (taxonomy.path(top.name, s.name), w) for s in top.subcategories for w in (s.name.lower(), *s.synonyms)
        ]
        for category, word in entries:
            assert seen.setdefault(word, category) == category, f"{word!r} names {seen[word]} and {category}"


def test_every_mapping_targets_a_taxonomy_name() -> None:
    targets = [
        *VST3_DOMAINS.values(),
        *VST3_FX.values(),
        *VST3_INSTRUMENT.values(),
        *AU_TYPES.values(),
        *CLAP_FEATURES.values(),
        *(name for name, _ in LV2_CLASSES.values()),
        *PARAMETER_CUES,
    ]
    assert set(targets) <= taxonomy.ALL_NAMES


def test_taxonomy_doc_lists_every_category() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in taxonomy.names() if f"`{name}`" not in text]
    assert not missing, f"docs/taxonomy.md does not mention {missing}"


def test_categorizers_implement_the_protocol() -> None:
    assert isinstance(NativeCategorizer(), Categorizer)
    assert isinstance(KeywordCategorizer(), Categorizer)


# --- native: VST3 -----------------------------------------------------------------------------------

#: Every sub-category string of the VST3 SDK's PlugType namespace (ivstaudioprocessor.h) → expected place.
VST3_SDK = {
    "Fx": ["Effect"],
    "Fx|Analyzer": ["Effect/Analyzer"],
    "Fx|Bass": ["Effect"],
    "Fx|Channel Strip": ["Effect/Channel Strip"],
    "Fx|Delay": ["Effect/Delay"],
    "Fx|Distortion": ["Effect/Distortion"],
    "Fx|Drums": ["Effect"],
    "Fx|Dynamics": ["Effect/Dynamics"],
    "Fx|EQ": ["Effect/EQ"],
    "Fx|Filter": ["Effect/Filter"],
    "Fx|Generator": ["Generator"],
    "Fx|Guitar": ["Effect"],
    "Fx|Instrument": ["Effect"],
    "Fx|Instrument|External": ["Effect"],
    "Fx|Mastering": ["Effect/Mastering"],
    "Fx|Microphone": ["Effect"],
    "Fx|Modulation": ["Effect/Modulation"],
    "Fx|Network": ["Effect/Utility"],
    "Fx|Pitch Shift": ["Effect/Pitch"],
    "Fx|Restoration": ["Effect/Restoration"],
    "Fx|Reverb": ["Effect/Reverb"],
    "Fx|Spatial": ["Effect/Spatial"],
    "Fx|Surround": ["Effect/Spatial"],
    "Fx|Tools": ["Effect/Utility"],
    "Fx|Vocals": ["Effect"],
    "Instrument": ["Instrument"],
    "Instrument|Drum": ["Instrument/Drum"],
    "Instrument|External": ["Instrument/Other"],
    "Instrument|Piano": ["Instrument/Piano"],
    "Instrument|Sampler": ["Instrument/Sampler"],
    "Instrument|Synth": ["Instrument/Synth"],
    "Instrument|Synth|Sampler": ["Instrument/Synth", "Instrument/Sampler"],
    "Spatial": ["Effect/Spatial"],
    "Spatial|Fx": ["Effect/Spatial"],
    "Analyzer": ["Effect/Analyzer"],
    "Ambisonics": ["Effect/Spatial"],
    "Up-Downmix": ["Effect/Spatial"],
}


@pytest.mark.parametrize(("string", "expected"), VST3_SDK.items())
def test_native_maps_every_vst3_sdk_subcategory(string: str, expected: list[str]) -> None:
    found = NativeCategorizer().categorize(plugin("vst3", native=(string,)))
    assert names(found) == expected
    assert all(c.source == NATIVE and c.confidence == 1.0 for c in found)


@pytest.mark.parametrize(
    ("strings", "expected"),
    [
        (("Fx|Reverb|Stereo",), ["Effect/Reverb"]),  # a channel hint is not a category
        (("Fx|EQ|Mono|OnlyRT",), ["Effect/EQ"]),  # nor is a processing marker
        (("Instrument|Synth|NoOfflineProcess",), ["Instrument/Synth"]),
        (("Fx", "EQ"), ["Effect/EQ"]),  # moduleinfo.json stores one string's words separately
        (("Fx", "Instrument", "External"), ["Effect"]),
        (("Instrument", "Synth", "Sampler"), ["Instrument/Synth", "Instrument/Sampler"]),
        (("Fx", "Generator"), ["Generator"]),
        (("Fx|EQ", "Fx|Dynamics"), ["Effect/EQ", "Effect/Dynamics"]),  # two whole strings
        (("EQ",), ["Effect/EQ"]),
        (("Fx|Delay|Reverb",), ["Effect/Delay", "Effect/Reverb"]),
        (("Fx|Instrument|Organ",), ["Effect", "Instrument/Organ"]),  # a vendor's own word, via synonyms
        (("OnlyARA",), []),
    ],
)
def test_native_vst3_combinations(strings: tuple[str, ...], expected: list[str]) -> None:
    assert names(NativeCategorizer().categorize(plugin("vst3", native=strings))) == expected


def test_native_vendor_word_found_by_synonym_is_less_sure() -> None:
    found = NativeCategorizer().categorize(plugin("vst3", native=("Fx|Chorus",)))
    assert [(c.name, c.confidence) for c in found] == [("Effect/Modulation", 0.8)]


# --- native: LV2 ------------------------------------------------------------------------------------

#: Every plugin class of lv2core.ttl → expected place; unlisted classes inherit their parent's.
LV2_CORE = {
    "Plugin": [],
    "AllpassPlugin": ["Effect/Filter"], "AmplifierPlugin": ["Effect/Utility"],
    "AnalyserPlugin": ["Effect/Analyzer"], "BandpassPlugin": ["Effect/Filter"],
    "ChorusPlugin": ["Effect/Modulation"], "CombPlugin": ["Effect/Filter"],
    "CompressorPlugin": ["Effect/Dynamics"], "ConstantPlugin": ["Generator"],
    "ConverterPlugin": ["Effect/Utility"], "DelayPlugin": ["Effect/Delay"],
    "DistortionPlugin": ["Effect/Distortion"], "DynamicsPlugin": ["Effect/Dynamics"],
    "EQPlugin": ["Effect/EQ"], "EnvelopePlugin": ["Effect/Dynamics"], "ExpanderPlugin": ["Effect/Dynamics"],
    "FilterPlugin": ["Effect/Filter"], "FlangerPlugin": ["Effect/Modulation"],
    "FunctionPlugin": ["Effect/Utility"], "GatePlugin": ["Effect/Dynamics"], "GeneratorPlugin": ["Generator"],
    "HighpassPlugin": ["Effect/Filter"], "InstrumentPlugin": ["Instrument"],
    "LimiterPlugin": ["Effect/Dynamics"], "LowpassPlugin": ["Effect/Filter"], "MIDIPlugin": ["MIDI"],
    "MixerPlugin": ["Effect/Utility"], "ModulatorPlugin": ["Effect/Modulation"], "MultiEQPlugin": ["Effect/EQ"],
    "OscillatorPlugin": ["Generator"], "ParaEQPlugin": ["Effect/EQ"], "PhaserPlugin": ["Effect/Modulation"],
    "PitchPlugin": ["Effect/Pitch"], "ReverbPlugin": ["Effect/Reverb"], "SimulatorPlugin": ["Effect/Distortion"],
    "SpatialPlugin": ["Effect/Spatial"], "SpectralPlugin": ["Effect"], "UtilityPlugin": ["Effect/Utility"],
    "WaveshaperPlugin": ["Effect/Distortion"],
}  # fmt: skip


@pytest.mark.parametrize(("local", "expected"), LV2_CORE.items())
@pytest.mark.parametrize("spelling", ["http://lv2plug.in/ns/lv2core#{}", "lv2:{}"])
def test_native_maps_every_lv2_class(local: str, expected: list[str], spelling: str) -> None:
    found = NativeCategorizer().categorize(plugin("lv2", native=(spelling.format(local), "lv2:Plugin")))
    assert names(found) == expected


def test_lv2_table_covers_the_whole_core_hierarchy() -> None:
    assert set(LV2_PARENT) | {"Plugin"} == set(LV2_CORE)


def test_lv2_subclass_takes_its_parents_place() -> None:
    # ParaEQPlugin is not mapped itself: it is an EQPlugin, which is mapped.
    assert "ParaEQPlugin" not in LV2_CLASSES and LV2_PARENT["ParaEQPlugin"] == "EQPlugin"
    assert names(NativeCategorizer().categorize(plugin("lv2", native=("lv2:ParaEQPlugin",)))) == ["Effect/EQ"]


def test_lv2_simulator_is_a_loose_fit() -> None:
    [found] = NativeCategorizer().categorize(plugin("lv2", native=("lv2:SimulatorPlugin",)))
    assert found.confidence < 1.0


def test_native_on_real_lv2_turtle(debian_lv2_dir: Path) -> None:
    """The classes declared in Debian's zam-plugins Turtle map where their names say they should."""
    pyoxigraph = pytest.importorskip("pyoxigraph")
    expected = {
        "ZamComp": "Effect/Dynamics",
        "ZamVerb": "Effect/Reverb",
        "ZamEQ2": "Effect/EQ",
        "ZamDelay": "Effect/Delay",
        "ZamTube": "Effect/Distortion",
        "ZamGate": "Effect/Dynamics",
    }
    for name, category in expected.items():
        store = pyoxigraph.Store()
        for ttl in (debian_lv2_dir / f"{name}.lv2").glob("*.ttl"):
            store.load(path=str(ttl), format=pyoxigraph.RdfFormat.TURTLE, base_iri=ttl.as_uri())
        classes = tuple(row[0].value for row in store.query(f"SELECT ?c WHERE {{ <urn:zamaudio:{name}> a ?c }}"))
        ports = tuple(
            row[0].value
            for row in store.query(
                f"SELECT ?n WHERE {{ <urn:zamaudio:{name}> <http://lv2plug.in/ns/lv2core#port> ?p . "
                "?p a <http://lv2plug.in/ns/lv2core#ControlPort> ; <http://lv2plug.in/ns/lv2core#name> ?n }"
            )
        )
        real = plugin("lv2", name=name, native=classes, params=ports)
        assert names(NativeCategorizer().categorize(real)) == [category], name
        # Hide the class: the keywords guess from the real name and port names agrees.
        hidden = plugin("lv2", name=name, params=ports)
        assert names(KeywordCategorizer().categorize(hidden))[0] == category, name


# --- native: AU, CLAP, flags --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("aumu",), ["Instrument"]),
        (("aufx",), ["Effect"]),
        (("aumf",), ["Effect"]),
        (("auol",), ["Effect"]),
        (("augn",), ["Generator"]),
        (("aumi",), ["MIDI"]),
        (("aufc",), ["Effect/Utility"]),
        (("aumx",), ["Effect/Utility"]),
        (("aupn",), ["Effect/Spatial"]),
        (("auou",), []),
        (("aufx", "Reverb"), ["Effect/Reverb"]),  # a component tag refines the type
        (("aumu", "Synthesizer"), ["Instrument/Synth"]),
        (("AUMU",), ["Instrument"]),
    ],
)
def test_native_maps_au_types(values: tuple[str, ...], expected: list[str]) -> None:
    assert names(NativeCategorizer().categorize(plugin("au", native=values))) == expected


def test_native_maps_clap_features() -> None:
    found = NativeCategorizer().categorize(plugin("clap", native=("instrument", "synthesizer", "stereo")))
    assert names(found) == ["Instrument/Synth"]
    found = NativeCategorizer().categorize(plugin("clap", native=("audio-effect", "compressor", "limiter")))
    assert names(found) == ["Effect/Dynamics"]


def test_native_falls_back_to_the_format_flags() -> None:
    assert names(NativeCategorizer().categorize(plugin(is_instrument=True))) == ["Instrument"]
    assert names(NativeCategorizer().categorize(plugin(is_effect=True))) == ["Effect"]
    assert NativeCategorizer().categorize(plugin()) == []


# --- keywords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Valhalla VintageVerb", "Effect/Reverb"),
        ("Reaverb", "Effect/Reverb"),  # a glued head noun
        ("ZamCompX2", "Effect/Dynamics"),
        ("ZaMaximX2", "Effect/Dynamics"),
        ("ZamGEQ31", "Effect/EQ"),
        ("Pro Equaliser", "Effect/EQ"),  # British spelling
        ("Vintage Compresor", "Effect/Dynamics"),  # a typo
        ("Spectrum Analyser", "Effect/Analyzer"),
        ("Dynamic EQ", "Effect/EQ"),  # the head noun decides
        ("Delay Compensator", "Effect/Delay"),
        ("Tape Echo", "Effect/Delay"),
        ("Stereo Chorus", "Effect/Modulation"),
        ("De-Esser", "Effect/Dynamics"),
        ("Pitch Shifter", "Effect/Pitch"),
        ("Monark Synthesizer", "Instrument/Synth"),
        ("Drum Machine", "Instrument/Drum"),
        ("Electric Piano", "Instrument/Piano"),
        ("Noise Generator", "Generator"),
        ("MIDI Arpeggiator", "MIDI"),
        ("LSP Graphic Equalizer x16 MidSide", "Effect/EQ"),
    ],
)
def test_keywords_from_names(name: str, expected: str) -> None:
    found = KeywordCategorizer().categorize(plugin(name=name))
    assert found and found[0].name == expected
    assert all(c.source == KEYWORDS and 0 < c.confidence < 1 for c in found)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (("Threshold", "Ratio", "Attack", "Release", "Output"), "Effect/Dynamics"),
        (("Cutoff", "Resonance", "Drive Mode"), "Effect/Filter"),
        (("Decay", "Pre-Delay", "Size", "Mix"), "Effect/Reverb"),
        (("PreDelay", "Decay Time", "Room Size", "Damping"), "Effect/Reverb"),
        (("Time", "Feedback", "Ping Pong", "Mix"), "Effect/Delay"),
        (("Rate", "Depth", "Voices", "Mix"), "Effect/Modulation"),
        (("Band 1 Frequency", "Band 1 Gain", "Band 1 Q", "Low Shelf"), "Effect/EQ"),
        (("Osc 1 Waveform", "Detune", "Unison", "Glide", "Attack", "Decay", "Sustain", "Release"), "Instrument/Synth"),
        (("Treshold", "Ratioo", "Attack", "Makeup Gain"), "Effect/Dynamics"),  # misspelt
        (("Azimuth", "Elevation", "Width"), "Effect/Spatial"),
    ],
)
def test_keywords_from_parameter_names(params: tuple[str, ...], expected: str) -> None:
    found = KeywordCategorizer().categorize(plugin(name="Untitled", params=params))
    assert found and found[0].name == expected


def test_a_name_outweighs_any_parameters() -> None:
    # A reverb with a compressor's controls on its input is still a reverb.
    params = ("Threshold", "Ratio", "Attack", "Release", "Knee", "Makeup", "Lookahead", "Sidechain")
    assert KeywordCategorizer().categorize(plugin(name="Hall Reverb", params=params))[0].name == "Effect/Reverb"


def test_vendor_words_count_but_weakly() -> None:
    assert names(KeywordCategorizer().categorize(plugin(name="Model 7", vendor="Reverb Foundry"))) == ["Effect/Reverb"]
    found = KeywordCategorizer().categorize(plugin(name="Drum Bus", vendor="Reverb Foundry"))
    assert found[0].name == "Instrument/Drum"


def test_keyword_guess_stays_within_the_format_flags() -> None:
    # "Reverb" in an instrument's name does not make it an effect.
    found = KeywordCategorizer().categorize(plugin(name="Reverb Synth", is_instrument=True))
    assert names(found) == ["Instrument/Synth"]
    found = KeywordCategorizer().categorize(plugin(name="Piano Room", is_effect=True))
    assert names(found) == ["Effect/Reverb"]


@pytest.mark.parametrize(
    ("io", "flags", "expected"),
    [
        (IO(audio_inputs=0, audio_outputs=2, midi_inputs=1), {}, "Instrument"),
        (IO(audio_inputs=2, audio_outputs=2), {}, "Effect"),
        (IO(audio_inputs=0, audio_outputs=0, midi_inputs=1, midi_outputs=1), {}, "MIDI"),
        (IO(audio_inputs=0, audio_outputs=1, midi_inputs=0), {}, "Generator"),
        (IO(), {"is_instrument": True}, "Instrument"),
    ],
)
def test_keywords_fall_back_to_connections(io: IO, flags: dict[str, Any], expected: str) -> None:
    found = KeywordCategorizer().categorize(plugin(name="Xq 9", io=io, **flags))
    assert names(found) == [expected]
    assert found[0].confidence <= 0.6


def test_keywords_propose_nothing_without_evidence() -> None:
    assert KeywordCategorizer().categorize(plugin(name="Xq 9")) == []


def test_keywords_offer_a_close_runner_up() -> None:
    params = ("Decay", "Pre-Delay", "Size", "Damping", "Delay Time", "Feedback", "Ping Pong", "Echo")
    found = KeywordCategorizer().categorize(plugin(name="Space 9", params=params))
    assert set(names(found)) == {"Effect/Reverb", "Effect/Delay"}
    # Two name words are not close: the head noun wins alone.
    assert names(KeywordCategorizer().categorize(plugin(name="Reverb Delay"))) == ["Effect/Delay"]


def test_words_split_glued_names() -> None:
    assert words("ZamGEQ31") == ["zam", "geq", "31"]
    assert words("ZaMaximX2") == ["za", "maxim", "x", "2"]
    assert words("LSP Multi-Sampler x12 DirectOut") == ["lsp", "multi", "sampler", "x", "12", "direct", "out"]


# --- merging ----------------------------------------------------------------------------------------


def cat(name: str, source: CategorySource = NATIVE, confidence: float = 1.0) -> Category:
    return Category(name, source, confidence)


def test_user_categories_come_first_and_win() -> None:
    user = [cat("Effect/Delay", USER)]
    merged = merge_categories(user, [[cat("Effect/Reverb"), cat("Effect/Delay", NATIVE, 1.0)]])
    assert merged == (cat("Effect/Delay", USER), cat("Effect/Reverb"))


def test_keywords_fill_in_below_a_bare_top_level() -> None:
    merged = merge_categories([], [[cat("Effect")], [cat("Effect/Reverb", KEYWORDS, 0.7)]])
    assert merged == (cat("Effect/Reverb", KEYWORDS, 0.7),)  # "Effect" says nothing more


def test_keywords_never_override_a_specific_native_category() -> None:
    merged = merge_categories([], [[cat("Effect/EQ")], [cat("Effect/Reverb", KEYWORDS, 0.9)]])
    assert merged == (cat("Effect/EQ"),)


def test_keywords_never_contradict_the_native_top_level() -> None:
    merged = merge_categories([], [[cat("Effect")], [cat("Instrument/Synth", KEYWORDS, 0.9)]])
    assert merged == (cat("Effect"),)


def test_keywords_used_whole_where_native_gave_nothing() -> None:
    guess = [cat("Effect/Reverb", KEYWORDS, 0.8), cat("Effect/Delay", KEYWORDS, 0.7)]
    assert merge_categories([], [[], guess]) == tuple(guess)


def test_a_specific_user_category_stops_the_keywords() -> None:
    merged = merge_categories([cat("Effect/Reverb", USER)], [[cat("Effect")], [cat("Effect/Delay", KEYWORDS, 0.9)]])
    assert merged == (cat("Effect/Reverb", USER),)


def test_merge_deduplicates_keeping_the_highest_confidence_and_orders_by_it() -> None:
    merged = merge_categories(
        [], [[cat("Effect/Delay", NATIVE, 0.6), cat("Effect/Reverb", NATIVE, 0.8), cat("Effect/Delay", NATIVE, 0.9)]]
    )
    assert merged == (cat("Effect/Delay", NATIVE, 0.9), cat("Effect/Reverb", NATIVE, 0.8))


def test_merge_with_nothing_is_nothing() -> None:
    assert merge_categories([], []) == ()
    assert merge_categories([], [[], []]) == ()


def test_categorize_then_merge_like_the_stage() -> None:
    """The pipeline's order: user categories survive, native first, keywords fill in only under `Fx`."""
    categorizers: list[Categorizer] = [NativeCategorizer(), KeywordCategorizer()]
    only_fx = plugin(name="Lush Hall Reverb", native=("Fx",), categories=(cat("Effect/Delay", USER),))
    user = [c for c in only_fx.categories if c.source == USER]
    assert names(merge_categories(user, [c.categorize(only_fx) for c in categorizers])) == ["Effect/Delay"]
    assert names(merge_categories([], [c.categorize(only_fx) for c in categorizers])) == ["Effect/Reverb"]
    stated = plugin(name="Lush Hall Reverb", native=("Fx|EQ",))
    assert names(merge_categories([], [c.categorize(stated) for c in categorizers])) == ["Effect/EQ"]


def test_taxonomy_path_helpers() -> None:
    assert taxonomy.path("Effect", "Reverb") == "Effect/Reverb"
    assert taxonomy.top_level("Effect/Reverb") == "Effect" and taxonomy.leaf("Effect/Reverb") == "Reverb"
    assert taxonomy.is_specific("Effect/Reverb") and not taxonomy.is_specific("MIDI")
    assert all(re.fullmatch(r"[A-Za-z]+(/[A-Za-z ]+)?", name) for name in taxonomy.names())


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"native": ("Fx", "Reverb")}, "Effect/Reverb"),
        ({"native": ("Fx", "Dynamics")}, "Effect/Dynamics"),
        ({"fmt": "lv2", "native": ("http://lv2plug.in/ns/lv2core#ReverbPlugin",)}, "Effect/Reverb"),
        ({"fmt": "clap", "native": ("audio-effect", "equalizer")}, "Effect/EQ"),
    ],
)
def test_a_real_effect_keeps_its_kind_of_effect(fields: dict[str, Any], expected: str) -> None:
    """Effects say they are effects (is_effect): that must add to what the format says, never flatten it."""
    real = plugin(**fields, is_effect=True)
    assert names(NativeCategorizer().categorize(real))[0] == expected


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_debian_zam_effects_are_placed_beyond_plain_effect(debian_vst3_dir: Path) -> None:
    """The real plugins, read by the real VST3 reader in this process: each is an effect with its kind."""
    from pluginary.core.interfaces import ScanSettings
    from pluginary.formats.vst3 import VST3Format

    reader, settings = VST3Format(), ScanSettings(metadata_only=True)
    scanned = [p for bundle in sorted(debian_vst3_dir.glob("*.vst3")) for p in reader.scan(bundle, settings)]
    assert scanned and all(p.is_effect for p in scanned)
    placed = {p.name: names(NativeCategorizer().categorize(p)) for p in scanned}
    assert placed["ZamComp"][0] == "Effect/Dynamics" and placed["ZamVerb"][0] == "Effect/Reverb", placed
    assert not [name for name, found in placed.items() if found[:1] == ["Effect"]], placed


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        (("Instrument|Sampler",), ["Instrument/Sampler"]),
        (("Instrument|Drum",), ["Instrument/Drum"]),
        (("Fx|Delay",), ["Effect/Delay"]),
        (("EQ", "Fx|Reverb"), ["Effect/EQ", "Effect/Reverb"]),  # a lone word, then more: both count
    ],
)
def test_native_reads_each_vst3_string_in_its_own_domain(native: tuple[str, ...], expected: list[str]) -> None:
    assert names(NativeCategorizer().categorize(plugin(native=native))) == expected


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        (("Fx|Surround",), ["Effect/Spatial"]),  # "Surround" right after Fx is the kind of effect
        (("Fx|Reverb|Surround",), ["Effect/Reverb"]),  # later it only says how many channels
        (("Fx|Surround|Reverb",), ["Effect/Spatial", "Effect/Reverb"]),
    ],
)
def test_a_channel_word_is_a_category_only_right_after_the_domain(native: tuple[str, ...], expected: list[str]) -> None:
    assert names(NativeCategorizer().categorize(plugin(native=native))) == expected


def test_keyword_confidence_and_parameter_evidence_follow_their_formulas() -> None:
    from pluginary.categorizers.keywords import PARAMETER_CEILING, confidence, parameter_evidence

    assert [confidence(score) for score in (0, 5, 100)] == [0.3, 0.7, 0.9]
    evidence = parameter_evidence(["Threshold", "Ratio"])  # two full-weight dynamics cues, 1.0 each
    assert evidence == {"Effect/Dynamics": pytest.approx(PARAMETER_CEILING * (1 - math.exp(-2.0 / 2)))}


@pytest.mark.parametrize(
    ("io", "flags", "expected"),
    [
        (IO(0, 2, 1, 0), {}, ("Instrument", 0.5)),  # notes in, sound out
        (IO(0, 0, 1, 1), {}, ("MIDI", 0.5)),
        (IO(0, 2, 0, 0), {}, ("Generator", 0.4)),
        (IO(2, 2, 0, 0), {}, ("Effect", 0.4)),
        (IO(), {"is_instrument": True, "is_effect": True}, None),  # both flags: they say nothing
        (IO(), {"is_effect": True}, ("Effect", 0.6)),
    ],
)
def test_the_keyword_fallback_reads_connections_and_flags(io: IO, flags: dict[str, Any], expected: Any) -> None:
    from pluginary.categorizers.keywords import _fallback_top_level

    assert _fallback_top_level(plugin(io=io, **flags)) == expected


# --- boundaries the mutation tests found unpinned ----------------------------------------------------


def placed(found: list[Category]) -> list[tuple[str, float]]:
    return [(c.name, c.confidence) for c in found]


@pytest.mark.parametrize(
    ("native", "expected"),
    [
        (("", "Fx|Reverb"), [("Effect/Reverb", 1.0)]),  # an empty string is skipped, not the end of the list
        (("Fx|Stereo|Reverb",), [("Effect/Reverb", 1.0)]),  # a channel hint before the kind is skipped too
        (("Instrument|Fx|Synth",), [("Instrument/Synth", 1.0)]),  # so is a second domain word
        (("EQ",), [("Effect/EQ", 1.0)]),  # a lone table word is stated, not a synonym
        (("Synth",), [("Instrument/Synth", 1.0)]),
        (("Spatial|External",), [("Effect/Spatial", 1.0)]),  # a domain without a table of its own
        (("Ambisonics|External",), [("Effect/Spatial", 1.0)]),
        (("Up-Downmix|External",), [("Effect/Spatial", 1.0)]),
        (("Analyzer|External",), [("Effect/Analyzer", 1.0)]),
        (("Fx|Chorus", "Fx|Modulation"), [("Effect/Modulation", 1.0)]),  # the best confidence of a name wins
        (("Fx|Modulation", "Fx|Chorus"), [("Effect/Modulation", 1.0)]),
    ],
)
def test_native_vst3_exact_places_and_confidences(native: tuple[str, ...], expected: list[tuple[str, float]]) -> None:
    assert placed(NativeCategorizer().categorize(plugin(native=native))) == expected


def test_native_confidences_of_lv2_and_clap() -> None:
    assert placed(NativeCategorizer().categorize(plugin("lv2", native=("lv2:SimulatorPlugin",)))) == [
        ("Effect/Distortion", 0.6)
    ]
    # A channel feature before the kind of effect is skipped, not the end of the list.
    clap = plugin("clap", native=("audio-effect", "stereo", "reverb"))
    assert placed(NativeCategorizer().categorize(clap)) == [("Effect/Reverb", 1.0)]


def test_native_instrument_flag_never_flattens_what_the_format_says() -> None:
    real = plugin(native=("Instrument|Synth",), is_instrument=True)
    assert placed(NativeCategorizer().categorize(real)) == [("Instrument/Synth", 1.0)]


def test_name_evidence_weighs_words_by_position() -> None:
    """Weight × (1 + HEAD_BONUS × position / (words − 1)): the head noun, last, gets 1.5 × the weight."""
    from pluginary.categorizers.keywords import name_evidence

    assert name_evidence("Reverb Delay", 4.0) == {"Effect/Reverb": 4.0, "Effect/Delay": 6.0}
    assert name_evidence("Reverb Delay Xq", 4.0) == {"Effect/Reverb": 4.0, "Effect/Delay": 5.0}
    assert name_evidence("Xq Reverb Delay", 4.0) == {"Effect/Reverb": 5.0, "Effect/Delay": 6.0}
    assert name_evidence("Xq Yz De Esser", 4.0) == {"Effect/Dynamics": 6.0}  # a pair at the last position
    assert name_evidence("Stereo 2 Reverb", 4.0) == {"Effect/Reverb": 4.0}  # noise and numbers hold no place
    assert name_evidence("Esser Xq De", 4.0) == {}  # the last and the first word are no pair


def test_keywords_runner_up_threshold_is_inclusive() -> None:
    # Delay 5.0 wins; Reverb 4.0 is exactly RUNNER_UP × 5.0 and is still offered.
    found = KeywordCategorizer().categorize(plugin(name="Reverb Delay Xq"))
    assert placed(found) == [("Effect/Delay", 0.7), ("Effect/Reverb", 0.62)]
    found = KeywordCategorizer().categorize(plugin(name="Xq Reverb Delay"))
    assert placed(found) == [("Effect/Delay", 0.78), ("Effect/Reverb", 0.7)]


def test_keywords_score_exactly_at_the_minimum_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    from pluginary.categorizers import keywords

    # A lone vendor word scores exactly VENDOR_WEIGHT; raise the bar to that score: still at least MIN_SCORE.
    monkeypatch.setattr(keywords, "MIN_SCORE", keywords.VENDOR_WEIGHT)
    found = KeywordCategorizer().categorize(plugin(name="Xq 9", vendor="Reverb"))
    assert placed(found) == [("Effect/Reverb", keywords.confidence(keywords.VENDOR_WEIGHT))]


def test_weak_evidence_falls_back_to_the_flags() -> None:
    # "Gain" alone is a utility cue far below MIN_SCORE: the effect flag decides instead.
    found = KeywordCategorizer().categorize(plugin(name="Xq 9", params=("Gain",), is_effect=True))
    assert placed(found) == [("Effect", 0.6)]


def test_keywords_best_broad_top_level_wins() -> None:
    # Only top levels named: the head noun's one, not the first in the name.
    assert placed(KeywordCategorizer().categorize(plugin(name="Effect Instrument"))) == [("Instrument", 0.78)]
    assert placed(KeywordCategorizer().categorize(plugin(name="Instrument Effect"))) == [("Effect", 0.78)]


@pytest.mark.parametrize(
    ("name", "flags", "expected"),
    [
        ("Synth Reverb", {"is_instrument": True}, ["Instrument/Synth"]),  # the head noun is not allowed
        ("Synth Arpeggiator", {"is_instrument": True}, ["Instrument/Synth"]),
        ("Room Piano", {"is_effect": True}, ["Effect/Reverb"]),
        ("Noise Generator", {"is_effect": True}, ["Generator"]),  # VST3's Fx|Generator: an effect may generate
        ("MIDI Arpeggiator", {"is_effect": True}, ["MIDI"]),  # VST3 has no MIDI class: MIDI effects say Fx
        ("Synth Reverb", {}, ["Effect/Reverb"]),
    ],
)
def test_keyword_flags_bound_the_guess_even_against_the_head_noun(
    name: str, flags: dict[str, Any], expected: list[str]
) -> None:
    assert names(KeywordCategorizer().categorize(plugin(name=name, **flags))) == expected


def test_a_generator_that_takes_audio_is_half_as_likely() -> None:
    from pluginary.categorizers.keywords import GENERATOR_WITH_INPUT

    alone = KeywordCategorizer().scores(plugin(name="Noise Generator", io=IO(0, 2)))
    fed = KeywordCategorizer().scores(plugin(name="Noise Generator", io=IO(2, 2)))
    assert alone == {"Generator": 6.0} and fed == {"Generator": 6.0 * GENERATOR_WITH_INPUT}


def test_glued_name_takes_its_longest_known_ending() -> None:
    # "declipper" (Restoration) rather than the shorter "clipper" (Distortion) it ends with.
    assert names(KeywordCategorizer().categorize(plugin(name="Autodeclipper"))) == ["Effect/Restoration"]
    assert names(KeywordCategorizer().categorize(plugin(name="Bigverb"))) == ["Effect/Reverb"]  # a 4-letter ending


def test_parameter_cues_pairs_and_misspellings() -> None:
    from pluginary.categorizers.keywords import parameter_cues

    # Each word, and each word with the one before it: "pre delay" is a cue of its own, "big room" is not.
    assert parameter_cues(["Big Room Pre Delay"]) == {"room", "delay", "predelay"}
    # Six letters are enough to forgive a typo, against a five-letter cue too.
    assert parameter_cues(["Dellay"]) == {"delay"}
    assert parameter_cues(["Delya"]) == set()  # five letters are not


@pytest.mark.parametrize(
    ("params", "raw"),
    [
        (("Threshold",), 1.0),
        (("Threshold", "Ratio", "Attack"), 1.0 + 1.0 + 0.5 + 1.5),  # exactly a combination: its bonus
        (("Threshold", "Ratio", "Attack", "Knee"), 1.0 + 1.0 + 0.5 + 1.0 + 1.5),  # more than one: the bonus too
    ],
)
def test_parameter_evidence_with_and_without_combinations(params: tuple[str, ...], raw: float) -> None:
    from pluginary.categorizers.keywords import PARAMETER_CEILING, parameter_evidence

    expected = PARAMETER_CEILING * (1 - math.exp(-raw / 2))
    assert parameter_evidence(params) == {"Effect/Dynamics": pytest.approx(expected)}


@pytest.mark.parametrize(
    ("io", "expected"),
    [
        (IO(0, 2, 1, 1), ("Instrument", 0.5)),  # notes in and out, and sound: still an instrument
        (IO(2, 0, 1, 1), ("Effect", 0.4)),  # audio in: not a MIDI effect
        (IO(2, 2, 1, 0), ("Effect", 0.4)),  # audio in: not an instrument
        (IO(0, 0, 1, 0), None),
        (IO(0, 0, 0, 1), None),
        (IO(0, 0, 0, 0), None),
        (IO(audio_inputs=0), None),  # outputs unknown
    ],
)
def test_the_keyword_fallback_at_its_edges(io: IO, expected: Any) -> None:
    from pluginary.categorizers.keywords import _fallback_top_level

    assert _fallback_top_level(plugin(io=io)) == expected


def test_a_top_level_named_only_by_the_vendor_must_reach_the_minimum_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today a vendor word (VENDOR_WEIGHT) always clears MIN_SCORE; the weights are tuned data, the rule holds."""
    from pluginary.categorizers import keywords

    vendor_only = plugin(name="Xq 9", vendor="Instrument")
    monkeypatch.setattr(keywords, "VENDOR_WEIGHT", keywords.MIN_SCORE)  # exactly the minimum: enough
    assert placed(KeywordCategorizer().categorize(vendor_only)) == [
        ("Instrument", keywords.confidence(keywords.MIN_SCORE))
    ]
    monkeypatch.setattr(keywords, "VENDOR_WEIGHT", keywords.MIN_SCORE / 2)  # below it: nothing to say
    assert KeywordCategorizer().categorize(vendor_only) == []


@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_debian_zam_vst3_exact_places(debian_vst3_dir: Path) -> None:
    """The real moduleinfo words ("Fx", "Dynamics", "Stereo"), read by the real reader: one stated place each."""
    from pluginary.core.interfaces import ScanSettings
    from pluginary.formats.vst3 import VST3Format

    reader, settings = VST3Format(), ScanSettings(metadata_only=True)
    kinds = {"Dynamics": "Effect/Dynamics", "Delay": "Effect/Delay", "EQ": "Effect/EQ", "Tools": "Effect/Utility"}
    kinds |= {"Distortion": "Effect/Distortion", "Reverb": "Effect/Reverb"}
    for bundle in sorted(debian_vst3_dir.glob("Za*.vst3")):
        for real in reader.scan(bundle, settings):
            fx, kind, channels = real.native_categories
            assert (fx, channels in ("Mono", "Stereo")) == ("Fx", True), real.native_categories
            assert placed(NativeCategorizer().categorize(real)) == [(kinds[kind], 1.0)], real.name
