"""The catalogue beyond the shared backend suite: opening, damaged and foreign files,
read-only disks, migrations, search safety over any text, suggestions, streaming,
and what `db check` finds. Real SQLite and JSON files throughout."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pluginary import Catalog
from pluginary.backends import jsonfile
from pluginary.backends import sqlite_schema as schema
from pluginary.backends.jsonfile import JSONBackend
from pluginary.backends.sqlite import SQLiteBackend, fts_query
from pluginary.catalog import ParamRange, QueryError, UnknownPluginError, writable
from pluginary.core.errors import CatalogError
from pluginary.core.models import (
    IO,
    Category,
    CategorySource,
    FileResult,
    Host,
    Parameter,
    ParameterFlag,
    ParameterKind,
    Plugin,
    converter,
)
from pluginary.testing.backend_suite import assert_found_literally, failure_at, make_plugin, results_for, sample_plugins
from tests.catalog_data import batches, file_for, iter_plugins, iter_results
from tests.support import need


def stored(path: Path, backend: type[SQLiteBackend] = SQLiteBackend) -> Path:
    """A closed catalogue holding the sample plugins."""
    written = backend(path)
    written.write(results_for(sample_plugins()))
    written.close()
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


# -- opening ---------------------------------------------------------------------------


def test_the_backend_follows_the_suffix_or_the_argument(tmp_path: Path) -> None:
    with Catalog.open(tmp_path / "a.json") as by_suffix, Catalog.open(tmp_path / "b.db") as default:
        assert isinstance(by_suffix.backend, JSONBackend)
        assert type(default.backend) is SQLiteBackend
    with Catalog.open(tmp_path / "c.data", backend="json") as named:
        assert isinstance(named.backend, JSONBackend)
    assert json.loads((tmp_path / "c.data").read_text())["format"] == "pluginary-catalog"


def test_without_a_path_the_catalogue_lives_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLUGINARY_DATA_DIR", str(tmp_path / "data"))
    with Catalog.open() as catalog:
        assert catalog.path == tmp_path / "data" / "catalog.sqlite"
    with Catalog.open(backend="json") as catalog:
        assert catalog.path == tmp_path / "data" / "catalog.json"
    assert files_in(tmp_path / "data") == ["catalog.json", "catalog.sqlite"]


def test_writable_looks_at_the_nearest_existing_folder(tmp_path: Path) -> None:
    assert writable(tmp_path / "not" / "yet" / "catalog.sqlite")


UNPRIVILEGED_WRITABLE = """
import os, sys
from pathlib import Path
from pluginary.core.paths import writable
if os.geteuid() == 0:
    os.setgid(65534); os.setuid(65534)  # nobody, after the import: permissions apply again
print([writable(Path(arg)) for arg in sys.argv[1:]])
"""


def test_writable_says_no_for_a_locked_file_or_folder() -> None:
    """As an unprivileged user (root may write anything): as root, the child drops to `nobody` itself."""
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        top = Path(scratch)
        top.chmod(0o755)
        (top / "locked").mkdir(mode=0o755)  # root's folder: nobody may not create files in it
        (top / "open").mkdir()
        (top / "open").chmod(0o777)  # (mkdir's mode is cut by the umask)
        (top / "open" / "read-only.sqlite").write_bytes(b"")
        (top / "open" / "read-only.sqlite").chmod(0o444)
        paths = [top / "locked" / "not" / "yet" / "c.sqlite", top / "open" / "read-only.sqlite",
                 top / "open" / "new.sqlite"]  # fmt: skip
        done = subprocess.run([sys.executable, "-c", UNPRIVILEGED_WRITABLE, *map(str, paths)],
                              capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[1])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[False, False, True]"


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_an_empty_file_becomes_a_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.touch()
    with Catalog.open(path) as catalog:
        catalog.backend.write(results_for(sample_plugins()[:2]))
        assert catalog.count() == 2


def test_read_only_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with Catalog.open(path, read_only=True) as catalog:
        assert catalog.search("diva")[0].name == "Diva"
        assert catalog.stats()["plugins"] == len(sample_plugins())
        assert catalog.check() == []
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def _read_only_mount(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run `script` with `folder` bind-mounted read-only (a private mount namespace: needs root)."""
    command = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" "{folder}"'
        f' && exec "{sys.executable}" -c "$0"'
    )
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", command, script], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    probe = _read_only_mount(folder, f"open({str(folder / 'x')!r}, 'w')") if shutil.which("unshare") else None
    # In CI (strict) a missing read-only disk fails: the test must not pass by skipping.
    need(
        probe is not None and "Read-only file system" in probe.stderr,
        "needs unshare and mount rights (root) to make a read-only disk",
    )
    return folder


