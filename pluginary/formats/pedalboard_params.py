"""Loading a plugin with pedalboard and reading its parameters cheaply.

Format-agnostic: anything pedalboard hosts (`VST3Plugin`, `AudioUnitPlugin`)
is a JUCE `AudioPluginInstance` underneath, and that is all this module
relies on. Runs inside scan workers only; pedalboard is imported by callers.

Why not `pedalboard.load_plugin(...).parameters`: building that dict asks the
plugin for the display text of ~1000 values per parameter (and of 1000 more
when the first pass looks wrong). ZamVerb takes minutes that way and under a
second when that step is skipped and the C++ parameter objects in
`plugin._parameters` are read directly. The same objects answer name, units,
default, step count and automatable at once, and the text of any value on
request; this module asks for the text of minimum, maximum and default, and of
every value of a discrete parameter with at most `MAX_CHOICES` values. The
thousand-value probe stays available as the explicit deep mode.

Conventions of the `Parameter` records made here (shared with every format):
`default`, `minimum` and `maximum` are normalised (0..1, as JUCE hosts them);
`num_steps` is the number of distinct values of a discrete parameter (2 for a
switch, len(choices) when choices are listed), None for a continuous one.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pluginary.core.models import Parameter, ParameterKind

log = logging.getLogger(__name__)

#: JUCE's AudioProcessor::getDefaultNumParameterSteps(): what a continuous parameter reports.
CONTINUOUS_STEPS = 0x7FFFFFFF
#: Discrete parameters with at most this many values get their choices listed.
MAX_CHOICES = 128
#: Values probed per continuous parameter in deep mode (pedalboard probes as many).
DEEP_PROBES = 1000
#: pedalboard's own default initialization_timeout, used when warm-up is asked for.
WARMUP_SECONDS = 10.0

_NUMBER = re.compile(
    r"\s*(?P<number>[-+]?(?:\d+(?P<fraction>[.,]\d*)?|[.,]\d+)(?P<exponent>[eE][-+]?\d+)?|[-+]?inf)"
    r"\s*[^\d\s/:]*\s*",
    re.IGNORECASE,
)
_BOOLEAN_PAIRS = {
    frozenset(pair) for pair in (("off", "on"), ("false", "true"), ("no", "yes"), ("disabled", "enabled"), ("0", "1"))
}


def load(plugin_class: Any, path: Path, name: str | None, *, warmup: bool = False) -> Any:
    """One plugin of the file at `path` (`name` None: its only one), instantiated without pedalboard's parameter probe.

    `warmup` lets an instrument render for up to WARMUP_SECONDS before use
    (pedalboard's initialization_timeout); a scan needs none of that.
    """
    _skip_initial_parameter_probe()
    return plugin_class(str(path), plugin_name=name, initialization_timeout=WARMUP_SECONDS if warmup else 0.0)


def _skip_initial_parameter_probe() -> None:
    """Make pedalboard's constructor skip building `parameters` when no values are given.

    pedalboard 0.9.26's constructor always calls
    `__set_initial_parameter_values__(parameter_values)`, which reads
    `self.parameters` even when there is nothing to set, and that is the
    thousand-probe step. The replacement does exactly the original's work when
    values are passed and nothing otherwise; `parameters` still builds on first
    use. Patched once per process, in the worker that loads plugins.
    """
    try:
        from pedalboard import _pedalboard
    except ImportError:
        return
    mixin = getattr(_pedalboard, "_PythonExternalPluginMixin", None)
    original = getattr(mixin, "__set_initial_parameter_values__", None)
    if mixin is None or original is None:
        log.warning("pedalboard changed: cannot skip its parameter probe, loads will be slow")
        return
    if getattr(original, "pluginary_lazy", False):
        return

    def set_initial_parameter_values(self: Any, parameter_values: Any) -> None:
        if parameter_values:
            original(self, parameter_values)

    set_initial_parameter_values.pluginary_lazy = True  # type: ignore[attr-defined]
    mixin.__set_initial_parameter_values__ = set_initial_parameter_values


def read_parameters(plugin: Any, *, deep: bool = False) -> tuple[Parameter, ...]:
    """Every parameter of a loaded pedalboard plugin, as the plugin presents it."""
    return tuple(_parameter(param, deep) for param in plugin._parameters)


def _parameter(param: Any, deep: bool) -> Parameter:
    steps = param.num_steps
    discrete = 2 <= steps < CONTINUOUS_STEPS
    choices: tuple[str, ...] = ()
    if discrete and steps <= MAX_CHOICES:
        choices = tuple(_text(param, i / (steps - 1)) for i in range(steps))
    elif deep and not discrete:
        probed = tuple(dict.fromkeys(_text(param, i / DEEP_PROBES) for i in range(DEEP_PROBES + 1)))
        # Few distinct words mean a switch or a menu that does not declare steps;
        # few distinct numbers are just a continuous value shown with few decimals.
        if 2 <= len(probed) <= MAX_CHOICES and _kind(probed, False) in (ParameterKind.BOOL, ParameterKind.CHOICE):
            discrete, steps, choices = True, len(probed), probed
    default = _single(param.default_raw_value)
    minimum_text, maximum_text = _text(param, 0.0), _text(param, 1.0)
    if discrete:
        kind = _kind(choices or (minimum_text, maximum_text), param.is_boolean)
    else:
        kind = ParameterKind.BOOL if param.is_boolean else ParameterKind.FLOAT
    return Parameter(
        index=param.index,
        name=param.name,
        kind=kind,
        units=param.label.strip(),
        default=default,
        minimum=0.0,
        maximum=1.0,
        default_text=_text(param, default),
        minimum_text=minimum_text,
        maximum_text=maximum_text,
        num_steps=steps if discrete else None,
        choices=choices,
        automatable=param.is_automatable,
    )


def _kind(texts: Sequence[str], is_boolean: bool) -> ParameterKind:
    """What the displayed values of a discrete parameter say it is."""
    if is_boolean or (len(texts) == 2 and frozenset(t.strip().lower() for t in texts) in _BOOLEAN_PAIRS):
        return ParameterKind.BOOL
    numbers = [_NUMBER.fullmatch(text) for text in texts]
    if not all(numbers):
        return ParameterKind.CHOICE
    if any(m["fraction"] or m["exponent"] or "inf" in m["number"].lower() for m in numbers if m):
        return ParameterKind.FLOAT
    return ParameterKind.INT


def _text(param: Any, value: float) -> str:
    return str(param.get_text_for_raw_value(value))


def _single(value: float) -> float:
    """The shortest decimal that is the same 32-bit float (JUCE's values are floats): 0.2, not 0.200000003."""
    target = struct.pack("<f", value)
    for digits in range(6, 10):
        short = float(f"{value:.{digits}g}")
        if struct.pack("<f", short) == target:
            return short
    return value
