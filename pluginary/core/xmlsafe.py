"""An expat parser that refuses every DTD: what each reader of hostile XML shares.

Project files (`pluginary.projects`) and preset metadata (`pluginary.formats.vst3_preset`) come
from anyone. With no DTD there is no entity declaration, internal or external, so neither XXE
nor "billion laughs" gets past `<!DOCTYPE`; an undeclared entity reference is expat's own
"undefined entity" error. Each reader raises its own error kind, so the refusal is handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.parsers import expat


def parser_without_dtd(refuse: Callable[[int], Exception]) -> expat.XMLParserType:
    """A new expat parser that raises `refuse(line)` at a DTD or an entity declaration."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse_dtd(*_args: object) -> None:
        raise refuse(parser.CurrentLineNumber)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    return parser