@pytest.mark.parametrize("name", ["catalog.sqlite", "catalog.json"])
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_catalogue_on_a_read_only_disk_is_still_searchable(read_only_disk: Path, name: str) -> None:
    path = read_only_disk / name
    stored(path, JSONBackend if name.endswith(".json") else SQLiteBackend)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import click
        from pluginary import Catalog
        from pluginary.cli.catalog_commands import register
        catalog = Catalog.open({str(path)!r})
        print(catalog.read_only, [p.name for p in catalog.search("vintageverb")])
        try:
            catalog.tag("Diva", "x")
        except Exception as exc:
            print(type(exc).__name__)
        catalog.close()
        app = click.Group()
        register(app)
        app(["search", "cutoff", "--catalog", {str(path)!r}], standalone_mode=False)
        """
    )
    done = _read_only_mount(read_only_disk, script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["True ['VintageVerb']", "CatalogError"]
    assert lines[2].split("\t")[1] == "Diva"
    assert files_in(read_only_disk) == [name]
    assert path.read_bytes() == before


def test_writing_to_a_read_only_disk_fails_before_any_work(read_only_disk: Path) -> None:
    path = stored(read_only_disk / "catalog.sqlite")
    script = f"from pluginary.backends.sqlite import SQLiteBackend; SQLiteBackend({str(path)!r})"
    done = _read_only_mount(read_only_disk, script)
    assert "CatalogError" in done.stderr and "cannot be written" in done.stderr


# -- damaged and foreign files -----------------------------------------------------------


def _refused(path: Path, match: str) -> None:
    """Opening `path` (either way) and using it raises one-line CatalogErrors; the file is untouched."""
    before = path.read_bytes()
    side_files = files_in(path.parent)
    for read_only in (True, False):
        with pytest.raises(CatalogError, match=match) as raised, Catalog.open(path, read_only=read_only) as catalog:
            list(catalog.plugins())
            catalog.stats()
        message = str(raised.value)
        assert message.startswith(str(path)) and "\n" not in message
        # What to do; never "run `db check`", which fails on the same file in the same words.
        assert ("restore a backup" in message or "upgrade" in message) and "db check" not in message
    assert path.read_bytes() == before
    assert files_in(path.parent) == side_files


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "music.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.execute("INSERT INTO songs VALUES ('Blue in Green')")
    conn.commit()
    conn.close()
    _refused(path, "not a Pluginary catalogue")


def test_a_catalogue_from_a_newer_pluginary_is_refused(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE metadata SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    _refused(path, "newer Pluginary")


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "scribbled"])
def test_a_damaged_catalogue_is_reported_not_crashed_on(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "c.sqlite"
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(iter_plugins(300, 20))):
        backend.write(batch)
    backend.close()
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    else:
        middle = len(content) // 2
        path.write_bytes(content[:middle] + b"\xa5" * 65536 + content[middle + 65536 :])
    _refused(path, "damaged")


def test_db_check_reports_damage_that_opening_does_not_see(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    backend = SQLiteBackend(path)
    for batch in batches(iter_results(iter_plugins(300, 20))):
        backend.write(batch)
    backend.close()
    content = bytearray(path.read_bytes())
    page = 4096
    middle = len(content) // page // 2 * page
    content[middle : middle + page] = b"\x00" * page  # a page of parameters or an index, not the schema
    path.write_bytes(bytes(content))
    with Catalog.open(path, read_only=True) as catalog:
        problems = catalog.check()
    assert problems


@pytest.mark.parametrize(
    ("document", "match"),
    [
        ('{"songs": []}', "not a Pluginary catalogue"),
        ("[1, 2, 3]", "not a Pluginary catalogue"),
        ('{"format": "pluginary-catalog", "schema_version": 99}', "newer Pluginary"),
        ('{"format": "pluginary-catalog"}', "no schema_version"),
        ('{"format": "pluginary-catalog", "schema_version": 1, "plugins": [{"id": "x"}]}', "damaged"),
        ('{"format": "pluginary-catalog", "schema_version": 1, "plugins": [', "not valid JSON"),
    ],
)
def test_a_foreign_or_damaged_json_file_is_refused(tmp_path: Path, document: str, match: str) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(document)
    _refused(path, match)


# -- migrations ------------------------------------------------------------------------------
# tests/data/catalog-v1.sqlite was written by the first schema's Pluginary (see
# tests/data/make_catalog_v1.py), with what it read back beside it; the tests work on copies.

DATA = Path(__file__).parent / "data"


@pytest.fixture
def v1_catalogue(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(DATA / "catalog-v1.sqlite", path)
    return path


def everything_in(catalog: Catalog) -> dict[str, object]:
    """Everything a catalogue holds, as `make_catalog_v1.py` wrote it down."""
    backend = catalog.backend
    return {
        "plugins": [converter.unstructure(plugin) for plugin in backend.plugins()],
        "files": [converter.unstructure(file) for _, file in sorted(backend.stored_files().items())],
        "failures": [converter.unstructure(failure) for _, failure in sorted(backend.failures().items())],
        "runs": catalog.stats()["runs"],
    }


def expected_v1() -> dict[str, object]:
    """What the first schema's Pluginary read back, with fields added to the models since at their defaults."""
    expected = json.loads((DATA / "catalog-v1.expected.json").read_text(encoding="utf-8"))
    expected["plugins"] = [converter.unstructure(converter.structure(p, Plugin)) for p in expected["plugins"]]
    return expected


