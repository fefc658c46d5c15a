"""`keywords`: infer categories from a plugin's name, vendor and parameter names.

For plugins whose format says nothing useful (no class, or only `Fx`). Three kinds
of evidence are scored per category:

- words of the name, looked up among the taxonomy's synonyms; the last
  meaningful word weighs most, because English compounds put the head noun last
  ("Dynamic EQ" is an EQ, "Delay Compensator" still a delay);
- words of the vendor's name, weakly;
- parameter names: cue words ("threshold", "cutoff", "pre-delay") and their
  combinations ("threshold + ratio + attack" → a compressor). Parameter
  evidence saturates below the weight of one name word: it settles what a
  name leaves open, or tips the balance between two name words, but alone
  never beats a name.

Spelling is forgiven with rapidfuzz ("Equaliser", "Treshold"); glued names are
split ("ZamCompX2" → zam comp) and a glued head noun is found at the end of a
word ("reaverb").
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from typing import ClassVar

from rapidfuzz import fuzz, process

from pluginary.core import taxonomy
from pluginary.core.models import Category, CategorySource, Plugin

#: Weight of a name word that names a category; the head noun gets up to 1.5 times as much.
NAME_WEIGHT = 4.0
HEAD_BONUS = 0.5
#: Enough to decide alone (at least MIN_SCORE), never enough to outweigh a word of the name.
VENDOR_WEIGHT = 1.5
#: Parameter evidence approaches this and never reaches it: alone it cannot outweigh one name word.
PARAMETER_CEILING = 3.0
#: Below this a category is not proposed.
MIN_SCORE = 1.2
#: A runner-up is proposed too when it scores this close to the winner.
RUNNER_UP = 0.8
#: A generator makes sound from nothing: one that takes audio in is more likely something else.
GENERATOR_WITH_INPUT = 0.5
#: rapidfuzz ratio needed to take a misspelt word, and the shortest word it is tried on.
FUZZY_CUTOFF = 88.0
FUZZY_MIN_LENGTH = 6
#: Top levels that have subcategories: naming one says little, a subcategory is the real guess.
BROAD = frozenset({"Instrument", "Effect"})
#: Words about channel layout, formats or grammar, never about what a plugin is.
NOISE_WORDS = frozenset(
    {
        "mono",
        "stereo",
        "left",
        "right",
        "leftright",
        "mid",
        "side",
        "midside",
        "lr",
        "ms",
        "plugin",
        "plugins",
        "vst",
        "vst3",
        "lv2",
        "au",
        "clap",
        "the",
        "by",
        "and",
        "of",
        "for",
        "x",
        "directout",
    }
)


def _fx(sub: str) -> str:
    return taxonomy.path("Effect", sub)


def _inst(sub: str) -> str:
    return taxonomy.path("Instrument", sub)


#: Words in parameter names and how strongly each points at a category.
PARAMETER_CUES: dict[str, dict[str, float]] = {
    _fx("Dynamics"): {
        "threshold": 1.0,
        "ratio": 1.0,
        "knee": 1.0,
        "makeup": 1.0,
        "attack": 0.5,
        "release": 0.5,
        "lookahead": 0.7,
        "hysteresis": 0.7,
        "ceiling": 1.0,
        "reduction": 0.5,
        "sidechain": 0.5,
        "hold": 0.3,
        "dynamics": 0.6,
        "compression": 1.0,
        "expander": 0.8,
        "gate": 0.8,
    },
    _fx("Reverb"): {
        "decay": 0.7,
        "predelay": 1.0,
        "damping": 1.0,
        "damp": 0.8,
        "diffusion": 1.0,
        "reflections": 0.8,
        "early": 0.5,
        "room": 0.8,
        "size": 0.4,
        "reverb": 1.0,
        "tail": 0.5,
        "rt60": 1.0,
        "impulse": 0.8,
    },
    _fx("Delay"): {
        "delay": 0.8,
        "feedback": 0.7,
        "time": 0.3,
        "sync": 0.3,
        "ping": 0.8,
        "pong": 0.8,
        "tap": 0.5,
        "echo": 1.0,
        "divisor": 0.5,
    },
    _fx("Filter"): {
        # High- and low-pass settings are in every sidechain and EQ: weak evidence of a filter plugin.
        "cutoff": 1.0,
        "resonance": 1.0,
        "reso": 0.8,
        "filter": 0.3,
        "lowpass": 0.3,
        "highpass": 0.3,
        "bandpass": 0.6,
        "slope": 0.3,
    },
    _fx("EQ"): {
        "frequency": 0.3,
        "freq": 0.3,
        "q": 0.5,
        "bandwidth": 0.5,
        "shelf": 1.0,
        "band": 0.3,
        "peak": 0.3,
        "bell": 0.8,
        "boost": 0.3,
        "cut": 0.3,
        "hz": 0.5,
        "khz": 0.5,
        "eq": 0.8,
        "equalizer": 0.8,
    },
    _fx("Modulation"): {
        "rate": 0.5,
        "depth": 0.7,
        "lfo": 0.6,
        "voices": 0.3,
        "stages": 0.8,
        "spread": 0.3,
        "chorus": 1.0,
        "flanger": 1.0,
        "phaser": 1.0,
        "tremolo": 1.0,
        "vibrato": 1.0,
        "speed": 0.3,
    },
    _fx("Distortion"): {
        "drive": 1.0,
        "saturation": 1.0,
        "overdrive": 1.0,
        "distortion": 1.0,
        "tube": 0.8,
        "bias": 0.5,
        "tone": 0.3,
        "mids": 0.3,
        "treble": 0.3,
        "fuzz": 1.0,
        "clip": 0.4,
        "crush": 0.8,
        "bits": 0.5,
        "downsample": 0.6,
    },
    _fx("Pitch"): {
        "pitch": 0.6,
        "semitones": 1.0,
        "semitone": 1.0,
        "cents": 0.5,
        "formant": 0.7,
        "transpose": 0.7,
        "shift": 0.3,
    },
    _fx("Spatial"): {
        "azimuth": 1.0,
        "elevation": 1.0,
        "width": 0.4,
        "pan": 0.4,
        "panning": 0.4,
        "distance": 0.5,
        "binaural": 1.0,
        "balance": 0.3,
    },
    _fx("Analyzer"): {
        "fft": 0.5,
        "scope": 0.8,
        "spectrum": 0.8,
        "analysis": 0.6,
        "analyse": 0.8,
        "analyzer": 0.8,
        "freeze": 0.3,
        "zoom": 0.3,
        "meter": 0.6,
    },
    _fx("Restoration"): {"denoise": 1.0, "hum": 0.8, "click": 0.6, "crackle": 1.0, "declip": 1.0},
    _fx("Utility"): {
        "gain": 0.2,
        "volume": 0.3,
        "trim": 0.6,
        "polarity": 1.0,
        "invert": 0.5,
        "crossover": 0.6,
    },
    _inst("Synth"): {
        "oscillator": 0.8,
        "osc": 0.8,
        "waveform": 0.6,
        "detune": 1.0,
        "unison": 1.0,
        "glide": 1.0,
        "portamento": 1.0,
        "sustain": 0.6,
        "polyphony": 1.0,
        "voices": 0.2,
        "cutoff": 0.3,
    },
    _inst("Sampler"): {"sample": 1.0, "samples": 0.8, "zone": 0.6, "root": 0.5, "velocity": 0.4, "instrument": 0.4},
    _inst("Drum"): {"kick": 1.0, "snare": 1.0, "hihat": 1.0, "hat": 0.6, "tom": 0.8, "cymbal": 1.0},
    "MIDI": {"note": 0.5, "velocity": 0.4, "octave": 0.3, "arpeggio": 1.0, "chord": 1.0, "scale": 0.5},
    "Generator": {"generator": 1.0, "waveform": 0.3, "noise": 0.3},
}

#: Cue words that together make a signature, and the bonus when all are present.
COMBINATIONS: tuple[tuple[str, frozenset[str], float], ...] = (
    (_fx("Dynamics"), frozenset({"threshold", "ratio", "attack"}), 1.5),
    (_fx("Dynamics"), frozenset({"threshold", "attack", "release"}), 1.0),
    (_fx("Filter"), frozenset({"cutoff", "resonance"}), 1.5),
    (_fx("Reverb"), frozenset({"decay", "predelay", "size"}), 1.5),
    (_fx("Reverb"), frozenset({"decay", "damping"}), 1.0),
    (_fx("Delay"), frozenset({"delay", "feedback"}), 1.0),
    (_fx("Modulation"), frozenset({"rate", "depth"}), 1.0),
    (_inst("Synth"), frozenset({"attack", "decay", "sustain", "release"}), 1.5),
    (_fx("EQ"), frozenset({"frequency", "q"}), 0.5),
)


def words(text: str) -> list[str]:
    """Lower-case words of a name: camelCase and letter/digit boundaries split ("ZamGEQ31" → zam geq 31)."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"([A-Za-z])(?=\d)|(\d)(?=[A-Za-z])", r"\1\2 ", text)
    return [w for w in re.split(r"[^0-9a-z]+", text.lower()) if w]


