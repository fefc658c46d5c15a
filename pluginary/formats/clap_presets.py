"""CLAP presets, read through the module's own preset-discovery factory as a host's indexer does.

`factory/preset-discovery.h`: the module's `clap.preset-discovery-factory/2` (or the draft id
`/draft-2` older plugins export) lists providers; each is created with our indexer, `init`
declares file types, locations and sound packs to it, and `get_metadata` reports the presets of
one location through our metadata receiver. A PLUGIN location holds presets inside the module
(source FACTORY); a FILE location is a file or a folder, walked here for the declared file types
(source FILE, one `get_metadata` per file). This runs in the scan worker, beside the plugin
factory: a provider that crashes takes the worker down as any plugin crash does, while one that
answers false or calls `on_error` is a WARNING and the bundle's plugins are still catalogued.

What a provider says is hostile: texts are read with a bound, counts and the walk are capped,
and the walk never follows a link out of the declared folder.

A FILE location lies outside the module, so the module's own stat cannot say when a preset file
there is added, edited or removed. The worker therefore remembers the FILE locations it walked in
a sidecar (`sidecar_path`: the user data folder, keyed by a hash of the bundle path) with a digest
of what they held, and `location_signature` (the parent, through `CLAPFormat.signature_files`)
adds their preset files to the module's fingerprint once they no longer match that digest. While
they match it adds nothing, so the fingerprint stored by the scan that wrote the sidecar (which
covered the module alone) is still the one a no-change rescan computes. The sidecar is the
worker's word, so it is read as hostile too: only a small regular JSON file of the expected shape
naming this bundle and absolute paths, whose files are only walked and stat'ed, never opened.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Generator, Iterable, Iterator
from ctypes import POINTER, byref
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
import msgspec

from pluginary.core.errors import PluginaryError
from pluginary.core.models import Preset, PresetSource
from pluginary.core.paths import user_data_dir
from pluginary.formats import clap_abi as abi

log = logging.getLogger(__name__)

# Caps far above real libraries (a large synth ships a few thousand presets), low enough that a
# lying provider cannot keep the worker busy past its deadline or grow the answer without end.
MAX_PROVIDERS = 64
MAX_DECLARATIONS = 256  # file types, locations and sound packs, each, per provider
MAX_PRESETS = 50_000  # records per module
MAX_FILES = 10_000  # preset files handed to get_metadata per FILE location
MAX_ENTRIES = 100_000  # folder entries looked at while walking FILE locations
MAX_DEPTH = 8  # folders below a FILE location
MAX_ERRORS = 20  # on_error messages logged per module; the rest are counted
MAX_VALUES = 64  # creators, features and plugin ids per preset
TEXT_LIMIT = 1024
DESCRIPTION_LIMIT = 8192
# Real modules declare one to three FILE locations; a sidecar is a few hundred bytes.
MAX_REMEMBERED = 32  # FILE locations remembered per module
SIDECAR_LIMIT = 256 * 1024  # bytes
SIDECAR_FOLDER = "clap-preset-locations"  # under the user data folder

#: clap_preset_discovery_flags as the tags a catalogue can filter on.
FLAG_TAGS = (
    (abi.PRESET_IS_FACTORY_CONTENT, "factory"),
    (abi.PRESET_IS_USER_CONTENT, "user"),
    (abi.PRESET_IS_DEMO_CONTENT, "demo"),
    (abi.PRESET_IS_FAVORITE, "favorite"),
)


def read_presets(entry: abi.ClapPluginEntry, bundle: Path) -> list[Preset]:
    """Every preset the module's providers report; [] when it has no preset-discovery factory.

    The FILE locations walked are remembered for `location_signature` (none: the sidecar is
    removed). Call between `clap_entry.init` and `deinit`.
    """
    factory = _factory(entry, bundle)
    collector = _Collector(bundle)
    count = int(factory.contents.count(factory)) if factory is not None and factory.contents.count else 0
    if count > MAX_PROVIDERS:
        log.warning("%s: the preset-discovery factory claims %d providers; reading %d", bundle, count, MAX_PROVIDERS)
    for index in range(min(count, MAX_PROVIDERS)):
        provider_id = _provider_id(factory, index)
        if provider_id:
            _read_provider(factory, provider_id, collector)
    _remember(bundle, collector.walked)
    if collector.errors > MAX_ERRORS:
        log.warning("%s: %d more preset errors not shown", bundle, collector.errors - MAX_ERRORS)
    if collector.skipped:
        log.warning("%s: %d presets without a name or a CLAP plugin id skipped", bundle, collector.skipped)
    if collector.full:
        log.warning("%s: more than %d presets; the rest are not read", bundle, MAX_PRESETS)
    return list(collector.kept.values())


def _factory(entry: abi.ClapPluginEntry, bundle: Path) -> Any:
    """The preset-discovery factory under its id or its draft id, or None."""
    for factory_id in abi.PRESET_DISCOVERY_FACTORY_IDS:
        address = entry.get_factory(factory_id) if entry.get_factory else None
        if address:
            factory = ctypes.cast(address, POINTER(abi.ClapPresetDiscoveryFactory))
            if factory.contents.get_descriptor and factory.contents.create:
                return factory
            log.warning("%s: the preset-discovery factory's functions are NULL; no presets read", bundle)
            return None
    return None


def _provider_id(factory: Any, index: int) -> bytes:
    address = factory.contents.get_descriptor(factory, index)
    if not address:
        log.debug("preset provider descriptor %d is NULL", index)
        return b""
    desc = abi.ClapPresetDiscoveryProviderDescriptor.from_address(address)
    if not desc.clap_version.compatible():
        log.debug("preset provider descriptor %d declares CLAP %s", index, desc.clap_version)
        return b""
    return abi.read_bytes(desc.id, TEXT_LIMIT)


def _read_provider(factory: Any, provider_id: bytes, collector: _Collector) -> None:
    bundle, name = collector.bundle, abi.decode(provider_id)
    indexer = _Indexer()
    address = factory.contents.create(factory, byref(indexer.struct), provider_id)
    if not address:
        log.warning("%s: preset provider %r could not be created; its presets are not read", bundle, name)
        return
    provider = ctypes.cast(address, POINTER(abi.ClapPresetDiscoveryProvider))
    try:
        calls = provider.contents
        if not calls.init or not calls.get_metadata or not calls.init(provider):
            log.warning("%s: preset provider %r: init failed; its presets are not read", bundle, name)
            return
        for location in indexer.locations:
            if location.kind == abi.PRESET_LOCATION_PLUGIN:
                collector.read(provider, indexer, location, None)
                continue
            walked = _Walked.of(location.path, indexer.extensions)
            parts = collector.walked.setdefault(walked, set())
            for file in _location_files(walked.path, walked.extension_set, bundle):
                # Stat'ed before the provider reads it: an edit during the scan then differs from the digest.
                parts |= _parts([file])
                collector.read(provider, indexer, location, file)
    finally:
        # Owed after create, even when init failed; the indexer (its callbacks) outlives it.
        if provider.contents.destroy:
            provider.contents.destroy(provider)


# ---------------------------------------------------------------- the indexer


@attrs.frozen
class _Location:
    name: str
    kind: int
    path: str  # "" for a PLUGIN location
    flags: int


class _Indexer:
    """What one provider declares in its `init`: file extensions, locations and sound packs."""

    def __init__(self) -> None:
        #: Lower-case extensions without the dot; None once a file type matches every file.
        self.extensions: set[str] | None = set()
        self.locations: list[_Location] = []
        self.soundpacks: dict[str, str] = {}
        self.struct = abi.ClapPresetDiscoveryIndexer(
            clap_version=abi.ClapVersion(*abi.HOST_VERSION),
            name=b"Pluginary",
            vendor=b"Pluginary",
            url=b"",
            version=b"",
            indexer_data=None,
            declare_filetype=abi.IndexerDeclare(self._filetype),
            declare_location=abi.IndexerDeclare(self._location),
            declare_soundpack=abi.IndexerDeclare(self._soundpack),
            get_extension=abi.IndexerGetExtension(lambda indexer, extension_id: None),
        )

    def _filetype(self, _: Any, address: int | None) -> bool:
        if not address or self.extensions is None or len(self.extensions) >= MAX_DECLARATIONS:
            return False
        filetype = abi.ClapPresetDiscoveryFiletype.from_address(address)
        extension = abi.read_text(filetype.file_extension, TEXT_LIMIT).lower()
        if extension:  # "If empty or NULL then every file should be matched."
            self.extensions.add(extension)
        else:
            self.extensions = None
        return True

    def _location(self, _: Any, address: int | None) -> bool:
        if not address or len(self.locations) >= MAX_DECLARATIONS:
            return False
        location = abi.ClapPresetDiscoveryLocation.from_address(address)
        kind = int(location.kind)
        path = abi.read_text(location.location, TEXT_LIMIT) if kind == abi.PRESET_LOCATION_FILE else ""
        if kind not in (abi.PRESET_LOCATION_FILE, abi.PRESET_LOCATION_PLUGIN) or (
            kind == abi.PRESET_LOCATION_FILE and not path
        ):
            return False
        name = abi.read_text(location.name, TEXT_LIMIT)
        self.locations.append(_Location(name=name, kind=kind, path=path, flags=int(location.flags)))
        return True

    def _soundpack(self, _: Any, address: int | None) -> bool:
        if not address or len(self.soundpacks) >= MAX_DECLARATIONS:
            return False
        pack = abi.ClapPresetDiscoverySoundpack.from_address(address)
        pack_id = abi.read_text(pack.id, TEXT_LIMIT)
        if not pack_id:
            return False
        self.soundpacks[pack_id] = abi.read_text(pack.name, TEXT_LIMIT) or pack_id
        return True


def _location_files(path: str, extensions: set[str] | None, bundle: Path, *, quiet: bool = False) -> Iterator[Path]:
    """A FILE location's preset files: the file itself, or a folder's files of the declared types.

    `quiet`: log nothing (the parent's fingerprint walk; the worker's walk reports the same).
    """
    root = Path(path)
    if not root.is_absolute():
        if not quiet:
            log.warning("%s: preset location %r is not an absolute path; skipped", bundle, path)
        return
    mode = _mode(root)
    if stat.S_ISREG(mode):
        yield root
    elif stat.S_ISDIR(mode):
        yield from _walk(root, extensions, bundle, quiet=quiet)
    elif not quiet:
        log.debug("%s: preset location %s does not exist", bundle, root)


def _walk(root: Path, extensions: set[str] | None, bundle: Path, *, quiet: bool) -> Iterator[Path]:
    """`_walk_bounded`, with a warning when a bound stopped it."""
    if not (yield from _walk_bounded(root, extensions)) and not quiet:
        log.warning("%s: preset folder %s holds more than can be read; the rest is skipped", bundle, root)


def _walk_bounded(root: Path, extensions: set[str] | None) -> Generator[Path, None, bool]:
    """Files under `root` whose extension was declared, in name order, bounded in depth and count;
    returns whether it walked everything.

    Linked folders are not entered, and a linked file counts only if it stays under `root`.
    Only regular files count: a FIFO or a device is never handed on (and never opened).
    """
    real_root = root.resolve()
    seen = files = 0
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(dirs) if depth < MAX_DEPTH else []
        seen += len(dirs) + len(names)  # folders count too: a tree of empty folders is no way round the bound
        if seen > MAX_ENTRIES:
            return False
        for name in sorted(names):
            if extensions is not None and Path(name).suffix.lower().removeprefix(".") not in extensions:
                continue
            file = here / name
            # The stat first: a link loop or a dangling link is no file (and resolve() raises on a loop).
            if not stat.S_ISREG(_mode(file)) or (file.is_symlink() and not file.resolve().is_relative_to(real_root)):
                continue
            if files == MAX_FILES:
                return False
            files += 1
            yield file
    return True


def _mode(path: Path) -> int:
    """The type and permission bits of what `path` leads to; 0 when it cannot be reached (missing,
    unreadable, a loop, a name too long): a location is the provider's word, never a reason to fail."""
    try:
        return os.stat(path).st_mode
    except (OSError, ValueError):
        return 0