def test_a_first_schema_catalogue_opens_upgraded_with_everything_in_it(v1_catalogue: Path) -> None:
    expected = expected_v1()
    with Catalog.open(v1_catalogue) as catalog:
        assert catalog.migrated == (1, schema.SCHEMA_VERSION)
        assert everything_in(catalog) == expected
        # The indexes built from what was carried over answer as they did.
        assert catalog.check() == []
        assert [p.name for p in catalog.search("neoreverb")] == ["NeoReverb 2"]
        assert {p.name for p in catalog.plugins(has_param="sample start")} == {"NeoSampler", "SuperSampler Lite"}
        assert {p.name for p in catalog.plugins(category="Effect/Favourites")} == {"CrystalChorus MkII"}
        assert {p.name for p in catalog.plugins(tag="MIXING")} == {"NeoReverb 2"}
        assert "Kick Level" in catalog.backend.vocabulary()
    with Catalog.open(v1_catalogue, read_only=True) as again:
        assert again.migrated is None
        assert everything_in(again) == expected


@pytest.mark.parametrize("name", ["catalog-v1.sqlite", "catalog-v2.sqlite"])
def test_an_upgraded_catalogue_has_exactly_the_tables_of_a_new_one(tmp_path: Path, name: str) -> None:
    v1_catalogue = tmp_path / name  # each older version the same way
    shutil.copyfile(DATA / name, v1_catalogue)
    SQLiteBackend(v1_catalogue).close()
    SQLiteBackend(tmp_path / "new.sqlite").close()

    def layout(path: Path) -> set[tuple[str, ...]]:
        conn = sqlite3.connect(path)
        try:
            return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        finally:
            conn.close()

    assert layout(v1_catalogue) == layout(tmp_path / "new.sqlite")
    conn = sqlite3.connect(v1_catalogue)
    assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)  # the dropped table's pages are given back
    conn.close()


def test_a_first_schema_catalogue_opened_read_only_says_to_migrate_and_is_left_alone(v1_catalogue: Path) -> None:
    before = v1_catalogue.read_bytes()
    with pytest.raises(CatalogError, match=r"older Pluginary \(schema v1\).*db migrate"):
        Catalog.open(v1_catalogue, read_only=True)
    assert v1_catalogue.read_bytes() == before
    assert files_in(v1_catalogue.parent) == ["catalog.sqlite"]


