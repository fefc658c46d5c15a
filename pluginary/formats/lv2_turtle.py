"""Reading an LV2 bundle's Turtle: the vocabulary, the units table and a small triple index.

A bundle's description is its `manifest.ttl` plus the files the manifest points to
with `rdfs:seeAlso`. This module parses bytes it is given; which files may be read
at all (only regular files inside the bundle) is decided by `pluginary.formats.lv2`.
pyoxigraph (Rust) parses them; only the statements with the
predicates below are kept, grouped by subject in one pass, so reading a port later
is one dict access. Measured on lsp-plugins.lv2 (12 MB, 530k triples): parsing
alone is ~0.40 s and the pass ~0.37 s more; loading the same files into a
`pyoxigraph.Store` for SPARQL takes ~1.4 s before the first query (it builds
several indexes in Rust), so a Store is not used. pyoxigraph holds the GIL while
parsing, so threads would not help either.
"""

from __future__ import annotations

import gc
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

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
PSET = "http://lv2plug.in/ns/ext/presets#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: A misspelt units namespace that old plugins still use; lilv-based hosts accept it too.
OLD_UNITS = "http://lv2plug.in/ns/extension/units#"

A = RDF + "type"
SEE_ALSO = RDFS + "seeAlso"
#: What a UTF-8 file may start with; lilv (serd) skips it, pyoxigraph takes it for a subject.
BOM = b"\xef\xbb\xbf"
#: The longest piece of text from a bundle (a file name, a parser message) put in a message.
SHOWN_LIMIT = 200

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
        RDFS + "comment",
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
                "designation",
                "appliesTo",
            )
        ),
        DOAP + "name",
        DOAP + "maintainer",
        DOAP + "homepage",
        FOAF + "name",
        FOAF + "homepage",
        UNITS + "unit",
        UNITS + "symbol",
        ATOM + "supports",
        EVENT + "supportsEvent",
        PATCH + "writable",
        PATCH + "readable",
        PSET + "value",
        PSET + "bank",
        DCTERMS + "creator",
    }
)
#: The datatypes of a literal that is a number: Turtle writes `1` as integer, `0.5` as decimal, `1e3` as double.
NUMBER_TYPES = frozenset(XSD + name for name in ("integer", "decimal", "double", "float", "int", "long", "short"))
#: Predicates read as if they were another: the old units namespace is the current one.
ALIASES = {OLD_UNITS + "unit": UNITS + "unit", OLD_UNITS + "symbol": UNITS + "symbol"}
#: Each predicate kept → the one it is stored under (one lookup filters and aliases).
KEEP = {predicate: predicate for predicate in PREDICATES} | ALIASES

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


#: What a bundle says about one subject: predicate IRI → objects, in file order.
Node: TypeAlias = "Mapping[str, Sequence[Term]]"
#: The node of a subject nothing is said about.
NOTHING: Node = MappingProxyType({})


