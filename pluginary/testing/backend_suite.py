"""The test suite every catalogue backend must pass, built-in or third-party.

    from pluginary.testing.backend_suite import BackendSuite

    class TestMyBackend(BackendSuite):
        @pytest.fixture
        def backend_factory(self):
            return MyBackend  # called as MyBackend(path, read_only=...), has default_filename

It covers the pipeline's write side (`pluginary.core.interfaces.Backend`) and,
through `pluginary.Catalog`, the query side (`pluginary.catalog.CatalogBackend`):
replacing a file's plugins, failures and their counts, user tags that survive
rescans, atomic batches, read-only use, refusing a damaged file, and every
filter, sort key, page and search rule. The data is small and written out
here, so each expectation can be checked by eye.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from pluginary.catalog import Catalog, CatalogBackend, QueryError
from pluginary.core.errors import CatalogError, PluginaryError
from pluginary.core.models import (
    IO,
    Category,
    CategorySource,
    FailureKind,
    FileResult,
    Host,
    Parameter,
    ParameterKind,
    Plugin,
    PluginFile,
    Preset,
    PresetSource,
    ScanFailure,
)
from pluginary.core.products import product_of

BackendFactory = Callable[..., CatalogBackend]

#: Text that must never break a search or reach the query engine as syntax.
HOSTILE_SEARCHES = (
    "",
    "   ",
    '"',
    '""',
    "'",
    "*",
    "-",
    "- reverb",
    "reverb -",
    "AND",
    "OR NOT",
    "reverb AND",
    "NEAR(reverb eq)",
    "name:reverb",
    "{name vendor}: eq",
    "^pro",
    "pro*q",
    "(",
    ")",
    "Pro-Q 3",
    'say "hi',
    "%_\\",
    "😀",
    "🎛️ reverb",
    "a\x00b",
    "\udcff",
    "ünïcödé",
    "SELECT * FROM plugins; --",
)


def words_of(text: str) -> list[str]:
    """The words search sees in `text`: runs of letters and digits (Unicode L*, N*), case and accents folded."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in folded if not unicodedata.combining(ch))
    return kept.split()


def _plainly_split(text: str) -> bool:
    """Whether every character of `text` is a letter, digit, space or ASCII punctuation: text whose words
    any tokenizer splits the same way. Symbols, marks and private-use characters are split differently
    by different engines (SQLite's unicode61, PostgreSQL's parser), so the oracle below says nothing there."""
    return all(
        unicodedata.category(ch)[0] in "LNZ" or (ch.isascii() and ch.isprintable()) for ch in text if ch <= "\uffff"
    ) and all(ch <= "\uffff" for ch in text)


def assert_found_literally(found: list[Plugin], text: str) -> None:
    """Search is literal: what it finds holds, for each word of the text, a word beginning with it (in
    its name, vendor, categories, tags or parameter names); text with no word finds nothing. A query
    read as syntax (OR, NOT, NEAR, column filters) breaks this at once."""
    if not _plainly_split(text):
        return
    wanted = words_of(text)
    if not wanted:
        assert found == [], f"{text!r} has no word, yet found {[p.name for p in found]}"
    for plugin in found:
        fields = [plugin.name, plugin.vendor, *(c.name for c in plugin.categories), *plugin.tags,
                  *(parameter.name for parameter in plugin.parameters)]  # fmt: skip
        held = {word for field in fields for word in words_of(field)}
        missing = [w for w in wanted if not any(h.startswith(w) for h in held)]
        assert not missing, f"{text!r} found {plugin.name!r}, which has no word starting with {missing}"


def make_plugin(
    name: str,
    vendor: str,
    fmt: str,
    category: str,
    parameters: tuple[str, ...] = (),
    *,
    path: str | None = None,
    instrument: bool = False,
    effect: bool | None = None,
    scanned_at: str = "2025-01-01T00:00:00+00:00",
    **fields: Any,
) -> Plugin:
    """A plausible plugin; its id and path follow from the name unless given."""
    slug = name.lower().replace(" ", "-")
    return Plugin(
        id=fields.pop("id", f"{fmt}:{vendor.lower()}.{slug}"),
        format=fmt,
        name=name,
        path=path or f"/plugins/{fmt}/{slug}.{fmt}",
        vendor=vendor,
        version="1.2.3",
        native_categories=(category.replace("/", "|"),),
        is_instrument=instrument,
        is_effect=(not instrument) if effect is None else effect,
        categories=(Category(category, CategorySource.NATIVE, 0.9),),
        io=IO(audio_inputs=0 if instrument else 2, audio_outputs=2, midi_inputs=1 if instrument else None),
        latency=64,
        sdk="3.7.9" if fmt == "vst3" else "",
        parameters=tuple(
            Parameter(
                index=index,
                name=parameter,
                kind=ParameterKind.CHOICE if parameter == "Mode" else ParameterKind.FLOAT,
                units="dB" if "Gain" in parameter else "",
                default=0.1 + index / 3,  # not exactly representable: checks float round trips
                minimum=0.0,
                maximum=1.0,
                default_text=f"{index}",
                num_steps=2 if parameter == "Mode" else None,
                choices=("Clean", "Warm", "Hot") if parameter == "Mode" else (),
                automatable=parameter != "Mode",
            )
            for index, parameter in enumerate(parameters)
        ),
        scanned_at=scanned_at,
        scanner_version="0.1.0",
        host=Host(name="studio", os="linux"),
        **fields,
    )


def sample_plugins() -> list[Plugin]:
    eq = ("Band 1 Gain", "Band 1 Frequency", "Output Gain", "Mix", "Mode")
    return [
        make_plugin("Pro-Q 3", "FabFilter", "vst3", "Effect/EQ", eq, scanned_at="2025-03-01T00:00:00+00:00"),
        make_plugin("Pro-R", "FabFilter", "vst3", "Effect/Reverb", ("Decay", "Mix")),
        make_plugin("VintageVerb", "Valhalla DSP", "vst3", "Effect/Reverb", ("Decay", "Size", "Mix", "Mode")),
        make_plugin(
            "Diva",
            "u-he",
            "vst3",
            "Instrument/Synth",
            (*(f"Osc {n}" for n in range(30)), "Cutoff"),
            instrument=True,
            scanned_at="2024-06-01T00:00:00+00:00",
        ),
        make_plugin("Dynamic Compressor", "x42", "lv2", "Effect/Dynamics", ("Threshold", "Ratio", "Attack")),
        make_plugin("Reverb", "Calf Studio Gear", "lv2", "Effect/Reverb", ("Room Size", "Decay", "Mix")),
        make_plugin("AUMatrixReverb", "Apple", "au", "Effect/Reverb"),
        make_plugin("DLSMusicDevice", "Apple", "au", "Instrument/Synth", ("Tuning",), instrument=True),
        make_plugin("Vocoder", "Apple", "au", "Effect/Modulation", ("Bands",), instrument=True, effect=True),
        make_plugin("C4 Multiband", "Waves", "vst3", "Effect/Dynamics", ("Threshold",), path="/plugins/WaveShell.vst3"),
        make_plugin("H-Reverb", "Waves", "vst3", "Effect/Reverb", ("Decay",), path="/plugins/WaveShell.vst3"),
        make_plugin("Réverbération Étoile 😀", "Ｓｏｎｉｃ", "lv2", "Effect/Reverb", ("Durée",)),
        make_plugin("Effects Rack", "Acme", "vst3", "Effects", ("Slot 1",)),  # "Effects" is not under "Effect"
        make_plugin("Pro-Q 3", "FabFilter", "au", "Effect/EQ", eq),  # the same name in another format
    ]