# ---------------------------------------------------------------- the FILE locations remembered


class _Walked(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One FILE location as walked: its path and the extensions read there (None: every file)."""

    path: Annotated[str, msgspec.Meta(max_length=TEXT_LIMIT)]
    extensions: (
        Annotated[
            tuple[Annotated[str, msgspec.Meta(max_length=TEXT_LIMIT)], ...], msgspec.Meta(max_length=MAX_DECLARATIONS)
        ]
        | None
    )

    @classmethod
    def of(cls, path: str, extensions: set[str] | None) -> _Walked:
        # A copy: a provider may declare more file types while it is walked.
        return cls(path, None if extensions is None else tuple(sorted(extensions)))

    @property
    def extension_set(self) -> set[str] | None:
        return None if self.extensions is None else set(self.extensions)

    @property
    def usable(self) -> bool:
        return os.path.isabs(self.path) and "\0" not in self.path


def _order(walked: _Walked) -> tuple[str, bool, tuple[str, ...]]:
    return walked.path, walked.extensions is None, walked.extensions or ()


class _Sidecar(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a scan remembers of one module: the FILE locations walked and a digest of their files then."""

    version: Literal[1]
    bundle: Annotated[str, msgspec.Meta(max_length=4 * TEXT_LIMIT)]  # os.path.abspath of the bundle
    locations: Annotated[tuple[_Walked, ...], msgspec.Meta(max_length=MAX_REMEMBERED)]
    digest: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$")]


def sidecar_path(bundle: Path) -> Path:
    """Where the FILE locations of `bundle` are remembered (raises PluginaryError for a bad data folder)."""
    key = hashlib.blake2b(os.fsencode(os.path.abspath(bundle)), digest_size=16).hexdigest()
    return user_data_dir() / SIDECAR_FOLDER / f"{key}.json"


def location_signature(bundle: Path) -> list[Path]:
    """What the FILE locations remembered for `bundle` add to its signature files.

    Nothing while they hold what they held when remembered; else the sidecar (so that an emptied
    location still differs from nothing) and every preset file in them, in the worker walk's order
    and bounds. Nothing either without a usable sidecar.
    """
    sidecar = _read_sidecar(bundle)
    if sidecar is None:
        return []
    files = [
        file
        for walked in sidecar.locations
        for file in _location_files(walked.path, walked.extension_set, bundle, quiet=True)
    ]
    if _digest(_parts(files)) == sidecar.digest:
        return []
    return [sidecar_path(bundle), *files]


def _parts(files: Iterable[Path]) -> set[str]:
    """Path, size and mtime of each file that can be stat'ed: what the digest covers."""
    parts = set()
    for file in files:
        with contextlib.suppress(OSError):
            info = os.stat(file)
            parts.add(f"{file}:{info.st_size}:{info.st_mtime_ns}")
    return parts


def _digest(parts: set[str]) -> str:
    # NUL cannot occur in a path: the joined text names one set of parts only.
    text = "\0".join(sorted(parts)).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _remember(bundle: Path, walked: dict[_Walked, set[str]]) -> None:
    """Write the sidecar when the FILE locations differ from the remembered ones (remove it when there
    are none). The same locations keep their old digest: it still describes the files the stored
    fingerprint left out, and rewriting the sidecar would change its stat in the fingerprint."""
    locations = sorted((location for location in walked if location.usable), key=_order)
    if len(locations) > MAX_REMEMBERED:
        log.warning(
            "%s: %d preset locations; changes are noticed in the first %d", bundle, len(locations), MAX_REMEMBERED
        )
        del locations[MAX_REMEMBERED:]
    if not locations:
        with contextlib.suppress(OSError, PluginaryError):
            sidecar_path(bundle).unlink(missing_ok=True)
        return
    try:
        old = _read_sidecar(bundle)
        if old is not None and list(old.locations) == locations:
            return
        digest = _digest(set().union(*(walked[location] for location in locations)))
        data = msgspec.json.encode(_Sidecar(1, os.path.abspath(bundle), tuple(locations), digest))
        if len(data) > SIDECAR_LIMIT:
            raise ValueError(f"{len(data)} bytes, more than {SIDECAR_LIMIT}")
        _write(sidecar_path(bundle), data)
    except (OSError, ValueError, PluginaryError) as exc:
        log.warning(
            "%s: its preset folders cannot be remembered (%s): a preset file changed there is seen only when "
            "the module changes, or with --full",
            bundle,
            exc,
        )


def _write(path: Path, data: bytes) -> None:
    """Replace `path` by `data` at once: a reader sees the old sidecar or the new, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read_sidecar(bundle: Path) -> _Sidecar | None:
    """The sidecar remembered for `bundle`; None when there is none or it is not what `_remember`
    writes: a regular file of at most SIDECAR_LIMIT bytes, that JSON, naming this bundle and
    absolute paths."""
    try:
        # No link followed, and a FIFO put in its place does not block the open.
        fd = os.open(sidecar_path(bundle), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError, PluginaryError):
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > SIDECAR_LIMIT:
                return None
            sidecar = msgspec.json.decode(file.read(SIDECAR_LIMIT + 1), type=_Sidecar)
    except (OSError, msgspec.DecodeError):
        return None
    if sidecar.bundle != os.path.abspath(bundle) or not all(location.usable for location in sidecar.locations):
        return None
    return sidecar


# ---------------------------------------------------------------- the metadata receiver


@attrs.define
class _Draft:
    """One preset as `begin_preset` and the calls after it describe it."""

    name: str
    load_key: str
    plugin_ids: list[str] = attrs.Factory(list)
    flags: int | None = None
    soundpack: str = ""
    creators: list[str] = attrs.Factory(list)
    description: str = ""
    features: list[str] = attrs.Factory(list)


class _Collector:
    """The metadata receiver of one module: the presets each `get_metadata` call reports."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        self.kept: dict[str, Preset] = {}
        self.errors = 0
        self.skipped = 0  # presets without a name or a CLAP plugin id
        self.full = False  # MAX_PRESETS reached: begin_preset answered false
        self.drafts: list[_Draft] = []  # the current call's
        #: Each FILE location walked: the parts (`_parts`) of its files as they were when read.
        self.walked: dict[_Walked, set[str]] = {}
        self.struct = abi.ClapPresetDiscoveryMetadataReceiver(
            receiver_data=None,
            on_error=abi.ReceiverOnError(self._on_error),
            begin_preset=abi.ReceiverBeginPreset(self._begin),
            add_plugin_id=abi.ReceiverAddPluginId(self._plugin_id),
            set_soundpack_id=abi.ReceiverText(self._soundpack),
            set_flags=abi.ReceiverFlags(self._flags),
            add_creator=abi.ReceiverText(self._creator),
            set_description=abi.ReceiverText(self._description),
            set_timestamps=abi.ReceiverTimestamps(lambda receiver, created, modified: None),
            add_feature=abi.ReceiverText(self._feature),
            add_extra_info=abi.ReceiverExtraInfo(lambda receiver, key, value: None),
        )
        self._where = ""

    def read(self, provider: Any, indexer: _Indexer, location: _Location, file: Path | None) -> None:
        """`get_metadata` for a PLUGIN location (`file` None) or one preset file; its presets are
        kept only if it answers true."""
        self.drafts = []
        self._where = f"{self.bundle}: " + (str(file) if file else f"its presets ({location.name or 'unnamed'})")
        path = os.fsencode(file) if file else None
        if not provider.contents.get_metadata(provider, location.kind, path, byref(self.struct)):
            log.warning("%s: the preset provider could not read it; skipped", self._where)
            return
        for draft in self.drafts:
            for preset in self._records(draft, indexer, location, file):
                self.kept.setdefault(preset.id, preset)

    def _records(self, draft: _Draft, indexer: _Indexer, location: _Location, file: Path | None) -> list[Preset]:
        name = draft.name or draft.load_key or (file.stem if file else "")
        if not draft.plugin_ids or not name:
            self.skipped += 1
            return []
        flags = location.flags if draft.flags is None else draft.flags
        bank = indexer.soundpacks.get(draft.soundpack, draft.soundpack) or location.name
        tags = (*draft.features, *(tag for bit, tag in FLAG_TAGS if flags & bit))
        records = []
        for plugin_id in dict.fromkeys(draft.plugin_ids):
            if file is None:
                preset_id, source, path = f"{plugin_id}#{draft.load_key or name}", PresetSource.FACTORY, ""
            else:
                key = f"#{draft.load_key}" if draft.load_key else ""
                preset_id, source, path = f"{plugin_id}#{file}{key}", PresetSource.FILE, str(file)
            records.append(
                Preset(
                    id=preset_id,
                    name=name,
                    plugin_id=plugin_id,
                    format="clap",
                    source=source,
                    path=path,
                    bank=bank,
                    author=", ".join(draft.creators),
                    tags=tuple(dict.fromkeys(tags)),
                    description=draft.description,
                )
            )
        return records

    # The callbacks: a call before any begin_preset has no preset to describe and is ignored.

    def _on_error(self, _: Any, os_error: int, message: int | None) -> None:
        self.errors += 1
        if self.errors <= MAX_ERRORS:
            text = abi.read_text(message, TEXT_LIMIT)
            log.warning("%s: preset error: %s (OS error %d)", self._where, text, os_error)

    def _begin(self, _: Any, name: int | None, load_key: int | None) -> bool:
        if len(self.kept) + len(self.drafts) >= MAX_PRESETS:
            self.full = True
            return False  # the provider must stop calling back into the receiver
        self.drafts.append(_Draft(name=abi.read_text(name, TEXT_LIMIT), load_key=abi.read_text(load_key, TEXT_LIMIT)))
        return True

    def _plugin_id(self, _: Any, plugin_id: Any) -> None:
        if not self.drafts or not plugin_id or len(self.drafts[-1].plugin_ids) >= MAX_VALUES:
            return
        universal = plugin_id.contents
        clap_id = abi.read_text(universal.id, TEXT_LIMIT)
        # Only CLAP ids name a plugin of this format; a VST3 or AU id is another format's plugin.
        if abi.read_text(universal.abi, TEXT_LIMIT) == "clap" and clap_id:
            self.drafts[-1].plugin_ids.append(f"clap:{clap_id}")

    def _soundpack(self, _: Any, pack_id: int | None) -> None:
        if self.drafts:
            self.drafts[-1].soundpack = abi.read_text(pack_id, TEXT_LIMIT)

    def _flags(self, _: Any, flags: int) -> None:
        if self.drafts:
            self.drafts[-1].flags = int(flags)

    def _creator(self, _: Any, creator: int | None) -> None:
        if self.drafts and len(self.drafts[-1].creators) < MAX_VALUES and (text := abi.read_text(creator, TEXT_LIMIT)):
            self.drafts[-1].creators.append(text)

    def _description(self, _: Any, description: int | None) -> None:
        if self.drafts:
            self.drafts[-1].description = abi.read_text(description, DESCRIPTION_LIMIT)

    def _feature(self, _: Any, feature: int | None) -> None:
        if self.drafts and len(self.drafts[-1].features) < MAX_VALUES and (text := abi.read_text(feature, TEXT_LIMIT)):
            self.drafts[-1].features.append(text)