class BundleGraph:
    """The statements of one bundle that the LV2 format needs, grouped by subject.

    One dict lookup gives everything known about a subject (a plugin, a port, a
    scale point), so reading a port is one lookup, not one per property.
    Subjects are keyed by their `value`: the IRI of a named node, the id of a blank
    node (blank ids never hold a ':', IRIs always do, so the two never meet). A str
    caches its hash; a pyoxigraph term hashes its Rust string on every lookup,
    which measured slower both here and while indexing. Objects stay terms;
    follow one with `graph.node(term.value)`.
    """

    def __init__(self) -> None:
        import pyoxigraph  # here, not at the top: the parent lists formats without it

        self._named_node = pyoxigraph.NamedNode
        self._literal = pyoxigraph.Literal
        self.nodes: dict[str, dict[str, list[Term]]] = {}

    def node(self, subject: str) -> Node:
        return self.nodes.get(subject, NOTHING)

    def load(self, data: bytes, path: Path, shown: str) -> None:
        """Add one Turtle file's `data`, resolving relative IRIs against `path`'s URI.

        Raises `PluginaryError` at `shown` (how messages name the file) with line and
        column when the Turtle is broken. Run it under `gc_paused()`: it allocates a
        list per statement kept. The loop runs once per statement (530k on lsp-plugins),
        so it is kept bare: ~0.77 s there, of which ~0.40 s is pyoxigraph parsing and
        ~0.2 s creating the three terms of each statement, the floor of parsing through Python.
        """
        from pyoxigraph import RdfFormat, parse

        data = data.removeprefix(BOM)
        # Blank node labels (`_:p1`) are only unique within one file, so they must be
        # renamed before files are merged; `[ ]` nodes get fresh ids anyway. Renaming
        # costs ~12 % of parsing, and no Debian bundle uses labels: rename only when
        # the text may hold one.
        quads = parse(
            data,
            RdfFormat.TURTLE,
            base_iri=path.absolute().as_uri(),
            rename_blank_nodes=b"_:" in data,
            # Not `lenient`: it would save ~2 % but accept IRIs that lilv rejects (a
            # space in one makes lilv skip the whole bundle).
        )
        nodes = self.nodes
        keep = KEEP
        try:
            for quad in quads:
                predicate = keep.get(quad.predicate.value)
                if predicate is None:
                    continue
                subject = quad.subject.value
                node = nodes.get(subject)
                if node is None:
                    nodes[subject] = {predicate: [quad.object]}
                elif (objects := node.get(predicate)) is None:
                    node[predicate] = [quad.object]
                else:
                    objects.append(quad.object)
        except SyntaxError as exc:
            # The message quotes the text it stumbled on: the bundle's own, but still
            # hostile (escape sequences, megabytes of one token).
            raise PluginaryError(
                f"invalid Turtle: {printable(exc.msg)}",
                where=f"{shown}:{exc.lineno}:{exc.offset}",
                fix="the bundle is damaged: reinstall or remove the plugin",
            ) from exc

    def is_iri(self, term: Term) -> bool:
        return isinstance(term, self._named_node)

    def iris(self, node: Node, predicate: str) -> set[str]:
        """The IRIs among the objects (e.g. a node's types or port properties)."""
        named_node = self._named_node
        return {o.value for o in node.get(predicate, ()) if isinstance(o, named_node)}

    def text(self, node: Node, predicate: str) -> str:
        """A literal, preferring one without a language tag, then English, then any."""
        best: Literal | None = None
        for term in node.get(predicate, ()):
            if isinstance(term, self._literal):
                if term.language is None:
                    return term.value
                if best is None or (term.language == "en" and best.language != "en"):
                    best = term
        return best.value if best is not None else ""

    def finite_number(self, node: Node, predicate: str) -> float | None:
        """The first object when it is a number literal (`0.5`, `"2"^^xsd:int`) and finite; else None.

        Stricter than `number`: a preset's value is stored and exported as is, and the strings
        "nan" and "inf" (or a number past a float's range) would pass `float()`.
        """
        found = node.get(predicate, ())
        if found and isinstance(term := found[0], self._literal) and term.datatype.value in NUMBER_TYPES:
            try:
                value = float(term.value)
            except ValueError:  # an ill-typed literal such as "x"^^xsd:double
                return None
            return value if math.isfinite(value) else None
        return None


def number(node: Node, predicate: str) -> float | None:
    """The first object as a number; None when absent or not numeric."""
    if found := node.get(predicate):
        try:
            return float(found[0].value)
        except ValueError:
            pass
    return None


def file_path(iri: str) -> Path | None:
    """The local path a `file:` IRI names (what `rdfs:seeAlso` points to); None for others.

    As lilv (serd) reads it: everything after the authority is the path, percent-decoded,
    `#` and `?` included. Ardour's bundles name `<a-comp#stereo.ttl>`, which is the file
    `a-comp#stereo.ttl`, not `a-comp` with a fragment.
    """
    from urllib.request import url2pathname  # pulls in http and email: only when scanning

    if not iri.startswith("file://"):
        return None
    authority_and_path = iri.removeprefix("file://")
    slash = authority_and_path.find("/")
    return Path(url2pathname(authority_and_path[slash:])) if slash >= 0 else None


def printable(text: str) -> str:
    """`text` fit for a one-line message: control and format characters escaped, bounded.

    Names and parser messages come from a bundle anyone may have written; escaping
    keeps them from driving a terminal (ESC, BEL), splitting a line (U+2028) or
    reversing what follows (U+202E).
    """
    if len(text) > SHOWN_LIMIT:
        text = text[:SHOWN_LIMIT] + "…"
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def unit_symbol(graph: BundleGraph, node: Node) -> str:
    """The symbol of a port's or parameter's unit: a standard unit from the table, or a
    custom `units:unit [ units:symbol "x" ]` (or a named unit that carries a symbol)."""
    for unit in node.get(UNITS + "unit", ()):
        if graph.is_iri(unit):
            name = unit.value.removeprefix(UNITS).removeprefix(OLD_UNITS)
            if name in UNIT_SYMBOLS:
                return UNIT_SYMBOLS[name]
        if symbol := graph.text(graph.node(unit.value), UNITS + "symbol"):
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