def file_of(path: str, plugins: list[Plugin], fingerprint: str = "v1") -> PluginFile:
    fmt = next((p.format for p in plugins if p.path == path), "vst3")
    return PluginFile(path=path, format=fmt, size=1000, mtime_ns=1, fingerprint=fingerprint)


def results_for(plugins: list[Plugin]) -> list[FileResult]:
    """One FileResult per path, holding every plugin at that path."""
    paths = dict.fromkeys(plugin.path for plugin in plugins)
    return [FileResult(file_of(path, plugins), plugins=tuple(p for p in plugins if p.path == path)) for path in paths]


def failure_at(path: str, *, last_seen: str, kind: FailureKind = FailureKind.CRASH, **fields: Any) -> FileResult:
    failure = ScanFailure(
        path=path, format="vst3", fingerprint="v2", kind=kind, first_seen=last_seen, last_seen=last_seen, **fields
    )
    return FileResult(PluginFile(path, "vst3", 1000, 2, "v2"), failure=failure)


#: Filters of a listing, and the names of the sample plugins each selects.
FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"format": "lv2"}, {"Dynamic Compressor", "Reverb", "Réverbération Étoile 😀"}),
    ({"format": "AU"}, {"AUMatrixReverb", "DLSMusicDevice", "Vocoder", "Pro-Q 3"}),
    ({"vendor": "fabfilter"}, {"Pro-Q 3", "Pro-R"}),
    ({"category": "Instrument"}, {"Diva", "DLSMusicDevice"}),
    ({"category": "effect/dynamics"}, {"Dynamic Compressor", "C4 Multiband"}),
    (
        {"category": "Effect/"},
        {
            "Pro-Q 3",
            "Pro-R",
            "VintageVerb",
            "Dynamic Compressor",
            "Reverb",
            "AUMatrixReverb",
            "Vocoder",
            "C4 Multiband",
            "H-Reverb",
            "Réverbération Étoile 😀",
        },
    ),
    ({"category": "Effects"}, {"Effects Rack"}),
    ({"category": "Eff"}, set()),
    ({"category": "Effect/Rev%"}, set()),
    ({"instrument": True}, {"Diva", "DLSMusicDevice", "Vocoder"}),
    ({"instrument": True, "effect": True}, {"Vocoder"}),
    ({"effect": False}, {"Diva", "DLSMusicDevice"}),
    ({"params": ">20"}, {"Diva"}),
    ({"params": "4..5"}, {"Pro-Q 3", "VintageVerb"}),
    ({"params": "<1"}, {"AUMatrixReverb"}),
    ({"params": (None, 0)}, {"AUMatrixReverb"}),
    ({"has_param": "decay"}, {"Pro-R", "VintageVerb", "Reverb", "H-Reverb"}),
    ({"has_param": "Dec"}, set()),
    ({"has_param": "mix", "format": "vst3", "params": "3.."}, {"Pro-Q 3", "VintageVerb"}),
]


