"""Products: one entry per plugin across its formats (ZamComp as VST3 and as LV2 is one product).

A plugin's product is named by a key: the user's grouping when there is one (`pluginary group`),
else `product_of`'s rule. Backends store the key with each plugin so listing, tagging and
counting by product is one indexed query; `pluginary.catalog.Catalog.products` groups by it,
and `one_per_product` picks the format an export wants of each product.

The rule looks at names and vendors only: the links a plugin could give itself (a VST3
`moduleinfo.json`'s Compatibility class ids, which name VST2 or older VST3 ids; DPF's per-format
ids, which share no part across formats) are not in the `Plugin` record or do not join formats.
See docs/products.md.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import attrs

from pluginary.core.models import Plugin

#: The order of formats when one product is shown or exported as one entry: CLAP and VST3 carry
#: the most (parameter ids, note ports), AU and LV2 after. Formats not listed come last, by name.
DEFAULT_PREFER = ("clap", "vst3", "au", "lv2")

_BUILD = r"vst[23]?|au(?:v[23])?|aax|lv2|clap|x64|x86(?:[_-]64)?|(?:64|32)[\s-]?bits?"
#: Words that say which build of a plugin a name is, not which plugin: "(VST3)", "[x64, AAX]" anywhere
#: in brackets, or "VST3", "x64", "64-bit" at the end after a separator. Not "Clap" at the end (a
#: drum sound: "Super Clap") nor a build word inside a name ("Vst Tools"); "CLAP" in brackets is one.
BUILD_WORDS = re.compile(
    rf"\s*[(\[]\s*(?:{_BUILD})(?:[\s,/+&]+(?:{_BUILD}))*\s*[)\]]"
    rf"|(?:[\s_.-]+(?:vst[23]?|au(?:v[23])?|aax|lv2|x64|x86(?:[_-]64)?|(?:64|32)[\s-]?bits?))+\s*$",
    re.IGNORECASE,
)
#: Legal forms after a vendor's name: the AU and VST3 records of one maker differ by them.
_LEGAL_FORMS = re.compile(
    r"[\s,.]+(?:inc|ltd|llc|gmbh|ag|sa|sarl|bv|oy|ab|as|co|corp|corporation|limited|pty)\.?\s*$", re.IGNORECASE
)
_NOT_ALNUM = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=65_536)  # pure, and asked again for each listing of the same plugins
def product_key(name: str, vendor: str = "") -> tuple[str, str]:
    """(name, vendor) normalised so one product's formats agree: "Pro-Q 3 (VST3)", "pro q 3",
    "ProQ3" and "Pro-Q 3 x64" are one name, "FabFilter" and "FabFilter Inc." one vendor;
    "ZamComp" and "ZamCompX2", "Comp Mono" and "Comp Stereo" are not one name.

    Unicode compatibility forms folded ("Ｓｏｎｉｃ" is "Sonic"), case folded, build words dropped
    (`BUILD_WORDS`; never the whole name), legal forms dropped from the vendor, then everything but
    letters and digits.
    """
    folded_name = unicodedata.normalize("NFKC", name).casefold()
    # Repeated, so "Comp VST3 (x64)" loses both; a name that is only build words ("VST3") keeps them.
    stripped = folded_name
    while (shorter := BUILD_WORDS.sub("", stripped)) != stripped:
        stripped = shorter
    folded_vendor = _LEGAL_FORMS.sub("", unicodedata.normalize("NFKC", vendor).casefold())
    return _NOT_ALNUM.sub("", stripped) or _NOT_ALNUM.sub("", folded_name), _NOT_ALNUM.sub("", folded_vendor)


def product_of(plugin: Plugin) -> str:
    """The product key the rule gives a plugin: `<vendor>/<name>`, both normalised by `product_key`."""
    name, vendor = product_key(plugin.name, plugin.vendor)
    return f"{vendor}/{name}"


def format_rank(prefer: Sequence[str] = DEFAULT_PREFER) -> dict[str, int]:
    """Format → its place in `prefer` (lower first); `rank.get(format, len(rank))` for the others."""
    return {fmt.lower(): place for place, fmt in enumerate(prefer)}


@attrs.frozen
class Product:
    """One product: its key and its plugins, the preferred format first.

    `name` is the preferred plugin's, or the user's name for a grouping they named (`pluginary
    group --as NAME`: a key that is no member's rule key is shown as it is); `vendor` is its
    plugins' vendor, "" when they name different ones.
    """

    key: str
    name: str
    vendor: str
    plugins: tuple[Plugin, ...]

    @property
    def formats(self) -> tuple[str, ...]:
        """Its formats, in the order of `plugins`, each once."""
        return tuple(dict.fromkeys(plugin.format for plugin in self.plugins))

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag one of its plugins shows (the product's own tags are on all of them), sorted."""
        return tuple(sorted({tag for plugin in self.plugins for tag in plugin.tags}))

    def by_format(self) -> dict[str, tuple[Plugin, ...]]:
        """Format → its plugins of that format (usually one; a user's grouping may put two)."""
        return {fmt: tuple(plugin for plugin in self.plugins if plugin.format == fmt) for fmt in self.formats}


def group(plugins: Iterable[Plugin], keys: Mapping[str, str], prefer: Sequence[str] = DEFAULT_PREFER) -> list[Product]:
    """The plugins as products, in the order each product's first plugin comes. `keys` maps plugin id
    to product key (a backend's `product_keys`); a plugin it lacks gets `product_of`'s key."""
    members: dict[str, list[Plugin]] = {}
    for plugin in plugins:
        members.setdefault(keys.get(plugin.id) or product_of(plugin), []).append(plugin)
    rank = format_rank(prefer)
    products = []
    for key, held in members.items():
        held.sort(key=lambda plugin: (rank.get(plugin.format, len(rank)), plugin.format, plugin.id))
        first = held[0]
        named_by_user = all(product_of(plugin) != key for plugin in held)
        vendors = {plugin.vendor for plugin in held}
        vendor = first.vendor if len(vendors) == 1 else ""
        products.append(Product(key, key if named_by_user else first.name, vendor, tuple(held)))
    return products


def one_per_product(
    plugins: Iterable[Plugin], keys: Mapping[str, str], prefer: Sequence[str] = DEFAULT_PREFER
) -> list[Plugin]:
    """Of each product, its plugin in the first format of `prefer` it has (a format not listed comes
    after the listed ones): what an export that wants one entry per product writes."""
    return [product.plugins[0] for product in group(plugins, keys, prefer)]