def test_a_failed_upgrade_leaves_the_file_as_it_was(v1_catalogue: Path) -> None:
    conn = sqlite3.connect(v1_catalogue)  # a value the upgrade cannot carry over, half way through
    conn.execute("UPDATE parameters SET kind = 'wobbly' WHERE plugin_pk = (SELECT max(plugin_pk) FROM parameters)")
    conn.commit()
    conn.close()
    before = v1_catalogue.read_bytes()
    with pytest.raises(CatalogError, match=r"cannot upgrade the catalogue from schema v1 .*wobbly") as raised:
        Catalog.open(v1_catalogue)
    assert "\n" not in str(raised.value)
    assert v1_catalogue.read_bytes() == before
    assert files_in(v1_catalogue.parent) == ["catalog.sqlite"]


# tests/data/catalog-v2.sqlite was written by the schema-v2 Pluginary (see tests/data/make_catalog_v2.py):
# VST3 plugins under path-based ids, with user tags and categories, and quarantined files.
V2_SHELL, V2_SINGLE, V2_LV2 = (
    "/usr/lib/vst3/ZamShell.vst3",
    "/usr/lib/vst3/ZamComp.vst3",
    "/plugins/lv2/dynamic-compressor.lv2",
)


def user_labels(catalog: Catalog) -> dict[str, tuple[tuple[str, ...], list[Category]]]:
    """Each plugin's user tags and user categories, by name."""
    return {p.name: (p.tags, [c for c in p.categories if c.source is CategorySource.USER]) for p in catalog.plugins()}


def test_a_v2_catalogue_upgrades_and_a_rescan_to_class_ids_keeps_every_user_label(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    shutil.copyfile(DATA / "catalog-v2.sqlite", path)
    favourites = [Category("Effect/Favourites", CategorySource.USER, 1.0)]
    labels = {
        "ZamComp": (("glue", "mixing"), []),
        "ZamEQ2": (("surgical",), []),
        "ZamDelay": ((), favourites),
        "Dynamic Compressor": (("mixing",), []),
    }
    quarantined = {"/usr/lib/vst3/Crashes.vst3", "/usr/lib/vst3/Hangs.vst3"}
    with Catalog.open(path) as catalog:
        backend = catalog.backend
        assert catalog.migrated == (2, schema.SCHEMA_VERSION)
        assert user_labels(catalog) == labels
        assert set(backend.failures()) == quarantined
        assert catalog.check() == []
        # Files holding path-based VST3 ids no longer match any fingerprint: the next scan reads them again.
        files = backend.stored_files()
        assert {p: f.fingerprint for p, f in files.items()} == {V2_SHELL: "", V2_SINGLE: "", V2_LV2: "v1"}

        # That rescan: the same files, the same plugins, now under their class ids.
        old = {p.name: p for p in backend.plugins()}
        cids = {name: f"vst3:{n:032X}" for n, name in enumerate(["ZamComp", "ZamEQ2", "ZamDelay"], 1)}
        rescanned = [
            FileResult(
                attrs.evolve(files[path], fingerprint="v2"),
                plugins=tuple(
                    attrs.evolve(old[name], id=cid, tags=(), categories=old[name].categories[-1:])
                    for name, cid in cids.items()
                    if old[name].path == path
                ),
            )
            for path in (V2_SHELL, V2_SINGLE)
        ]
        assert backend.write(rescanned) == []
        assert {p.name: p.id for p in catalog.plugins(format="vst3")} == cids
        assert user_labels(catalog) == labels
        assert {p.name for p in catalog.plugins(tag="MIXING")} == {"ZamComp", "Dynamic Compressor"}
        assert [p.name for p in catalog.search("surgical")] == ["ZamEQ2"]
        assert [p.name for p in catalog.plugins(category="Effect/Favourites")] == ["ZamDelay"]
        assert set(backend.failures()) == quarantined
        assert catalog.check() == []
    conn = sqlite3.connect(path)  # no label left behind under an old id
    assert conn.execute("SELECT count(*) FROM user_tags WHERE plugin_id GLOB 'vst3:*#*'").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM user_categories WHERE plugin_id GLOB 'vst3:*#*'").fetchone() == (0,)
    conn.close()


def test_the_plugins_table_holds_fields_of_the_model() -> None:
    assert set(schema.PLUGIN_COLUMNS) <= {field.name for field in attrs.fields(Plugin)}


def test_packed_parameters_keep_infinite_and_nan_numbers() -> None:
    parameters = [Parameter(0, "Gain", default=math.nan, minimum=-math.inf, maximum=None)]
    (parameter,) = schema.unpack_parameters(schema.pack_parameters(parameters))
    assert math.isnan(parameter.default)  # type: ignore[arg-type]
    assert (parameter.minimum, parameter.maximum) == (-math.inf, None)


def test_packed_parameters_read_a_near_type_as_the_first_schema_did() -> None:
    written = [Parameter(0, "Gain", "choice", default=1, choices=["Low", "High"], automatable=0)]  # type: ignore[arg-type]
    assert schema.unpack_parameters(schema.pack_parameters(written)) == [
        Parameter(0, "Gain", ParameterKind.CHOICE, default=1.0, choices=("Low", "High"), automatable=False)
    ]


# -- reading records back ----------------------------------------------------------------------
# The backends build plugins from their rows directly (not through cattrs) and their
# parameters with msgspec: any plugin must come back equal, whatever its fields hold.

text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)  # lone surrogates cannot be stored
integers = st.integers(min_value=-(2**63), max_value=2**63 - 1)  # SQLite's INTEGER
floats = st.floats(allow_nan=False)  # SQLite stores NaN as NULL