class BackendSuite:
    """Subclass it and provide `backend_factory`; every test runs against that backend."""

    @pytest.fixture
    def backend_factory(self) -> BackendFactory:
        raise NotImplementedError("a BackendSuite subclass provides the backend_factory fixture")

    @pytest.fixture
    def path(self, tmp_path: Path, backend_factory: BackendFactory) -> Path:
        # A folder that does not exist yet: opening for writing must create it.
        return tmp_path / "data" / "pluginary" / backend_factory.default_filename  # type: ignore[attr-defined]

    @pytest.fixture
    def backend(self, backend_factory: BackendFactory, path: Path) -> Iterator[CatalogBackend]:
        backend = backend_factory(path)
        yield backend
        backend.close()

    @pytest.fixture
    def plugins(self) -> list[Plugin]:
        return sample_plugins()

    @pytest.fixture
    def catalog(self, backend: CatalogBackend, plugins: list[Plugin]) -> Catalog:
        backend.write(results_for(plugins))
        return Catalog(backend)

    # -- the pipeline's write side -------------------------------------------------

    def test_a_new_catalogue_is_empty_and_exists(self, backend: CatalogBackend, path: Path) -> None:
        assert path.exists()
        assert backend.stored_files() == {}
        assert backend.failures() == {}
        assert list(backend.plugins()) == []

    def test_plugins_round_trip_exactly_in_id_order(self, backend: CatalogBackend, plugins: list[Plugin]) -> None:
        backend.write(results_for(plugins))
        assert list(backend.plugins()) == sorted(plugins, key=lambda p: p.id)
        assert set(backend.stored_files()) == {p.path for p in plugins}

    def test_everything_persists_across_reopening(
        self, backend_factory: BackendFactory, backend: CatalogBackend, path: Path, plugins: list[Plugin]
    ) -> None:
        backend.write([*results_for(plugins), failure_at("/plugins/broken.vst3", last_seen="2025-01-02")])
        backend.record_run({"started_at": "2025-01-02T00:00:00", "stored": 14})
        Catalog(backend).tag(plugins[0].id, "favourite")

        def content(backend: CatalogBackend) -> tuple[Any, ...]:
            stats = Catalog(backend).stats()
            del stats["size_bytes"]  # a SQLite file grows when its WAL is folded in on closing
            return list(backend.plugins()), backend.stored_files(), backend.failures(), stats

        expected = content(backend)
        backend.close()
        reopened = backend_factory(path)
        try:
            assert content(reopened) == expected
        finally:
            reopened.close()

    def test_a_rescanned_file_replaces_its_plugins_only(self, backend: CatalogBackend, plugins: list[Plugin]) -> None:
        backend.write(results_for(plugins))
        shell = [p for p in plugins if p.path == "/plugins/WaveShell.vst3"]
        backend.write([FileResult(file_of(shell[0].path, shell, "v2"), plugins=(shell[0],))])
        stored = {p.id for p in backend.plugins()}
        assert shell[0].id in stored
        assert shell[1].id not in stored
        assert len(stored) == len(plugins) - 1
        assert backend.stored_files()[shell[0].path].fingerprint == "v2"

    def test_a_plugin_that_moved_keeps_its_id_and_user_labels(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        backend.write(results_for(plugins))
        Catalog(backend).tag(plugins[1].id, "shimmer")
        moved = attrs.evolve(plugins[1], path="/plugins/elsewhere/pro-r.vst3")
        # As a scan stores a move: the old file is gone, the new one is new.
        backend.remove([plugins[1].path])
        assert backend.write([FileResult(file_of(moved.path, [moved]), plugins=(moved,))]) == []
        found = [p for p in backend.plugins() if p.id == moved.id]
        assert found == [attrs.evolve(moved, tags=("shimmer",))]
        assert plugins[1].path not in backend.stored_files()

    def test_a_plugin_installed_twice_keeps_both_copies_and_shows_the_preferred(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        system = attrs.evolve(plugins[1], path="/usr/lib/vst3/Pro-R.vst3", version="1.2.3")
        user = attrs.evolve(plugins[1], path=str(Path.home() / ".vst3" / "Pro-R.vst3"), version="1.2.3")
        older = attrs.evolve(plugins[1], path="/opt/vst3/Pro-R.vst3", version="1.2.10")  # newer: 10 > 3
        catalog = Catalog(backend)
        assert backend.write(results_for([system])) == []
        catalog.tag(system.id, "shimmer")
        warnings = backend.write(results_for([user]))
        # The user's own copy wins a tie on version, whatever order they were stored in.
        assert warnings == [f"Pro-R ({system.id}) is installed twice: {user.path}, {system.path}; using {user.path}"]
        assert [p.path for p in backend.plugins()] == [user.path]
        assert set(backend.stored_files()) == {system.path, user.path}
        (warning,) = backend.write(results_for([older]))
        assert warning.startswith("Pro-R (") and "installed 3 times" in warning and warning.endswith(older.path)
        assert catalog.get(system.id) == attrs.evolve(older, tags=("shimmer",))
        # Uninstalling copies: the best remaining one takes over, until none is left.
        backend.remove([older.path])
        assert catalog.get(system.id) == attrs.evolve(user, tags=("shimmer",))
        backend.write([failure_at(user.path, last_seen="2025-01-01")])  # a copy that now fails is no copy
        assert catalog.get(system.id) == attrs.evolve(system, tags=("shimmer",))
        assert catalog.check() == []
        backend.remove([system.path])
        assert list(backend.plugins()) == []
        # The order they are found in changes nothing.
        for copy in (older, user, system):
            backend.write(results_for([copy]))
        assert catalog.get(system.id).path == older.path  # type: ignore[union-attr]

    def test_every_copy_is_kept_across_reopening(
        self, backend_factory: BackendFactory, backend: CatalogBackend, path: Path, plugins: list[Plugin]
    ) -> None:
        first = attrs.evolve(plugins[4], path="/usr/lib/lv2/x42-compressor.lv2")
        second = attrs.evolve(plugins[4], path="/usr/local/lib/lv2/x42-compressor.lv2", version="2.0")
        backend.write([*results_for([first]), *results_for([second])])
        backend.close()
        reopened = backend_factory(path)
        try:
            assert [p.path for p in reopened.plugins()] == [second.path]
            reopened.remove([second.path])
            assert [p for p in reopened.plugins()] == [first]
        finally:
            reopened.close()

    def test_new_ids_from_a_rescanned_file_keep_the_user_labels_of_the_same_names(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        """VST3 ids became class ids: `vst3:<path>#<name>` → `vst3:<CID>`, same file, same names."""
        shell = "/plugins/WaveShell.vst3"
        old = [attrs.evolve(p, id=f"vst3:{shell}#{p.name}") for p in plugins if p.path == shell]
        backend.write(results_for(old))
        catalog = Catalog(backend)
        mine = Category("Effect/Favourites", CategorySource.USER, 1.0)
        catalog.tag(old[0].id, "glue")
        backend.write([FileResult(file_of(shell, old), plugins=(attrs.evolve(old[1], categories=(mine,)), old[0]))])
        new = [attrs.evolve(p, id=f"vst3:{n:032X}") for n, p in enumerate(old)]
        backend.write([FileResult(file_of(shell, new, "v2"), plugins=tuple(new))])
        assert [(p.name, p.tags) for p in catalog.plugins(tag="glue")] == [(new[0].name, ("glue",))]
        assert catalog.get(new[1].id).categories == (mine, *new[1].categories)  # type: ignore[union-attr]
        assert {p.id for p in backend.plugins()} == {p.id for p in new}
        assert catalog.check() == []

    def test_opening_without_create_refuses_a_missing_or_empty_file_untouched(
        self, backend_factory: BackendFactory, path: Path
    ) -> None:
        with pytest.raises(CatalogError, match="no catalogue here"):
            backend_factory(path, create=False)
        assert not path.parent.exists()
        path.parent.mkdir(parents=True)
        path.touch()
        for read_only in (False, True):
            with pytest.raises(CatalogError, match="an empty file, not a catalogue") as raised:
                backend_factory(path, create=False, read_only=read_only)
            assert str(path) in str(raised.value)
        assert path.read_bytes() == b""
        assert sorted(path.parent.iterdir()) == [path]

    def test_a_failure_removes_the_files_plugins_and_is_quarantined(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        backend.write(results_for(plugins))
        shell = "/plugins/WaveShell.vst3"
        backend.write([failure_at(shell, last_seen="2025-02-01T00:00:00", signal=11)])
        assert not [p for p in backend.plugins() if p.path == shell]
        assert shell not in backend.stored_files()
        failure = backend.failures()[shell]
        assert (failure.kind, failure.signal, failure.attempts) == (FailureKind.CRASH, 11, 1)
        assert failure.first_seen == failure.last_seen == "2025-02-01T00:00:00"

    def test_repeated_failures_count_attempts_and_keep_first_seen(self, backend: CatalogBackend) -> None:
        path = "/plugins/hangs.vst3"
        backend.write([failure_at(path, last_seen="2025-01-01", kind=FailureKind.TIMEOUT)])
        backend.write([failure_at(path, last_seen="2025-01-05", kind=FailureKind.TIMEOUT)])
        backend.write([failure_at(path, last_seen="2025-01-09", kind=FailureKind.ERROR, message="bad", attempts=2)])
        failure = backend.failures()[path]
        assert (failure.attempts, failure.first_seen, failure.last_seen) == (4, "2025-01-01", "2025-01-09")
        assert (failure.kind, failure.message) == (FailureKind.ERROR, "bad")

    def test_a_successful_scan_clears_the_failure(self, backend: CatalogBackend, plugins: list[Plugin]) -> None:
        pro_r = plugins[1]
        backend.write([failure_at(pro_r.path, last_seen="2025-01-01")])
        backend.write([FileResult(file_of(pro_r.path, [pro_r]), plugins=(pro_r,))])
        assert backend.failures() == {}
        assert [p.id for p in backend.plugins()] == [pro_r.id]

    def test_remove_forgets_plugins_files_and_failures(self, backend: CatalogBackend, plugins: list[Plugin]) -> None:
        backend.write([*results_for(plugins), failure_at("/plugins/broken.vst3", last_seen="2025-01-01")])
        backend.remove(["/plugins/WaveShell.vst3", "/plugins/broken.vst3", "/plugins/never-seen.vst3"])
        assert not {"/plugins/WaveShell.vst3", "/plugins/broken.vst3"} & set(backend.stored_files())
        assert backend.failures() == {}
        assert len(list(backend.plugins())) == len(plugins) - 2

    def test_a_batch_is_stored_whole_or_not_at_all(
        self, backend: CatalogBackend, path: Path, plugins: list[Plugin]
    ) -> None:
        backend.write(results_for(plugins[:3]))
        before = (list(backend.plugins()), backend.stored_files(), path.read_bytes())
        unstorable = attrs.evolve(plugins[5], name=object())  # type: ignore[arg-type]  # not text: unstorable
        batch = [*results_for(plugins[3:5]), FileResult(file_of(unstorable.path, [unstorable]), (unstorable,))]
        with pytest.raises(Exception):  # noqa: B017  # whatever the backend raises; the point is what is left
            backend.write(batch)
        assert (list(backend.plugins()), backend.stored_files(), path.read_bytes()) == before

    def test_user_tags_and_categories_survive_rescans_failures_and_removal(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        pro_r = plugins[1]
        mine = Category("Effect/Favourite Reverbs", CategorySource.USER, 1.0)
        tagged = attrs.evolve(pro_r, categories=(*pro_r.categories, mine))
        backend.write([FileResult(file_of(pro_r.path, [pro_r]), plugins=(tagged,))])
        Catalog(backend).tag(pro_r.id, "shimmer", "Favourite")
        rescans = [
            [FileResult(file_of(pro_r.path, [pro_r], "v2"), plugins=(pro_r,))],
            [failure_at(pro_r.path, last_seen="2025-01-01")],
            [FileResult(file_of(pro_r.path, [pro_r], "v3"), plugins=(pro_r,))],
        ]
        for batch in rescans:
            backend.write(batch)
        backend.remove([pro_r.path])
        backend.write([FileResult(file_of(pro_r.path, [pro_r], "v4"), plugins=(pro_r,))])
        (stored,) = backend.plugins()
        assert stored.tags == ("Favourite", "shimmer")
        assert stored.categories == (mine, *pro_r.categories)

    def test_tags_in_a_written_record_are_kept_with_the_users(
        self, backend: CatalogBackend, plugins: list[Plugin]
    ) -> None:
        pro_r = attrs.evolve(plugins[1], tags=("mixing",))
        backend.write([FileResult(file_of(pro_r.path, [pro_r]), plugins=(pro_r,))])
        Catalog(backend).tag(pro_r.id, "bright")
        backend.write([FileResult(file_of(pro_r.path, [pro_r], "v2"), plugins=(attrs.evolve(pro_r, tags=()),))])
        assert next(backend.plugins()).tags == ("bright", "mixing")

    def test_runs_are_recorded_newest_first(self, catalog: Catalog) -> None:
        catalog.backend.record_run({"started_at": "2025-01-01T10:00:00", "pipeline": "full", "stored": 14})
        catalog.backend.record_run({"started_at": "2025-01-02T10:00:00", "pipeline": "incremental", "seconds": 1.5})
        runs = catalog.stats()["runs"]
        assert [run["pipeline"] for run in runs] == ["incremental", "full"]
        assert runs[1]["stored"] == 14

    # -- opening -------------------------------------------------------------------

    def test_read_only_answers_queries_and_refuses_writes(
        self, backend_factory: BackendFactory, catalog: Catalog, path: Path, plugins: list[Plugin]
    ) -> None:
        catalog.close()
        before = path.read_bytes()
        reader = Catalog(backend_factory(path, read_only=True))
        try:
            assert reader.read_only
            assert [p.name for p in reader.search("vintageverb")] == ["VintageVerb"]
            assert reader.count() == len(plugins)
            with pytest.raises(CatalogError, match="read-only"):
                reader.backend.write(results_for(plugins[:1]))
            with pytest.raises(CatalogError, match="read-only"):
                reader.tag(plugins[0].id, "nope")
        finally:
            reader.close()
        assert path.read_bytes() == before

    def test_read_only_without_a_catalogue_says_so(self, backend_factory: BackendFactory, tmp_path: Path) -> None:
        missing = tmp_path / "nothing" / backend_factory.default_filename  # type: ignore[attr-defined]
        with pytest.raises(CatalogError, match="no catalogue") as raised:
            backend_factory(missing, read_only=True)
        assert str(missing) in str(raised.value)
        assert not missing.parent.exists()

    @pytest.mark.parametrize("read_only", [False, True])
    @pytest.mark.parametrize(
        "content", [b"\x00\x01garbage\xff" * 300, b"PK\x03\x04 a zip file?", b"plain text, not a catalogue\n"]
    )
    def test_a_file_that_is_not_a_catalogue_is_refused_and_left_untouched(
        self, backend_factory: BackendFactory, path: Path, content: bytes, read_only: bool
    ) -> None:
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        with pytest.raises(CatalogError) as raised:
            backend_factory(path, read_only=read_only)
        message = str(raised.value)
        assert str(path) in message
        # What to do, and not "run `db check`": that command cannot open the file either.
        assert "restore a backup" in message and "db check" not in message and "\n" not in message
        assert path.read_bytes() == content
        assert sorted(path.parent.iterdir()) == [path]

    # -- queries ---------------------------------------------------------------------

    @pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
    def test_filters(self, catalog: Catalog, filters: dict[str, Any], expected: set[str]) -> None:
        found = list(catalog.plugins(**filters))
        assert {p.name for p in found} == expected
        assert catalog.count(**filters) == len(found)

    def test_tag_filter_and_tag_search(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        assert catalog.tag(plugins[2].id, "Shimmer", "mixing", "shimmer") == ("mixing", "Shimmer")
        assert catalog.tag("Diva", "mixing") == ("mixing",)
        assert {p.name for p in catalog.plugins(tag="MIXING")} == {"VintageVerb", "Diva"}
        assert [p.name for p in catalog.search("shimmer")] == ["VintageVerb"]
        assert catalog.untag(plugins[2].id, "SHIMMER", "never-there") == ("mixing",)
        assert catalog.search("shimmer") == []
        assert catalog.get(plugins[2].id).tags == ("mixing",)  # type: ignore[union-attr]

    @pytest.mark.parametrize(
        ("sort", "key"),
        [
            ("name", lambda p: (p.name.casefold(),)),
            ("vendor", lambda p: (p.vendor.casefold(), p.name.casefold())),
            ("format", lambda p: (p.format, p.name.casefold())),
            ("category", lambda p: (p.categories[0].name.casefold(), p.name.casefold())),
            ("params", lambda p: (len(p.parameters), p.name.casefold())),
            ("scanned", lambda p: (p.scanned_at, p.name.casefold())),
        ],
    )
    @pytest.mark.parametrize("reverse", [False, True])
    def test_sorting_breaks_ties_by_name_then_id(
        self,
        catalog: Catalog,
        plugins: list[Plugin],
        sort: str,
        key: Callable[[Plugin], tuple[Any, ...]],
        reverse: bool,
    ) -> None:
        expected = sorted(plugins, key=lambda p: (*key(p), p.id), reverse=reverse)
        assert [p.id for p in catalog.plugins(sort=sort, reverse=reverse)] == [p.id for p in expected]

    def test_pages_are_slices_of_the_whole_order(self, catalog: Catalog) -> None:
        everything = [p.id for p in catalog.plugins(sort="vendor")]
        pages = [[p.id for p in catalog.plugins(sort="vendor", limit=4, offset=start)] for start in range(0, 16, 4)]
        assert [plugin_id for page in pages for plugin_id in page] == everything
        assert list(catalog.plugins(limit=0)) == []
        assert list(catalog.plugins(offset=100)) == []
        assert catalog.count(sort="vendor", limit=4, offset=4) == len(everything)

    def test_bad_sort_and_page_arguments_are_query_errors(self, catalog: Catalog) -> None:
        for arguments in ({"sort": "colour"}, {"limit": -1}, {"offset": -5}, {"params": "lots"}):
            with pytest.raises(QueryError):
                catalog.plugins(**arguments)

    @pytest.mark.parametrize(
        ("text", "first"),
        [
            ("Pro-Q 3", "Pro-Q 3"),
            ("pro q", "Pro-Q 3"),
            ("vintage", "VintageVerb"),
            ("valhalla", "VintageVerb"),
            ("cutoff", "Diva"),
            ("reverbera", "Réverbération Étoile 😀"),
            ("RÉVERBÉRATION étoile", "Réverbération Étoile 😀"),
            ("durée", "Réverbération Étoile 😀"),
            ("waves dynamics", "C4 Multiband"),
        ],
    )
    def test_search_finds_by_name_vendor_category_and_parameter(self, catalog: Catalog, text: str, first: str) -> None:
        found = catalog.search(text)
        assert found and found[0].name == first

    def test_search_ranks_name_hits_above_category_hits(self, catalog: Catalog) -> None:
        names = [p.name for p in catalog.search("reverb")]
        assert set(names[:3]) == {"Reverb", "H-Reverb", "Réverbération Étoile 😀"}  # "reverb" begins a word of the name
        assert set(names[3:]) == {"Pro-R", "VintageVerb", "AUMatrixReverb"}  # only their category says reverb
        assert len(catalog.search("reverb", limit=2)) == 2

    @pytest.mark.parametrize("text", HOSTILE_SEARCHES)
    def test_any_text_is_searched_literally(self, catalog: Catalog, text: str) -> None:
        assert_found_literally(catalog.search(text), text)
        if text.strip() in ("*", "-", "AND", '"', "😀"):
            assert catalog.search(text) == []
        if text in ("- reverb", "reverb -", "Pro-Q 3", "🎛️ reverb"):  # the words are there: found
            assert catalog.search(text)

    @pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
    def test_search_within_filters_finds_what_both_select_best_first(
        self, catalog: Catalog, filters: dict[str, Any], expected: set[str]
    ) -> None:
        selected = {p.id for p in catalog.plugins(**filters)}
        for text in ("reverb", "mix", "pro", "decay", "synth"):
            ranked = [p.id for p in catalog.search(text, limit=100) if p.id in selected]
            assert [p.id for p in catalog.search(text, limit=100, **filters)] == ranked
            # The cut comes after the filters: the best plugin they select, however low it ranks overall.
            assert [p.id for p in catalog.search(text, limit=1, **filters)] == ranked[:1]
        assert {p.name for p in catalog.search("reverb mix", limit=100, **filters)} <= expected

    def test_a_search_without_parameters_finds_the_same_without_them(
        self, catalog: Catalog, plugins: list[Plugin]
    ) -> None:
        stored = {plugin.id: plugin for plugin in plugins}
        light = catalog.search("effect", parameters=False, format="vst3")
        assert [p.id for p in light] == [p.id for p in catalog.search("effect", format="vst3")]
        assert len(light) == 6  # every vst3 effect, and "Effects Rack"
        for plugin in light:
            assert plugin == attrs.evolve(stored[plugin.id], parameters=(), outputs=())
            assert plugin.parameter_count == len(stored[plugin.id].parameters)

    def test_raw_search_speaks_the_engines_syntax_and_reports_mistakes(self, catalog: Catalog) -> None:
        assert catalog.search("reverb AND", raw=False) == []  # literal: no plugin has the word "and"
        with pytest.raises(QueryError):
            catalog.search('"unbalanced', raw=True)

    def test_get_and_find(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        assert catalog.get(plugins[3].id) == plugins[3]
        assert catalog.get("vst3:nothing") is None
        assert catalog.find(plugins[3].id) == [plugins[3]]
        assert [p.format for p in catalog.find("pro-q 3")] == ["au", "vst3"]
        assert catalog.find("Pro") == []

    def test_searches_and_lists_return_whole_records(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        stored = {plugin.id: plugin for plugin in plugins}
        found = catalog.search("reverb")
        listed = list(catalog.plugins(category="Effect", sort="params", limit=6))
        assert found and listed
        for plugin in (*found, *listed):
            assert plugin == stored[plugin.id] == catalog.get(plugin.id)

    def test_a_listing_without_parameters_is_the_same_listing_without_them(
        self, catalog: Catalog, plugins: list[Plugin]
    ) -> None:
        stored = {plugin.id: plugin for plugin in plugins}
        light = list(catalog.plugins(sort="params", reverse=True, parameters=False))
        assert [p.id for p in light] == [p.id for p in catalog.plugins(sort="params", reverse=True)]
        assert light[0].name == "Diva"  # sorted by its 31 parameters, which it comes without
        assert light[0].parameter_count == 31
        for plugin in light:
            assert plugin == attrs.evolve(stored[plugin.id], parameters=(), outputs=())
            assert plugin.parameter_count == len(stored[plugin.id].parameters)

    def test_stats(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        catalog.backend.write([failure_at("/plugins/broken.vst3", last_seen="2025-01-01")])
        stats = catalog.stats()
        assert (stats["plugins"], stats["files"], stats["failures"]) == (len(plugins), len(plugins) - 1, 1)
        assert (stats["instruments"], stats["effects"]) == (3, 12)
        assert stats["formats"] == {"vst3": 7, "lv2": 3, "au": 4}
        assert list(stats["vendors"].items())[:2] == [("Apple", 3), ("FabFilter", 3)]
        assert stats["categories"]["Effect/Reverb"] == 6
        assert stats["parameters"]["max"] == 31
        assert stats["parameters"]["histogram"]["0"] == 1
        assert sum(stats["parameters"]["histogram"].values()) == len(plugins)
        assert stats["size_bytes"] > 0

    def test_failures_are_listed_most_recent_first(self, catalog: Catalog) -> None:
        catalog.backend.write([failure_at("/plugins/a.vst3", last_seen="2025-01-01")])
        catalog.backend.write([failure_at("/plugins/b.vst3", last_seen="2025-03-01", kind=FailureKind.TIMEOUT)])
        assert [f.path for f in catalog.failures()] == ["/plugins/b.vst3", "/plugins/a.vst3"]

    # -- maintenance ---------------------------------------------------------------------

    def test_a_healthy_catalogue_checks_clean_and_survives_vacuum(self, catalog: Catalog) -> None:
        before = list(catalog.plugins())
        assert catalog.check() == []
        catalog.vacuum()
        assert catalog.check() == []
        assert list(catalog.plugins()) == before

    def test_backup_is_a_catalogue_with_the_same_content(
        self, backend_factory: BackendFactory, catalog: Catalog, tmp_path: Path
    ) -> None:
        catalog.tag("Diva", "analog")
        dest = tmp_path / "backups" / f"copy{catalog.path.suffix}"
        catalog.backup(dest)
        copy = Catalog(backend_factory(dest, read_only=True))
        try:
            assert list(copy.plugins()) == list(catalog.plugins())
        finally:
            copy.close()
        with pytest.raises(CatalogError, match="already exists"):
            catalog.backup(dest)

    # -- presets -------------------------------------------------------------------------

    def test_presets_round_trip_with_their_files_fingerprint(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        presets = sample_presets(plugins)
        catalog.backend.write(preset_results(presets))
        stored = list(catalog.presets(sort="name"))
        assert stored == sorted(
            (attrs.evolve(p, fingerprint=f"fp-{p.path or plugins[0].path}") for p in presets),
            key=lambda p: (p.name.casefold(), p.plugin_id, p.id),
        )
        assert catalog.count_presets() == len(presets)
        assert set(catalog.backend.stored_files()) >= {p.path for p in presets if p.path}

    def test_a_rescanned_file_replaces_its_presets_only(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        presets = sample_presets(plugins)
        catalog.backend.write(preset_results(presets))
        bank = "/presets/lv2/calf.preset.lv2"
        kept = [p for p in presets if p.path == bank][:1]
        catalog.backend.write(preset_results(kept))
        assert {p.id for p in catalog.presets()} == {p.id for p in presets if p.path != bank} | {kept[0].id}

    def test_failed_and_removed_files_lose_their_presets(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        presets = sample_presets(plugins)
        catalog.backend.write(preset_results(presets))
        factory = plugins[0].path  # Pro-Q 3's bundle, which carries factory programs
        failure = ScanFailure(factory, "vst3", "v9", FailureKind.CRASH, first_seen="2025", last_seen="2025")
        catalog.backend.write([FileResult(PluginFile(factory, "vst3", 1, 9, "v9"), failure=failure)])
        assert list(catalog.presets(source="factory")) == []  # they came from the failed bundle
        catalog.backend.remove(["/presets/vst3/FabFilter/Pro-Q 3/Air.vstpreset"])
        left = {p.path for p in catalog.presets()}
        assert "/presets/vst3/FabFilter/Pro-Q 3/Air.vstpreset" not in left and "/presets/lv2/calf.preset.lv2" in left
        assert "/presets/vst3/FabFilter/Pro-Q 3/Air.vstpreset" not in catalog.backend.stored_files()

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({}, {"Air", "Bright Vocal", "Low Cut", "Vintage Plate", "Big Hall", "Dark Room", "Lost Plate"}),
            ({"format": "LV2"}, {"Big Hall", "Dark Room", "Lost Plate"}),
            ({"source": "factory"}, {"Bright Vocal", "Low Cut"}),
            ({"bank": "Reverbs"}, {"Big Hall", "Dark Room"}),
            ({"text": "plate"}, {"Vintage Plate", "Lost Plate"}),
            ({"text": "mixing"}, {"Air"}),  # a tag
            ({"text": "jane"}, {"Vintage Plate"}),  # the author
            ({"orphaned": True}, {"Lost Plate"}),
            ({"orphaned": False}, {"Air", "Bright Vocal", "Low Cut", "Vintage Plate", "Big Hall", "Dark Room"}),
            ({"plugin": "Pro-R"}, {"Vintage Plate"}),
            ({"plugin": "lv2:urn:gone"}, {"Lost Plate"}),  # an orphan's plugin id is taken as it is
            ({"plugin": "Pro-Q 3"}, {"Air", "Bright Vocal", "Low Cut"}),  # a name two formats of one product share
        ],
    )
    def test_preset_filters(
        self, catalog: Catalog, plugins: list[Plugin], filters: dict[str, Any], expected: set[str]
    ) -> None:
        catalog.backend.write(preset_results(sample_presets(plugins)))
        assert {p.name for p in catalog.presets(**filters)} == expected
        assert catalog.count_presets(**filters) == len(expected)

    def test_an_unknown_plugin_for_presets_is_an_error(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        catalog.backend.write(preset_results(sample_presets(plugins)))
        with pytest.raises(PluginaryError, match="no plugin"):
            list(catalog.presets("Nothing Like It"))

    def test_presets_sort_and_page(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        catalog.backend.write(preset_results(sample_presets(plugins)))
        by_name = [p.name for p in catalog.presets()]
        assert by_name == sorted(by_name, key=str.casefold)
        assert [p.name for p in catalog.presets(reverse=True)] == by_name[::-1]
        assert [p.name for p in catalog.presets(limit=3, offset=2)] == by_name[2:5]
        by_plugin = [(p.plugin_id, p.name) for p in catalog.presets(sort="plugin")]
        assert by_plugin == sorted(by_plugin, key=lambda item: (item[0], item[1].casefold()))
        with pytest.raises(QueryError):
            list(catalog.presets(sort="size"))

    def test_preset_search_finds_words_and_takes_text_literally(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        catalog.backend.write(preset_results(sample_presets(plugins)))
        assert [p.name for p in catalog.search_presets("vintage pla")] == ["Vintage Plate"]
        assert {p.name for p in catalog.search_presets("plate")} == {"Vintage Plate", "Lost Plate"}
        assert catalog.search_presets("reverbs")[0].bank == "Reverbs"  # the bank is searched too
        for text in HOSTILE_SEARCHES:
            for preset in catalog.search_presets(text):
                fields = [preset.name, preset.bank, preset.author, *preset.tags]
                held = {word for field in fields for word in words_of(field)}
                assert all(any(h.startswith(w) for h in held) for w in words_of(text)), (text, preset.name)

    def test_preset_search_ranks_name_hits_first(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        pro_r = plugins[1]
        tagged = Preset("/presets/room.vstpreset", "Small Room", pro_r.id, "vst3", PresetSource.FILE,
                        path="/presets/room.vstpreset", tags=("hall",))  # fmt: skip
        named = Preset(
            "/presets/hall.vstpreset", "Hall", pro_r.id, "vst3", PresetSource.FILE, path="/presets/hall.vstpreset"
        )
        banked = attrs.evolve(
            named, id="/presets/b.vstpreset", name="Cathedral", path="/presets/b.vstpreset", bank="Halls"
        )
        catalog.backend.write(preset_results([tagged]) + preset_results([banked]) + preset_results([named]))
        found = [p.name for p in catalog.search_presets("HALL")]
        assert found[0] == "Hall" and set(found[1:]) == {"Small Room", "Cathedral"}
        assert [p.name for p in catalog.search_presets("hall", limit=1)] == ["Hall"]
        assert len(catalog.search_presets("hall", limit=2)) == 2

    def test_presets_persist_and_are_counted(
        self, backend_factory: BackendFactory, catalog: Catalog, plugins: list[Plugin], path: Path
    ) -> None:
        presets = sample_presets(plugins)
        catalog.backend.write(preset_results(presets))
        stats = catalog.stats()
        assert (stats["presets"], stats["orphaned_presets"]) == (len(presets), 1)
        before = list(catalog.presets())
        catalog.close()
        again = Catalog(backend_factory(path, read_only=True))
        try:
            assert list(again.presets()) == before
        finally:
            again.close()

    def test_presets_check_clean_and_survive_vacuum(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        catalog.backend.write(preset_results(sample_presets(plugins)))
        before = list(catalog.presets())
        assert catalog.check() == []
        catalog.vacuum()
        assert catalog.check() == []
        assert list(catalog.presets()) == before
        assert [p.name for p in catalog.search_presets("hall")] == ["Big Hall"]

    # -- products ------------------------------------------------------------------------

    def test_each_plugin_is_stored_with_the_rules_product_key(self, catalog: Catalog, plugins: list[Plugin]) -> None:
        keys = catalog.backend.product_keys()
        assert keys == {plugin.id: product_of(plugin) for plugin in plugins}
        assert keys[plugins[0].id] == keys[plugins[13].id]  # Pro-Q 3 as VST3 and as AU: one product
        assert catalog.backend.product_keys([plugins[1].id, "vst3:nothing"]) == {plugins[1].id: keys[plugins[1].id]}

    def test_a_grouping_survives_rescans_and_reinstalling_and_none_goes_back_to_the_rule(
        self, backend_factory: BackendFactory, catalog: Catalog, plugins: list[Plugin], path: Path
    ) -> None:
        verb, hverb = plugins[2], plugins[10]  # VintageVerb, and H-Reverb in the WaveShell
        shell = [p for p in plugins if p.path == hverb.path]
        later = make_plugin("Abbey Road Chambers", "Waves", "vst3", "Effect/Reverb")  # not installed yet
        catalog.backend.tag_product("mine/reverbs", ["space"])
        catalog.backend.group([verb.id, hverb.id, later.id], "mine/reverbs")
        grouped = {verb.id: "mine/reverbs", hverb.id: "mine/reverbs"}
        assert catalog.backend.product_keys([verb.id, hverb.id, later.id]) == grouped
        assert {p.id for p in catalog.plugins(tag="space")} == set(grouped)  # the product's tags came along
        catalog.backend.write([FileResult(file_of(verb.path, [verb], "v2"), plugins=(verb,))])  # a rescan
        catalog.backend.remove([hverb.path])  # uninstalled, then installed again
        catalog.backend.write([*results_for(shell), *results_for([later])])
        catalog.close()
        again = Catalog(backend_factory(path))
        try:
            assert again.backend.product_keys([verb.id, hverb.id, later.id]) == {**grouped, later.id: "mine/reverbs"}
            again.backend.group([verb.id], None)
            keys = again.backend.product_keys()
            assert (keys[verb.id], keys[hverb.id]) == (product_of(verb), "mine/reverbs")
            assert again.get(verb.id).tags == ()  # type: ignore[union-attr]
            assert {p.id for p in again.plugins(tag="space")} == {hverb.id, later.id}
            assert again.search("space") and verb.id not in {p.id for p in again.search("space")}
            assert again.check() == []
        finally:
            again.close()

    def test_product_tags_show_on_every_member_and_untagging_keeps_a_plugins_own(
        self, catalog: Catalog, plugins: list[Plugin]
    ) -> None:
        vst3, au = plugins[0], plugins[13]  # Pro-Q 3 as VST3 and as AU
        key = catalog.backend.product_keys([vst3.id])[vst3.id]
        catalog.tag(vst3.id, "mine")
        assert catalog.backend.tag_product(key, ["surgical", "eq"]) == ("eq", "surgical")
        assert catalog.get(vst3.id).tags == ("eq", "mine", "surgical")  # type: ignore[union-attr]
        assert catalog.get(au.id).tags == ("eq", "surgical")  # type: ignore[union-attr]
        assert {p.id for p in catalog.plugins(tag="SURGICAL")} == {vst3.id, au.id}
        assert catalog.count(tag="surgical") == 2
        assert {p.id for p in catalog.search("surgical")} == {vst3.id, au.id}
        clap = attrs.evolve(vst3, id="clap:com.fabfilter.pro-q.3", format="clap", path="/plugins/clap/pro-q-3.clap")
        catalog.backend.write(results_for([clap]))  # a member installed later shows them too
        assert catalog.get(clap.id).tags == ("eq", "surgical")  # type: ignore[union-attr]
        assert catalog.backend.untag_product(key, ["surgical", "never-there"]) == ("eq",)
        assert catalog.get(vst3.id).tags == ("eq", "mine")  # type: ignore[union-attr]
        assert catalog.search("surgical") == []
        catalog.backend.untag_product(key, ["eq"])
        assert [p.id for p in catalog.plugins(tag="eq")] == []
        assert [p.id for p in catalog.plugins(tag="mine")] == [vst3.id]
        assert "mine" in catalog.backend.vocabulary()
        assert catalog.check() == []

    # -- user categories -----------------------------------------------------------------

    def test_a_user_category_is_shown_first_seen_by_filters_and_search_and_cleared(
        self, catalog: Catalog, plugins: list[Plugin]
    ) -> None:
        pro_r = plugins[1]  # Effect/Reverb, as its format says
        assert catalog.categorize(pro_r.id, " effect/DELAY ") == "Effect/Delay"
        delay = Category("Effect/Delay", CategorySource.USER, 1.0)
        assert catalog.get(pro_r.id).categories == (delay, *pro_r.categories)  # type: ignore[union-attr]
        assert [p.id for p in catalog.plugins(category="Effect/Delay")] == [pro_r.id]
        assert pro_r.id in {p.id for p in catalog.plugins(category="Effect")}
        assert catalog.count(category="Effect/Delay") == 1
        assert [p.id for p in catalog.search("delay")] == [pro_r.id]
        assert catalog.stats()["categories"]["Effect/Delay"] == 1
        assert next(catalog.plugins(sort="category")).categories[0] == delay  # "Effect/Delay" sorts first
        assert catalog.categorize("Pro-R", "reverb") == "Effect/Reverb"  # one category: it replaces Delay
        assert catalog.get(pro_r.id).categories == (  # type: ignore[union-attr]
            Category("Effect/Reverb", CategorySource.USER, 1.0),  # the user's, no longer the format's guess
        )
        assert catalog.count(category="Effect/Delay") == 0 and catalog.search("delay") == []
        assert catalog.categorize(pro_r.id, None) is None
        assert catalog.get(pro_r.id).categories == pro_r.categories  # type: ignore[union-attr]
        assert "Effect/Delay" not in catalog.stats()["categories"]
        with pytest.raises(QueryError, match="not a category") as raised:
            catalog.categorize(pro_r.id, "Effect/Reverbz")
        assert "Effect/Reverb" in str(raised.value)
        with pytest.raises(QueryError, match="not a category"):
            catalog.categorize(pro_r.id, "")
        assert catalog.check() == []

    def test_user_categories_survive_rescans_removal_reinstalling_and_reopening(
        self, backend_factory: BackendFactory, catalog: Catalog, plugins: list[Plugin], path: Path
    ) -> None:
        pro_r, pro_q = plugins[1], plugins[0]
        catalog.categorize(pro_r.id, "Effect/Delay")
        catalog.backend.categorize_product(product_of(pro_q), "Effect/Mastering")
        catalog.backend.write([FileResult(file_of(pro_r.path, [pro_r], "v2"), plugins=(pro_r,))])  # a rescan
        catalog.backend.write([failure_at(pro_r.path, last_seen="2025-01-01")])
        catalog.backend.remove([pro_r.path, pro_q.path])  # uninstalled, then installed again
        catalog.backend.write(results_for([pro_r, pro_q]))
        catalog.close()
        again = Catalog(backend_factory(path))
        try:
            shown = {p.id: p.categories[0].name for p in again.plugins(category="Effect/Delay")}
            assert shown == {pro_r.id: "Effect/Delay"}
            assert {p.id for p in again.plugins(category="Effect/Mastering")} == {pro_q.id, plugins[13].id}
            assert again.get(pro_q.id).categories[0] == Category(  # type: ignore[union-attr]
                "Effect/Mastering", CategorySource.USER, 1.0
            )
            again.backend.categorize_product(product_of(pro_q), None)  # the product's, not made each member's own
            assert again.count(category="Effect/Mastering") == 0
            assert again.check() == []
        finally:
            again.close()

    def test_a_product_category_shows_on_every_member_unless_one_has_its_own(
        self, catalog: Catalog, plugins: list[Plugin]
    ) -> None:
        vst3, au, pro_r = plugins[0], plugins[13], plugins[1]  # Pro-Q 3 as VST3 and as AU; Pro-R
        key = catalog.backend.product_keys([vst3.id])[vst3.id]
        mastering = Category("Effect/Mastering", CategorySource.USER, 1.0)
        assert catalog.categorize_product("Pro-Q 3", "mastering") == "Effect/Mastering"
        assert [catalog.get(p.id).categories for p in (vst3, au)] == [  # type: ignore[union-attr]
            (mastering, *vst3.categories),
            (mastering, *au.categories),
        ]
        assert {p.id for p in catalog.plugins(category="Effect/Mastering")} == {vst3.id, au.id}
        assert {p.id for p in catalog.search("mastering")} == {vst3.id, au.id}
        clap = attrs.evolve(vst3, id="clap:com.fabfilter.pro-q.3", format="clap", path="/plugins/clap/pro-q-3.clap")
        catalog.backend.write(results_for([clap]))  # a member installed later shows it too
        assert catalog.get(clap.id).categories[0] == mastering  # type: ignore[union-attr]
        catalog.categorize(au.id, "Effect/Filter")  # a plugin's own beats its product's
        assert [c.name for c in catalog.get(au.id).categories] == ["Effect/Filter", "Effect/EQ"]  # type: ignore[union-attr]
        assert {p.id for p in catalog.plugins(category="Effect/Mastering")} == {vst3.id, clap.id}
        catalog.categorize(au.id, None)  # without its own, the product's shows again
        assert catalog.get(au.id).categories[0] == mastering  # type: ignore[union-attr]
        catalog.backend.group([pro_r.id], key)  # grouped into the product: it shows the product's
        assert catalog.get(pro_r.id).categories == (mastering, *pro_r.categories)  # type: ignore[union-attr]
        catalog.backend.group([pro_r.id], None)
        assert catalog.get(pro_r.id).categories == pro_r.categories  # type: ignore[union-attr]
        catalog.backend.categorize_product(key, None)
        assert catalog.count(category="Effect/Mastering") == 0 and catalog.search("mastering") == []
        assert catalog.get(vst3.id).categories == vst3.categories  # type: ignore[union-attr]
        assert catalog.check() == []


def sample_presets(plugins: list[Plugin]) -> list[Preset]:
    """Presets of every source: factory programs in Pro-Q 3's bundle, a .vstpreset file of Pro-Q 3 and one
    of Pro-R, a bundle of Calf Reverb presets, and one preset whose plugin is not installed."""
    pro_q, pro_r = plugins[0], plugins[1]
    calf = next(p for p in plugins if p.vendor == "Calf Studio Gear")
    bank = "/presets/lv2/calf.preset.lv2"
    host = Host(name="studio", os="linux")
    return [
        Preset(f"{pro_q.id}#0/0", "Bright Vocal", pro_q.id, "vst3", PresetSource.FACTORY, bank="Factory", host=host),
        Preset(f"{pro_q.id}#0/1", "Low Cut", pro_q.id, "vst3", PresetSource.FACTORY, bank="Factory", host=host),
        Preset(
            "/presets/vst3/FabFilter/Pro-Q 3/Air.vstpreset",
            "Air",
            pro_q.id,
            "vst3",
            PresetSource.FILE,
            path="/presets/vst3/FabFilter/Pro-Q 3/Air.vstpreset",
            tags=("mixing", "vocals"),
            host=host,
        ),
        Preset(
            "/presets/vst3/FabFilter/Pro-R/Vintage Plate.vstpreset",
            "Vintage Plate",
            pro_r.id,
            "vst3",
            PresetSource.FILE,
            path="/presets/vst3/FabFilter/Pro-R/Vintage Plate.vstpreset",
            author="Jane Doe",
            description="An old plate, bright",
            host=host,
        ),
        *(
            Preset(
                f"urn:calf:preset:{name.replace(' ', '-').lower()}",
                name,
                calf.id,
                "lv2",
                PresetSource.BUNDLE,
                path=bank,
                bank="Reverbs",
                values=(("decay_time", 1.5 + index), ("dry", 0.25)),
                host=host,
            )
            for index, name in enumerate(("Big Hall", "Dark Room"))
        ),
        Preset("urn:gone:plate", "Lost Plate", "lv2:urn:gone", "lv2", PresetSource.BUNDLE, path=bank, host=host),
    ]


def preset_results(presets: list[Preset]) -> list[FileResult]:
    """One FileResult per file holding presets (factory programs: their plugin's bundle, with the plugin);
    each file's fingerprint is `fp-<path>`."""
    by_file: dict[str, list[Preset]] = {}
    plugin_of: dict[str, Plugin] = {p.id: p for p in sample_plugins()}
    for preset in presets:
        by_file.setdefault(preset.path or plugin_of[preset.plugin_id].path, []).append(preset)
    results = []
    for path, held in by_file.items():
        in_bundle = tuple(p for p in plugin_of.values() if p.path == path)
        fmt = held[0].format
        file = PluginFile(path, fmt, 100, 1, f"fp-{path}")
        results.append(FileResult(file, plugins=in_bundle, presets=tuple(held)))
    return results
