"""How often does `keywords` agree with a plugin's own class? Measured on the real LV2 plugins installed.

For every installed LV2 plugin that declares a class, the class is mapped with
`native` (the answer), then hidden — native classes and the instrument/effect
flags are cleared — and `keywords` guesses from the name, vendor and parameter
names alone. Reported:

- top-level agreement (Instrument / Effect / MIDI / Generator): the target is ≥ 85 %;
- subcategory agreement, over the plugins whose class names a subcategory;
- a majority-class baseline on the same plugins (always guess the most common answer).

Plugins are read with `pluginary.formats.lv2.LV2Format` when that module is
there and works; otherwise straight from the bundles' Turtle with pyoxigraph
(`lv2info` is no help: without the lv2core bundle lilv reports every class as
plain `Plugin`).

    python benchmarks/bench_keywords_accuracy.py [--root /usr/lib/lv2] [--misses]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path
from typing import Any, cast

import attrs

from pluginary.categorizers.keywords import KeywordCategorizer
from pluginary.categorizers.native import NativeCategorizer
from pluginary.core import taxonomy
from pluginary.core.models import IO, Parameter, Plugin

TARGET = 0.85
LV2 = "http://lv2plug.in/ns/lv2core#"
DOAP = "http://usefulinc.com/ns/doap#"
FOAF = "http://xmlns.com/foaf/0.1/"
ATOM = "http://lv2plug.in/ns/ext/atom#"
MIDI_EVENT = "http://lv2plug.in/ns/ext/midi#MidiEvent"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def load_with_format(root: Path) -> list[Plugin]:
    from pluginary.core.interfaces import ScanSettings
    from pluginary.formats.lv2 import LV2Format  # type: ignore[import-not-found,unused-ignore]

    fmt = LV2Format()
    return [p for bundle in sorted(root.glob("*.lv2")) for p in fmt.scan(bundle, ScanSettings(presets=False))]


def load_from_turtle(root: Path) -> list[Plugin]:
    import pyoxigraph as ox

    plugins: list[Plugin] = []
    for bundle in sorted(root.glob("*.lv2")):
        store = ox.Store()
        for ttl in sorted(bundle.glob("*.ttl")):
            store.load(path=str(ttl), format=ox.RdfFormat.TURTLE, base_iri=ttl.as_uri())

        def rows(query: str, store: ox.Store = store) -> list[Any]:
            return list(cast("ox.QuerySolutions", store.query(query)))

        def values(query: str) -> list[str]:
            return [row[0].value for row in rows(query)]

        for uri in values(f"SELECT DISTINCT ?p WHERE {{ ?p a <{LV2}Plugin> }}"):
            subject = f"<{uri}>"
            names = values(f"SELECT ?n WHERE {{ {subject} <{DOAP}name> ?n }}")
            vendors = values(
                f"SELECT ?n WHERE {{ {subject} (<{DOAP}maintainer>|<{DOAP}developer>) ?m . ?m <{FOAF}name> ?n }}"
            )
            classes = values(f"SELECT ?t WHERE {{ {subject} a ?t }}")
            ports = rows(
                f"""SELECT ?index ?name ?kind ?dir ?midi WHERE {{
                      {subject} <{LV2}port> ?port . ?port <{LV2}index> ?index ; <{LV2}name> ?name ;
                      a ?kind ; a ?dir .
                      FILTER(?kind IN (<{LV2}ControlPort>, <{LV2}AudioPort>, <{ATOM}AtomPort>))
                      FILTER(?dir IN (<{LV2}InputPort>, <{LV2}OutputPort>))
                      OPTIONAL {{ ?port <{ATOM}supports> ?midi FILTER(?midi = <{MIDI_EVENT}>) }} }}"""
            )
            controls: list[Parameter] = []
            counts: collections.Counter[str] = collections.Counter()
            for index, name, kind, direction, midi in ports:
                is_input = direction.value == f"{LV2}InputPort"
                if kind.value == f"{LV2}ControlPort" and is_input:
                    controls.append(Parameter(index=int(index.value), name=name.value))
                elif kind.value == f"{LV2}AudioPort":
                    counts["audio_in" if is_input else "audio_out"] += 1
                elif midi is not None:
                    counts["midi_in" if is_input else "midi_out"] += 1
            plugins.append(
                Plugin(
                    id=f"lv2:{uri}",
                    format="lv2",
                    name=names[0] if names else uri,
                    path=str(bundle),
                    vendor=vendors[0] if vendors else "",
                    native_categories=tuple(sorted(c for c in classes if c.startswith(LV2))),
                    io=IO(counts["audio_in"], counts["audio_out"], counts["midi_in"], counts["midi_out"]),
                    parameters=tuple(sorted(controls, key=lambda p: p.index)),
                )
            )
    return plugins


def load(root: Path) -> tuple[list[Plugin], str]:
    try:
        return load_with_format(root), "pluginary.formats.lv2.LV2Format"
    except Exception as exc:  # absent or not working yet: say so and read the Turtle ourselves
        return load_from_turtle(root), f"Turtle via pyoxigraph (LV2Format unavailable: {type(exc).__name__})"


def hide_class(plugin: Plugin) -> Plugin:
    return attrs.evolve(plugin, native_categories=(), is_instrument=False, is_effect=False, categories=())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/usr/lib/lv2"))
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    args = parser.parse_args()

    started = time.perf_counter()
    plugins, source = load(args.root)
    native, keywords = NativeCategorizer(), KeywordCategorizer()
    rows: list[tuple[Plugin, str, str]] = []  # (plugin, answer, guess)
    for plugin in sorted(plugins, key=lambda p: p.id):
        hidden = hide_class(plugin)
        # The answer comes from the declared classes alone, not from flags a format derives otherwise.
        answers = native.categorize(attrs.evolve(hidden, native_categories=plugin.native_categories))
        if not answers:
            continue  # no class declared: nothing to compare with
        guesses = keywords.categorize(hidden)
        rows.append((plugin, answers[0].name, guesses[0].name if guesses else ""))
    elapsed = time.perf_counter() - started
    if not rows:
        print(f"no LV2 plugin with a class under {args.root}")
        return 1

    tops = [taxonomy.top_level(answer) for _, answer, _ in rows]
    top_hits = sum(taxonomy.top_level(answer) == taxonomy.top_level(guess) for _, answer, guess in rows if guess)
    specific = [(answer, guess) for _, answer, guess in rows if taxonomy.is_specific(answer)]
    sub_hits = sum(answer == guess for answer, guess in specific)
    top_majority = collections.Counter(tops).most_common(1)[0]
    sub_majority = collections.Counter(answer for answer, _ in specific).most_common(1)[0]
    unanswered = sum(not guess for _, _, guess in rows)

    print(f"plugins read: {len(plugins)} from {args.root} ({source})")
    print(f"with a native class: {len(rows)}; keywords gave no answer for {unanswered}")
    print(
        f"top-level agreement:   {top_hits}/{len(rows)} = {top_hits / len(rows):.1%}"
        f"   (majority baseline '{top_majority[0]}': {top_majority[1] / len(rows):.1%})"
    )
    if specific:
        print(
            f"subcategory agreement: {sub_hits}/{len(specific)} = {sub_hits / len(specific):.1%}"
            f"   (majority baseline '{sub_majority[0]}': {sub_majority[1] / len(specific):.1%})"
        )
    print(f"time: {elapsed:.2f} s")
    verdict = "met" if top_hits / len(rows) >= TARGET else "NOT met"
    print(f"target top-level ≥ {TARGET:.0%}: {verdict}")
    if args.misses:
        for plugin, answer, guess in rows:
            if answer != guess:
                print(f"  {plugin.name!r}: class says {answer}, keywords say {guess or '-'}")
    return 0 if top_hits / len(rows) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