def every_field(cls: type, **fields: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """`cls` built from a strategy for each of its fields: a new field fails here until it is given one."""
    assert set(fields) == set(attrs.fields_dict(cls)), f"give every field of {cls.__name__} a strategy"
    return st.builds(cls, **fields)


parameters = every_field(
    Parameter,
    index=integers,
    name=text,
    kind=st.sampled_from(ParameterKind),
    units=text,
    default=st.none() | floats,
    minimum=st.none() | floats,
    maximum=st.none() | floats,
    default_text=text,
    minimum_text=text,
    maximum_text=text,
    num_steps=st.none() | integers,
    choices=st.lists(text, max_size=3).map(tuple),
    automatable=st.booleans(),
    id=text,
    flags=st.lists(st.sampled_from(ParameterFlag), max_size=2, unique=True).map(tuple),
)
any_plugins = every_field(
    Plugin,
    id=text,
    format=text,
    name=text,
    path=text,
    vendor=text,
    version=text,
    native_categories=st.lists(text, max_size=2).map(tuple),
    is_instrument=st.booleans(),
    is_effect=st.booleans(),
    # User categories and tags are kept in their own tables and come back merged
    # and sorted (tested with the backend suite); one category per name.
    categories=st.lists(
        every_field(
            Category,
            name=text,
            source=st.sampled_from([CategorySource.NATIVE, CategorySource.KEYWORDS]),
            confidence=floats,
        ),
        max_size=3,
        unique_by=lambda category: category.name.casefold(),
    ).map(tuple),
    tags=st.lists(st.from_regex("[a-z]{1,8}", fullmatch=True), max_size=3, unique=True).map(sorted).map(tuple),
    io=every_field(
        IO,
        audio_inputs=st.none() | integers,
        audio_outputs=st.none() | integers,
        midi_inputs=st.none() | integers,
        midi_outputs=st.none() | integers,
        aux_inputs=st.none() | integers,
        aux_outputs=st.none() | integers,
    ),
    latency=st.none() | integers,
    sdk=text,
    parameters=st.lists(parameters, max_size=4).map(tuple),
    scanned_at=text,
    scanner_version=text,
    host=every_field(Host, name=text, os=text),
    outputs=st.lists(parameters, max_size=2).map(tuple),
    reader=text,
    url=text,
    description=text,
    unread_parameters=st.just(0),  # a record as scanned carries every parameter it has
)


@pytest.mark.slow
@pytest.mark.parametrize("backend_class", [SQLiteBackend, JSONBackend])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plugin=any_plugins)
def test_any_plugin_comes_back_equal(tmp_path: Path, backend_class: type[SQLiteBackend], plugin: Plugin) -> None:
    path = tmp_path / f"catalog{len(list(tmp_path.iterdir()))}{'.json' if backend_class is JSONBackend else '.db'}"
    backend = backend_class(path)
    try:
        backend.write([FileResult(file_for(plugin), plugins=(plugin,))])
        assert backend.get(plugin.id) == plugin
        assert list(backend.plugins()) == [plugin]
    finally:
        backend.close()
    reopened = backend_class(path, read_only=True)  # the JSON file's own round trip
    try:
        assert reopened.get(plugin.id) == plugin
    finally:
        reopened.close()


