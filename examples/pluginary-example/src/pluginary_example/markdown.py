"""A Markdown table of the catalogue: the smallest useful exporter."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from pluginary.core.interfaces import OutputFile
from pluginary.core.models import Plugin


def _cell(text: str) -> str:
    # A pipe or a newline would end the cell or the row.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


class MarkdownExporter:
    name: ClassVar[str] = "markdown"

    def render(self, plugins: Iterable[Plugin], path: Path, options: dict[str, Any]) -> list[OutputFile]:
        rows = ["| Name | Vendor | Format | Categories | Parameters |", "|---|---|---|---|---|"]
        for plugin in sorted(plugins, key=lambda p: (p.name.lower(), p.id)):
            categories = ", ".join(c.name for c in plugin.categories)
            rows.append(
                f"| {_cell(plugin.name)} | {_cell(plugin.vendor)} | {plugin.format} "
                f"| {_cell(categories)} | {len(plugin.parameters)} |"
            )
        return [OutputFile(path=path, content=("\n".join(rows) + "\n").encode())]
