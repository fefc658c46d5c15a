"""Reading an LV2 bundle's Turtle: the vocabulary, the units table and a small triple index.

A bundle's description is its `manifest.ttl` plus the files the manifest points to
with `rdfs:seeAlso`. pyoxigraph (Rust) parses them; only the statements about the
predicates below are kept, indexed by predicate then subject, so every later lookup
is a dict access. Measured on lsp-plugins.lv2 (12 MB, 530k triples): parsing is
~0.5 s, this index ~0.5 s more; loading the same files into a `pyoxigraph.Store`
for SPARQL takes ~1.4 s before the first query, so a Store is not used.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import urlsplit

from pluginary.core.errors import PluginaryError

if TYPE_CHECKING:
    from pyoxigraph import BlankNode, Literal, NamedNode

    Term: TypeAlias = NamedNode | BlankNode | Literal

log = logging.getLogger(__name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LV2 = "http://lv2plug.in/ns/lv2core#"
DOAP = "http://usefulinc.com/ns/doap#"
FOAF = "http://xmlns.com/foaf/0.1/"
ATOM = "http://lv2plug.in/ns/ext/atom#"
EVENT = "http://lv2plug.in/ns/ext/event#"
MIDI = "http://lv2plug.in/ns/ext/midi#"
PATCH = "http://lv2plug.in/ns/ext/patch#"
PPROPS = "http://lv2plug.in/ns/ext/port-props#"
UNITS = "http://lv2plug.in/ns/extensions/units#"
#: A misspelt units namespace that old plugins still use; lilv-based hosts accept it too.
OLD_UNITS = "http://lv2plug.in/ns/extension/units#"

A = RDF + "type"
SEE_ALSO = RDFS + "seeAlso"

#: Every predicate the LV2 format reads; statements with any other predicate are dropped
#: while parsing (about a quarter of lsp-plugins' triples are UI port notifications).
PREDICATES = frozenset(
    {
        A,
        SEE_ALSO,
        RDF + "value",
        RDFS + "label",
        RDFS + "range",
        RDFS + "subClassOf",
        *(
            LV2 + name
            for name in (
                "binary",
                "project",
                "minorVersion",
                "microVersion",
                "port",
                "index",
                "symbol",
                "name",
                "default",
                "minimum",
                "maximum",
                "portProperty",
                "scalePoint",
            )
        ),
        DOAP + "name",
        DOAP + "maintainer",
        FOAF + "name",
        UNITS + "unit",
        UNITS + "symbol",
        ATOM + "supports",
        EVENT + "supportsEvent",
        PATCH + "writable",
    }
)
#: Predicates read as if they were another: the old units namespace is the current one.
ALIASES = {OLD_UNITS + "unit": UNITS + "unit", OLD_UNITS + "symbol": UNITS + "symbol"}

#: The symbols of the LV2 units vocabulary (units.ttl's `units:symbol`; `coef` has "").
UNIT_SYMBOLS: dict[str, str] = {
    "bar": "bars",
    "beat": "beats",
    "bpm": "BPM",
    "cent": "ct",
    "cm": "cm",
    "coef": "",
    "db": "dB",
    "degree": "deg",
    "frame": "frames",
    "hz": "Hz",
    "inch": "in",
    "khz": "kHz",
    "km": "km",
    "m": "m",
    "mhz": "MHz",
    "midiNote": "note",
    "mile": "mi",
    "min": "min",
    "mm": "mm",
    "ms": "ms",
    "oct": "oct",
    "pc": "%",
    "s": "s",
    "semitone12TET": "semi",
}


class BundleGraph:
    """The statements of one bundle that the LV2 format needs, indexed for direct lookups.

    Subjects are keyed by their `value`: the IRI of a named node, the id of a blank
    node (renamed ids are hex, IRIs always hold a ':', so the two never meet). A str
    caches its hash; a pyoxigraph term hashes its Rust string on every lookup, which
    measured twice as slow over the ~10 lookups made per port. Objects stay terms;
    follow one with `term.value`.
    """

    def __init__(self) -> None:
        import pyoxigraph

        self._named_node = pyoxigraph.NamedNode
        self._literal = pyoxigraph.Literal
        self._index: dict[str, dict[str, list[Term]]] = {predicate: {} for predicate in PREDICATES}
        for alias, predicate in ALIASES.items():
            self._index[alias] = self._index[predicate]

    def load(self, path: Path) -> None:
        """Add one Turtle file, resolving relative IRIs against the file's own URI.

        Raises `PluginaryError` naming the file, line and column when the Turtle is
        broken. Run it under `gc_paused()`: it allocates a list per statement kept.
        """
        from pyoxigraph import RdfFormat, parse

        index = self._index
        # Blank node labels are only unique within one file: rename them so `_:p1`
        # in two files of the bundle stay two nodes.
        quads = parse(
            path=path,
            format=RdfFormat.TURTLE,
            base_iri=path.absolute().as_uri(),
            rename_blank_nodes=True,
        )
        try:
            for quad in quads:
                by_subject = index.get(quad.predicate.value)
                if by_subject is None:
                    continue
                subject = quad.subject.value
                objects = by_subject.get(subject)
                if objects is None:
                    by_subject[subject] = [quad.object]
                else:
                    objects.append(quad.object)
        except SyntaxError as exc:
            raise PluginaryError(
                f"invalid Turtle: {exc.msg}",
                where=f"{path}:{exc.lineno}:{exc.offset}",
                fix="the bundle is damaged: reinstall or remove the plugin",
            ) from exc

    def is_iri(self, term: Term | None) -> bool:
        return isinstance(term, self._named_node)

    def subjects(self, predicate: str) -> Iterator[tuple[str, list[Term]]]:
        return iter(self._index[predicate].items())

    def objects(self, subject: str, predicate: str) -> Sequence[Term]:
        return self._index[predicate].get(subject, ())

    def first(self, subject: str, predicate: str) -> Term | None:
        found = self._index[predicate].get(subject)
        return found[0] if found else None

    def iris(self, subject: str, predicate: str) -> set[str]:
        """The IRIs among the objects (e.g. a node's types or port properties)."""
        named_node = self._named_node
        return {o.value for o in self.objects(subject, predicate) if isinstance(o, named_node)}

    def number(self, subject: str, predicate: str) -> float | None:
        """The first object as a number; None when absent or not numeric."""
        found = self._index[predicate].get(subject)
        if found:
            try:
                return float(found[0].value)
            except ValueError:
                pass
        return None

    def text(self, subject: str, predicate: str) -> str:
        """A literal, preferring one without a language tag, then English, then any."""
        best: Literal | None = None
        for term in self.objects(subject, predicate):
            if isinstance(term, self._literal):
                if term.language is None:
                    return term.value
                if best is None or (term.language == "en" and best.language != "en"):
                    best = term
        return best.value if best is not None else ""


def file_path(iri: str) -> Path | None:
    """The local path of a `file:` IRI (what `rdfs:seeAlso` points to); None for others."""
    from urllib.request import url2pathname  # pulls in http and email: only when scanning

    parts = urlsplit(iri)
    if parts.scheme != "file":
        return None
    return Path(url2pathname(parts.path))


def unit_symbol(graph: BundleGraph, subject: str) -> str:
    """The symbol of a port's or parameter's unit: a standard unit from the table, or a
    custom `units:unit [ units:symbol "x" ]` (or a named unit that carries a symbol)."""
    for unit in graph.objects(subject, UNITS + "unit"):
        if graph.is_iri(unit):
            name = unit.value.removeprefix(UNITS).removeprefix(OLD_UNITS)
            if name in UNIT_SYMBOLS:
                return UNIT_SYMBOLS[name]
        if symbol := graph.text(unit.value, UNITS + "symbol"):
            return symbol
    return ""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bundle is read.

    Indexing a bundle allocates hundreds of thousands of lists and sets; every
    allocation burst triggers a collection that walks all of them again. Measured
    on lsp-plugins.lv2: 1.55 s with the collector running, 1.10 s paused. None of
    these objects form cycles, so nothing is left behind for later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