# -- search ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    catalog = Catalog.open(tmp_path_factory.mktemp("search") / "catalog.sqlite")
    catalog.backend.write(results_for(sample_plugins()))
    yield catalog
    catalog.close()


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text() | st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "Zs", "S"])))
def test_any_text_is_a_safe_search(searchable: Catalog, text: str) -> None:
    assert_found_literally(searchable.search(text), text)
    vocabulary = set(searchable.backend.vocabulary())
    assert set(searchable.suggest(text)) <= vocabulary  # suggestions are things the catalogue holds


names = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


@pytest.fixture(scope="module")
def growing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """A catalogue each example adds its plugin to."""
    catalog = Catalog.open(tmp_path_factory.mktemp("names") / "catalog.sqlite")
    catalog.backend.write(results_for(sample_plugins()))
    yield catalog
    catalog.close()


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(name=names)
def test_a_plugin_is_found_by_its_own_name(growing: Catalog, name: str) -> None:
    plugin = make_plugin(name, "Hypothesis", "vst3", "Effect/Test", id=f"vst3:h-{name.encode().hex()}")
    growing.backend.write([FileResult(file_for(plugin), plugins=(plugin,))])
    found = [p.id for p in growing.search(name, limit=10_000)]
    if fts_query(name):
        assert plugin.id in found
    else:
        assert found == []  # nothing searchable in it, e.g. only punctuation or emoji


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("valhala", "Valhalla DSP"),
        ("vintagverb", "VintageVerb"),
        ("dynamik compresor", "Dynamic Compressor"),
        ("cuttoff", "Cutoff"),
    ],
)
def test_suggestions_for_near_misses(searchable: Catalog, text: str, expected: str) -> None:
    assert searchable.search(text) == []
    assert searchable.suggest(text)[0] == expected


def test_nothing_close_suggests_nothing(searchable: Catalog) -> None:
    assert searchable.suggest("qqqqzzzzxxxx") == []


def test_resolve_names_one_plugin_or_says_why_not(searchable: Catalog) -> None:
    assert searchable.resolve("diva").name == "Diva"
    with pytest.raises(UnknownPluginError, match="2 plugins are named 'Pro-Q 3'"):
        searchable.resolve("Pro-Q 3")
    with pytest.raises(UnknownPluginError, match="did you mean 'VintageVerb'"):
        searchable.resolve("VintagVerb")


def test_blank_tags_are_refused(searchable: Catalog) -> None:
    with pytest.raises(QueryError):
        searchable.tag("Diva", "  ")
    with pytest.raises(QueryError):
        searchable.tag("Diva")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("10..50", ParamRange(10, 50)),
        (" 10 .. 50 ", ParamRange(10, 50)),
        ("10..", ParamRange(10, None)),
        ("..50", ParamRange(None, 50)),
        (">20", ParamRange(21, None)),
        (">=20", ParamRange(20, None)),
        ("<10", ParamRange(None, 9)),
        ("<=10", ParamRange(None, 10)),
        ("12", ParamRange(12, 12)),
        ((3, None), ParamRange(3, None)),
    ],
)
def test_parameter_count_ranges(spec: str | tuple[int | None, int | None], expected: ParamRange) -> None:
    assert ParamRange.parse(spec) == expected