def _normal(phrase: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", phrase.lower())


@functools.cache
def _name_vocabulary() -> Mapping[str, str]:
    """Normalised synonym ("pitchshift", "deesser") → category name."""
    return {_normal(word): name for word, name in taxonomy.synonym_index().items()}


@functools.cache
def _name_words() -> frozenset[str]:
    return frozenset(_name_vocabulary())


@functools.cache
def _name_suffixes() -> tuple[str, ...]:
    """Synonyms long enough to be recognised at the end of a glued word, longest first."""
    return tuple(sorted((w for w in _name_vocabulary() if len(w) >= 4), key=len, reverse=True))


@functools.cache
def _cue_vocabulary() -> frozenset[str]:
    return frozenset(word for cues in PARAMETER_CUES.values() for word in cues)


@functools.cache
def _fuzzy(word: str, vocabulary: frozenset[str]) -> str | None:
    """The vocabulary word `word` is a misspelling of, if any."""
    if len(word) < FUZZY_MIN_LENGTH:
        return None
    choices = [w for w in vocabulary if len(w) >= FUZZY_MIN_LENGTH - 1]
    match = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    return match[0] if match else None


def _lookup_name_word(word: str) -> str | None:
    vocabulary = _name_vocabulary()
    if word in vocabulary:
        return vocabulary[word]
    misspelt = _fuzzy(word, _name_words())
    if misspelt:
        return vocabulary[misspelt]
    # A glued compound ("reaverb", "zamcomp"): its head noun is its end.
    suffix = next((s for s in _name_suffixes() if len(word) > len(s) and word.endswith(s)), None)
    return vocabulary[suffix] if suffix else None


def name_evidence(text: str, weight: float) -> dict[str, float]:
    """Category → score from the words (and adjacent word pairs) of a name."""
    tokens = [w for w in words(text) if w not in NOISE_WORDS and not w.isdigit()]
    scores: dict[str, float] = {}
    last = max(len(tokens) - 1, 1)
    for position, token in enumerate(tokens):
        candidates = [token]
        if position > 0:
            candidates.append(tokens[position - 1] + token)  # "pre delay", "de esser", "dynamic eq"
        for candidate in candidates:
            name = _lookup_name_word(candidate)
            if name:
                value = weight * (1 + HEAD_BONUS * position / last)
                scores[name] = max(scores.get(name, 0.0), value)
    return scores


def parameter_cues(parameter_names: Iterable[str]) -> set[str]:
    """The distinct cue words found in parameter names (each counted once, however many bands repeat it)."""
    vocabulary = _cue_vocabulary()
    found: set[str] = set()
    for parameter in parameter_names:
        tokens = words(parameter)
        for position, token in enumerate(tokens):
            for candidate in (token, tokens[position - 1] + token if position else ""):
                if candidate in vocabulary:
                    found.add(candidate)
                elif candidate:
                    misspelt = _fuzzy(candidate, vocabulary)
                    if misspelt:
                        found.add(misspelt)
    return found


def parameter_evidence(parameter_names: Iterable[str]) -> dict[str, float]:
    cues = parameter_cues(parameter_names)
    raw: dict[str, float] = {}
    for name, weights in PARAMETER_CUES.items():
        raw[name] = sum(weight for word, weight in weights.items() if word in cues)
    for name, needed, bonus in COMBINATIONS:
        if needed <= cues:
            raw[name] += bonus
    # Saturate: the first cues count most, and the total stays below a name's weight.
    return {name: PARAMETER_CEILING * (1 - math.exp(-value / 2)) for name, value in raw.items() if value > 0}


def _allowed(plugin: Plugin, name: str) -> bool:
    """The format's own instrument/effect flag, where set, bounds the guess."""
    top = taxonomy.top_level(name)
    if plugin.is_instrument and not plugin.is_effect:
        return top == "Instrument"
    if plugin.is_effect and not plugin.is_instrument:
        return top != "Instrument"
    return True


def _fallback_top_level(plugin: Plugin) -> tuple[str, float] | None:
    """A top level from flags and connections alone, when no word gave a category."""
    io = plugin.io
    audio_in, audio_out = io.audio_inputs, io.audio_outputs
    midi_in, midi_out = io.midi_inputs or 0, io.midi_outputs or 0
    if plugin.is_instrument and not plugin.is_effect:
        return "Instrument", 0.6
    if plugin.is_effect and not plugin.is_instrument:
        return "Effect", 0.6
    if audio_in == 0 and audio_out == 0 and midi_in and midi_out:
        return "MIDI", 0.5
    if audio_in == 0 and audio_out and midi_in:
        return "Instrument", 0.5
    if audio_in == 0 and audio_out and not midi_in:
        return "Generator", 0.4
    if audio_in:
        return "Effect", 0.4
    return None


def confidence(score: float) -> float:
    """Map a score onto (0, 0.9]: a keyword guess is never as sure as a format's own word."""
    return round(min(0.9, 0.3 + 0.08 * score), 2)


class KeywordCategorizer:
    """Guesses categories from words; used where a format gives none or only `Fx`."""

    name: ClassVar[str] = "keywords"

    def scores(self, plugin: Plugin) -> dict[str, float]:
        """Category → total score, for the categories the plugin's flags allow."""
        total: dict[str, float] = {}
        evidence = (
            name_evidence(plugin.name, NAME_WEIGHT),
            name_evidence(plugin.vendor, VENDOR_WEIGHT),
            parameter_evidence(p.name for p in plugin.parameters),
        )
        for part in evidence:
            for name, value in part.items():
                total[name] = total.get(name, 0.0) + value
        if plugin.io.audio_inputs and "Generator" in total:
            total["Generator"] *= GENERATOR_WITH_INPUT
        return {name: value for name, value in total.items() if _allowed(plugin, name)}

    def categorize(self, plugin: Plugin) -> list[Category]:
        scores = self.scores(plugin)
        # "Instrument" or "Effect" named outright settles only the top level: a last resort.
        ranked = sorted(
            ((name, score) for name, score in scores.items() if name not in BROAD),
            key=lambda item: (-item[1], item[0]),
        )
        if ranked and ranked[0][1] >= MIN_SCORE:
            best = ranked[0][1]
            return [
                Category(name, CategorySource.KEYWORDS, confidence(score))
                for name, score in ranked
                if score >= max(MIN_SCORE, RUNNER_UP * best)
            ]
        broad = sorted(((n, s) for n, s in scores.items() if n in BROAD and s >= MIN_SCORE), key=lambda i: -i[1])
        if broad:
            return [Category(broad[0][0], CategorySource.KEYWORDS, confidence(broad[0][1]))]
        fallback = _fallback_top_level(plugin)
        return [Category(fallback[0], CategorySource.KEYWORDS, fallback[1])] if fallback else []
