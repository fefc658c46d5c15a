"""Products: one entry per plugin across its formats (ZamComp as VST3 and as LV2 is one product).

A plugin's product is named by a key: the user's grouping when there is one (`pluginary group`),
else `product_of`'s rule. Backends store the key with each plugin so listing, tagging and
counting by product is one indexed query; `pluginary.catalog.Catalog.products` groups by it.
"""

from __future__ import annotations

import re
import unicodedata

from pluginary.core.models import Plugin

#: Words that say which build of a plugin a name is, not which plugin: "(VST3)", "x64", "64-bit".
BUILD_WORDS = re.compile(
    r"[\s_(\[-]*\b(vst3?|vst2|au|aax|lv2|clap|x64|x86|x86_64|64[\s-]?bits?|32[\s-]?bits?)\b[)\]]*", re.IGNORECASE
)
_NOT_ALNUM = re.compile(r"[\W_]+")


def product_key(name: str, vendor: str = "") -> tuple[str, str]:
    """(name, vendor) normalised so one product's formats agree: "Pro-Q 3 (VST3)", "pro q 3"
    and "ProQ3" are one name; "ZamComp" and "ZamCompX2", "Comp Mono" and "Comp Stereo" are not.

    Unicode compatibility forms folded, case folded, build words (format, architecture) dropped,
    then everything but letters and digits.
    """

    def norm(text: str, *, drop_build_words: bool) -> str:
        folded = unicodedata.normalize("NFKC", text).casefold()
        if drop_build_words:
            folded = BUILD_WORDS.sub(" ", folded)
        return _NOT_ALNUM.sub("", folded)

    return norm(name, drop_build_words=True), norm(vendor, drop_build_words=False)


def product_of(plugin: Plugin) -> str:
    """The product key the rule gives a plugin: `<vendor>/<name>`, both normalised by `product_key`."""
    name, vendor = product_key(plugin.name, plugin.vendor)
    return f"{vendor}/{name}"