@pytest.mark.parametrize("spec", ["", "..", "ten", "10-50", "> ", "=5", "1..2..3", "-3"])
def test_unreadable_parameter_count_ranges(spec: str) -> None:
    with pytest.raises(QueryError, match=r"10\.\.50"):
        ParamRange.parse(spec)


# -- streaming -------------------------------------------------------------------------------


@pytest.mark.slow
def test_iterating_a_large_catalogue_does_not_load_it_whole(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "big.sqlite")
    for batch in batches(iter_results(iter_plugins(3000, 20))):
        backend.write(batch)
    catalog = Catalog(backend)

    def peak(consume: object) -> int:
        tracemalloc.start()
        try:
            consume()  # type: ignore[operator]
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    streamed = peak(lambda: sum(1 for _ in catalog.plugins()))
    loaded = peak(lambda: list(catalog.plugins()))
    assert streamed * 8 < loaded, (streamed, loaded)
    first = catalog.plugins(sort="params", reverse=True)
    assert next(first).name  # a generator: nothing more is read until asked
    catalog.close()


# -- db check, vacuum ------------------------------------------------------------------------


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_check_finds_a_search_index_out_of_step_and_vacuum_repairs_it(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)
    conn.execute(
        "INSERT INTO plugins_fts (plugins_fts, rowid, name, vendor, categories_text, tags_text, params_text)"
        " SELECT 'delete', pk, name, vendor, categories_text, tags_text, params_text FROM plugin_records"
        " WHERE name = 'Diva'"
    )
    conn.close()
    with Catalog.open(path) as catalog:
        assert catalog.search("diva") == []
        assert any("search index misses 1 plugins" in problem for problem in catalog.check())
        catalog.vacuum()
        assert catalog.check() == []
        assert [p.name for p in catalog.search("diva")] == ["Diva"]


def test_check_finds_stale_index_text(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)
    conn.execute("DROP TRIGGER plugin_records_au")
    conn.execute("UPDATE plugin_records SET name = 'Renamed' WHERE name = 'Diva'")
    conn.close()
    with Catalog.open(path) as catalog:
        assert any("does not match the plugins" in problem for problem in catalog.check())


def test_check_finds_orphans(tmp_path: Path) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)  # foreign keys are off on a plain connection: orphans can be made
    conn.execute("INSERT INTO plugin_categories (plugin_pk, name, ancestor) VALUES (9999, 'Effect/Ghost', 0)")
    conn.execute("DELETE FROM plugin_records WHERE name = 'Pro-R'")
    conn.execute("DELETE FROM plugin_parameters WHERE pk = (SELECT pk FROM plugins WHERE name = 'Diva')")
    conn.execute("INSERT INTO parameter_names (plugin_pk, position, name) VALUES (9999, 0, 'Ghost Gain')")
    conn.execute("DELETE FROM files WHERE path = '/plugins/vst3/diva.vst3'")
    conn.close()
    with Catalog.open(path) as catalog:
        catalog.backend.write([failure_at("/plugins/other.vst3", last_seen="2025-01-01")])
        conn = _raw(path)
        conn.execute("INSERT INTO files SELECT path, format, 1, 1, 'x' FROM failures")
        conn.close()
        problems = catalog.check()
        with pytest.raises(CatalogError, match=r"damaged .*'vst3:u-he\.diva' is missing or unreadable"):
            catalog.resolve("Diva")
    assert "1 categories of no plugin" in problems
    assert "1 parameter names of no plugin" in problems
    assert "1 plugins without their record" in problems
    assert "1 plugins without their parameters" in problems
    assert "1 plugins from no stored file" in problems
    assert "1 files both stored and quarantined" in problems
    assert any("plugin_categories" in problem for problem in problems)  # PRAGMA foreign_key_check


@pytest.mark.parametrize("packed", [b"not compressed", zlib.compress(b"\x93not parameters")])
def test_unreadable_parameters_are_reported_as_damage(tmp_path: Path, packed: bytes) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = _raw(path)
    diva = "(SELECT pk FROM plugins WHERE name = 'Diva')"
    conn.execute(f"UPDATE plugin_parameters SET packed = ? WHERE pk = {diva}", (packed,))
    conn.close()
    with Catalog.open(path, read_only=True) as catalog:
        assert catalog.get("vst3:valhalla dsp.vintageverb") is not None  # the others still read
        with pytest.raises(CatalogError, match=r"damaged .*'vst3:u-he\.diva' is missing or unreadable"):
            catalog.search("diva")


# -- the JSON file ------------------------------------------------------------------------


def test_json_and_sqlite_hold_the_same_content(tmp_path: Path) -> None:
    plugins = sample_plugins()
    backends = [SQLiteBackend(tmp_path / "c.sqlite"), JSONBackend(tmp_path / "c.json")]
    for backend in backends:
        backend.write(results_for(plugins))
        backend.write([failure_at(plugins[0].path, last_seen="2025-01-01", signal=6)])
        backend.record_run({"started_at": "2025-01-01T00:00:00", "stored": 13})
        Catalog(backend).tag("Diva", "analog")

    def content(backend: SQLiteBackend) -> tuple[object, ...]:
        stats = Catalog(backend).stats()
        del stats["size_bytes"], stats["path"], stats["schema_version"]
        return list(backend.plugins()), backend.stored_files(), backend.failures(), stats

    assert content(backends[0]) == content(backends[1])
    # Each file's own layout: the JSON document does not change with the tables.
    versions = [Catalog(backend).stats()["schema_version"] for backend in backends]
    assert versions == [schema.SCHEMA_VERSION, jsonfile.FORMAT_VERSION]
    for backend in backends:
        backend.close()


def test_the_json_file_is_readable_and_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    backend = JSONBackend(path)
    with path.open("rb") as first:
        empty = first.read()
        backend.write(results_for(sample_plugins()))
        Catalog(backend).tag("Diva", "analog")
        backend.close()
        first.seek(0)
        assert first.read() == empty  # a new file was renamed into place; this one was never rewritten
    assert files_in(tmp_path) == ["catalog.json"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert '\n "plugins": [' in text and "Réverbération" in text  # indented, unicode as itself
    document = json.loads(text)
    assert (document["format"], document["schema_version"]) == ("pluginary-catalog", jsonfile.FORMAT_VERSION)
    diva = next(plugin for plugin in document["plugins"] if plugin["name"] == "Diva")
    assert diva["tags"] == ["analog"]
    assert document["user_labels"][diva["id"]]["tags"] == ["analog"]


def test_a_second_open_sees_tables_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    # The first writer is still running (or was killed): its tables may exist only in
    # catalog.sqlite-wal. A second process must open the catalogue, not recreate it.
    from pluginary.backends.sqlite import SQLiteBackend

    path = tmp_path / "catalog.sqlite"
    first = SQLiteBackend(path)
    assert path.with_name("catalog.sqlite-wal").exists()
    try:
        second = SQLiteBackend(path)
        assert second.stored_files() == {}
        second.close()
    finally:
        first.close()


@pytest.mark.parametrize(
    ("table", "command"),
    # A table listing plugins reads no parameters (only their count): their records do.
    [("presets", "presets"), ("product_tags", "list"), ("plugin_parameters", "list -o json")],
)
@pytest.mark.slow  # a real process or plugin load: left out of the quick tier
def test_a_catalogue_missing_a_table_of_its_schema_is_reported_damaged(
    tmp_path: Path, table: str, command: str
) -> None:
    path = stored(tmp_path / "c.sqlite")
    conn = sqlite3.connect(path)
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    done = subprocess.run(
        [sys.executable, "-m", "pluginary", *command.split(), "--catalog", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"error: {path}: the catalogue is damaged (no such table: {table})"), done.stderr


def test_the_search_filters_are_the_fields_of_a_query_that_select() -> None:
    from pluginary.core.query import Filters, Query

    unranked = {"sort", "reverse", "limit", "offset", "parameters"}  # order, page and how much is read
    assert set(Filters.__annotations__) == {field.name for field in attrs.fields(Query)} - unranked
