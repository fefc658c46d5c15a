"""The ardour exporter, checked the way Ardour reads its files (`libs/ardour/plugin_manager.cc`: `load_tags`,
`sanitize_tag`, `load_statuses`), field by field."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pluginary.core.models import Category, CategorySource, Plugin
from pluginary.exporters.ardour import MAX_STATUS_LINE, ArdourExporter, ardour_identity

LV2 = Plugin(
    id="lv2:urn:zamaudio:ZamComp",
    format="lv2",
    name="ZamComp",
    path="/lv2/ZamComp.lv2",
    categories=(Category("Effect/Dynamics"),),
    tags=("favorite",),
)
VST3 = Plugin(
    id="vst3:5a616d436f6d705a616d436f6d700001",
    format="vst3",
    name="ZamComp",
    path="/vst3/ZamComp.vst3",
    categories=(Category("Effect/Dynamics"),),
    tags=("hidden", "Bus, Glue"),
)
AU = Plugin(
    id="au:aufx-dely-appl",
    format="au",
    name="AUDelay",
    path="/AU/CoreAudio.component",
    categories=(Category("Effect/Delay"),),
    tags=("favourite",),
)


def render(folder: Path, plugins: list[Plugin], **options: object) -> dict[str, bytes]:
    return {f.path.name: f.content for f in ArdourExporter().render(plugins, folder, dict(options))}


def ardour_tags(content: bytes) -> dict[tuple[str, str], dict[str, str]]:
    """`load_tags`: each child with type, id, tags and name (others are skipped), tags as `sanitize_tag`
    leaves them (split at space, comma and newline, lower-cased, joined by one space)."""
    read: dict[tuple[str, str], dict[str, str]] = {}
    for element in ET.fromstring(content):
        attributes = dict(element.attrib)
        if not {"type", "id", "tags", "name"} <= set(attributes):
            continue
        attributes["tags"] = " ".join(t.lower() for t in re.split("[ ,\n]", attributes["tags"].strip()) if t)
        read[(attributes["type"], attributes["id"])] = attributes
    return read


def ardour_statuses(content: bytes) -> dict[tuple[str, str], str]:
    """`load_statuses`: `>> type >> status`, then `getline` of the rest into a 1024-byte buffer; a longer
    rest (or the end of the text) stops the reading; an unknown status drops every status."""
    text, position = content.decode(), 0
    read: dict[tuple[str, str], str] = {}
    while True:
        words = []
        for _ in range(2):
            match = re.compile(r"[ \t\n\v\f\r]*([^ \t\n\v\f\r]+)").match(text, position)
            if not match:
                return read
            words.append(match[1])
            position = match.end()
        end = text.find("\n", position)
        if end < 0:
            return read  # getline hits the end of the file: the stream fails
        rest = text[position:end]
        if len(rest.encode()) > MAX_STATUS_LINE:
            return read
        position = end + 1
        if words[1] not in ("Normal", "Favorite", "Hidden"):
            return {}
        read[(words[0], rest.strip(" \t\n\v\f\r"))] = words[1]


def test_every_entry_as_ardour_reads_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old_vst3 = Plugin(
        id="vst3:/vst3/Old.vst3#Old",
        format="vst3",
        name="Old",
        path="/vst3/Old.vst3",
        categories=(Category("Effect/EQ"),),
        tags=("favorite",),
    )
    odd_au = Plugin(
        id="au:aufx-d\u00e9ly-appl",
        format="au",
        name="Accented",
        path="/AU/x.component",
        categories=(Category("Effect/EQ"),),
    )
    clap = Plugin(
        id="clap:org.x.y", format="clap", name="CLAP", path="/clap/x.clap", categories=(Category("Effect/EQ"),)
    )
    with caplog.at_level(logging.WARNING):
        files = render(tmp_path / "new", [VST3, AU, LV2, old_vst3, odd_au, clap], statuses=True)
    assert ardour_tags(files["plugin_tags"]) == {
        ("AudioUnit", "aufx-dely-appl"): {  # Ardour 7/8's form, not the decimal one Ardour < 6.8 wrote
            "type": "AudioUnit",
            "id": "aufx-dely-appl",
            "tags": "delay favourite",
            "name": "AUDelay",
            "user-set": "1",
            "pluginary": "1",
        },
        ("LV2", "urn:zamaudio:ZamComp"): {
            "type": "LV2",
            "id": "urn:zamaudio:ZamComp",
            "tags": "dyn:compressor favorite",  # Ardour's words for our categories
            "name": "ZamComp",
            "user-set": "1",
            "pluginary": "1",
        },
        ("VST3", "5A616D436F6D705A616D436F6D700001"): {  # the class id upper-case, as FUID::toString prints it
            "type": "VST3",
            "id": "5A616D436F6D705A616D436F6D700001",
            "tags": "dyn:compressor hidden bus-glue",
            "name": "ZamComp",
            "user-set": "1",
            "pluginary": "1",
        },
    }
    root = ET.fromstring(files["plugin_tags"])
    assert root.tag == "PluginTags" and [e.get("type") for e in root] == ["AudioUnit", "LV2", "VST3"]
    assert ardour_statuses(files["plugin_statuses"]) == {
        ("AudioUnit", "aufx-dely-appl"): "Favorite",
        ("LV2", "urn:zamaudio:ZamComp"): "Favorite",
        ("VST3", "5A616D436F6D705A616D436F6D700001"): "Hidden",
    }
    assert files["plugin_statuses"] == (
        b"AudioUnit Favorite aufx-dely-appl\nLV2 Favorite urn:zamaudio:ZamComp\n"
        b"VST3 Hidden 5A616D436F6D705A616D436F6D700001\n"
    )
    assert [r.getMessage() for r in caplog.records] == [
        "ardour: 1 VST3 plugin left out: it has no class id (an id vst3:<path>#<name> from an older scan), "
        "and Ardour knows a VST3 plugin only by it; rescan with `pluginary scan --full`"
    ]  # no word of the factory file: every plugin Ardour would know here is tagged


def test_ids_ardour_would_not_know_are_left_out() -> None:
    def identity(plugin_id: str, fmt: str) -> tuple[str, str] | None:
        return ardour_identity(Plugin(id=plugin_id, format=fmt, name="x", path="/x"))

    assert identity("vst3:" + "ab" * 16, "vst3") == ("VST3", "AB" * 16)
    assert identity("vst3:" + "ab" * 15, "vst3") is None  # 30 digits
    assert identity("vst3:" + "g" * 32, "vst3") is None
    assert identity("vst3:/x/A.vst3#A", "vst3") is None
    assert identity("au:aumu-Srg -SgTm", "au") == ("AudioUnit", "aumu-Srg -SgTm")  # a space is a character
    assert identity("au:aufx-dely-app", "au") is None
    assert identity("au:aufx-d\x07ly-appl", "au") is None  # not printable: neither an OSType nor XML
    assert identity("lv2:urn:a\nb", "lv2") is None
    assert identity("lv2:", "lv2") is None
    assert identity("clap:x", "clap") is None


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("Bus, Glue", ["bus-glue"]),
        ("lo-fi,vintage", ["lo-fi-vintage"]),
        ("Warm\nTape", ["warm-tape"]),
        ("a,,b , c", ["a-b-c"]),
        (",", []),
        ("TAB\there", ["tab-here"]),
        ('"quoted" <x> & y', ['"quoted"-<x>-&-y']),
        ("dyn:limiter", ["dyn:limiter"]),
        ("\x1b[31mred", ["[31mred"]),
    ],
)
def test_a_tag_stays_one_ardour_tag(tag: str, words: list[str], tmp_path: Path) -> None:
    """Ardour splits `tags` at spaces, commas and newlines: each of the user's tags must stay one word."""
    plugin = Plugin(
        id="lv2:urn:t", format="lv2", name="T", path="/t.lv2", categories=(Category("Effect/EQ"),), tags=(tag,)
    )
    read = ardour_tags(render(tmp_path, [plugin])["plugin_tags"])
    assert read[("LV2", "urn:t")]["tags"].split(" ") == ["eq:parametric", *words]


def test_status_ids_ardour_cannot_read_back_get_no_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A rest of line over 1023 bytes stops Ardour's reading of every status after it; a blank at an id's
    end is stripped by Ardour, so the line would name another plugin."""
    fits = "urn:" + "x" * (MAX_STATUS_LINE - 1 - 4)  # " " + id: 1023 bytes, the most getline takes
    too_long = "urn:" + "y" * (MAX_STATUS_LINE - 4)
    plugins = [
        Plugin(id=f"lv2:{uri}", format="lv2", name=uri[:5], path="/x.lv2", tags=("favorite",))
        for uri in (fits, too_long)
    ]
    plugins.append(Plugin(id="au:aufx-dely-ap  ", format="au", name="blank", path="/x", tags=("hidden",)))
    plugins.append(Plugin(id="lv2:urn:zz", format="lv2", name="last", path="/z.lv2", tags=("hidden",)))
    with caplog.at_level(logging.WARNING):
        content = render(tmp_path, plugins, statuses=True)["plugin_statuses"]
    assert ardour_statuses(content) == {("LV2", fits): "Favorite", ("LV2", "urn:zz"): "Hidden"}
    assert content.count(b"\n") == 2
    assert len([r for r in caplog.records if "no status for" in r.getMessage()]) == 2


def test_merge_updates_every_entry_of_a_plugin_and_keeps_comments_and_foreign_entries(tmp_path: Path) -> None:
    (tmp_path / "plugin_tags").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<PluginTags>\n  <!-- mine -->\n'
        b'  <Plugin type="LV2" id="urn:zamaudio:ZamComp" tags="old" name="Z" user-set="1"/>\n'
        b'  <Plugin type="Lua" id="x" tags="a,b" name="Lua thing" extra="kept"/>\n'
        b'  <Plugin type="LV2" id="urn:zamaudio:ZamComp" tags="older" name="Z"/>\n</PluginTags>\n'
    )
    (tmp_path / "plugin_statuses").write_bytes(
        b"LV2 Normal urn:zamaudio:ZamComp\r\nLADSPA Hidden 1216\r\nLV2\tHidden   urn:zamaudio:ZamComp  \r\n"
    )
    files = render(tmp_path, [LV2], statuses=True)
    root = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root.feed(files["plugin_tags"])
    elements = list(root.close())
    assert elements[0].tag is ET.Comment and elements[0].text == " mine "
    ours = {"tags": "dyn:compressor favorite", "name": "ZamComp", "user-set": "1", "pluginary": "1"}
    assert [dict(e.attrib) for e in elements[1:]] == [
        {"type": "LV2", "id": "urn:zamaudio:ZamComp", **ours},
        {"type": "Lua", "id": "x", "tags": "a,b", "name": "Lua thing", "extra": "kept"},
        {"type": "LV2", "id": "urn:zamaudio:ZamComp", **ours},
    ]
    assert files["plugin_statuses"] == (
        b"LV2 Favorite urn:zamaudio:ZamComp\r\nLADSPA Hidden 1216\r\nLV2 Favorite urn:zamaudio:ZamComp\r\n"
    )


FACTORY = Path("/usr/share/ardour7/plugin_metadata/plugin_tags")


def test_our_categories_are_in_ardours_own_vocabulary() -> None:
    """Every word a taxonomy category becomes is one Ardour's factory tag file uses (Debian's Ardour 7)."""
    from pluginary.core import taxonomy
    from pluginary.exporters.ardour import ARDOUR_TAGS, REFINED, factory_tags
    from tests.support import need

    need(FACTORY.exists(), "needs Debian's ardour-data for Ardour's factory plugin_tags (apt-get install ardour)")
    vocabulary = {word for tags in (factory_tags(FACTORY) or {}).values() for word in tags.split()}
    assert set(ARDOUR_TAGS) == set(taxonomy.names())
    ours = {w for words in ARDOUR_TAGS.values() for w in words} | {w for rules in REFINED.values() for _, w in rules}
    assert ours <= vocabulary, ours - vocabulary
    assert not {"dynamics", "eq", "effect", "organ"} & ours


def test_refined_words_follow_the_plugins_name_and_native_categories(tmp_path: Path) -> None:
    def tags(name: str, category: str, native: tuple[str, ...] = ()) -> str:
        plugin = Plugin(
            id="lv2:urn:r", format="lv2", name=name, path="/r.lv2", native_categories=native,
            categories=(Category(category),), tags=("x",),
        )  # fmt: skip
        return ardour_tags_of(render(tmp_path, [plugin])["plugin_tags"])[("LV2", "urn:r")]["tags"]

    assert tags("ZamComp", "Effect/Dynamics") == "dyn:compressor x"
    assert tags("ZamGate", "Effect/Dynamics", ("lv2:GatePlugin",)) == "dyn:gate/expander x"
    assert tags("x42 Limiter", "Effect/Dynamics") == "dyn:limiter x"
    assert tags("ZamGEQ31", "Effect/EQ", ("lv2:EQPlugin",)) == "eq:parametric x"
    assert tags("Graphic EQ", "Effect/EQ") == "eq:graphic x"
    assert tags("Guitar Amp", "Effect/Distortion") == "amp-simulator x"
    assert tags("setBfree", "Instrument/Organ") == "instrument keys x"
    assert tags("Arp", "MIDI") == "midi-effect x"


ardour_tags_of = ardour_tags


def test_untagged_plugins_keep_ardours_factory_tags_and_only_user_labels_are_user_set(tmp_path: Path) -> None:
    """Ardour ranks user-set entries over its factory file, and an entry here without user-set like the factory
    file (the later read wins): an untagged plugin Ardour has factory tags for gets no entry (and ours from an
    earlier export goes), an untagged one it has none for gets ours without user-set, a tagged one gets
    Ardour's factory tags plus the user's; the user's own entry from Ardour is never replaced by an untagged
    plugin's."""
    factory = tmp_path / "factory_tags"
    factory.write_bytes(
        b'<?xml version="1.0"?>\n<PluginTags>\n'
        b'  <Plugin type="LV2" id="urn:ardour:a-eq" tags="eq:parametric, Inline-UI" name="a-EQ"/>\n'
        b'  <Plugin type="LV2" id="urn:ardour:a-comp" tags="dyn:compressor inline-ui" name="a-Compressor"/>\n'
        b"</PluginTags>\n"
    )
    folder = tmp_path / "ardour7" / "plugin_metadata"
    folder.mkdir(parents=True)
    (folder / "plugin_tags").write_bytes(
        b"<PluginTags>\n"
        b'  <Plugin type="LV2" id="urn:ardour:a-eq" tags="eq:filter" name="a-EQ" user-set="1" pluginary="1"/>\n'
        b'  <Plugin type="LV2" id="urn:mine" tags="my-own" name="Mine" user-set="1"/>\n'
        b"</PluginTags>\n"
    )

    def lv2(uri: str, category: str, *tags: str, user: bool = False) -> Plugin:
        source = CategorySource.USER if user else CategorySource.NATIVE
        return Plugin(id=f"lv2:{uri}", format="lv2", name=uri, path="/x.lv2", categories=(Category(category, source),),
                      tags=tags)  # fmt: skip

    plugins = [
        lv2("urn:ardour:a-eq", "Effect/EQ"),  # untagged, factory tags: none of ours
        lv2("urn:ardour:a-comp", "Effect/Dynamics", "Glue"),  # tagged: factory tags + the user's
        lv2("urn:zam:ZamEQ2", "Effect/EQ"),  # untagged, no factory tags: ours, not user-set
        lv2("urn:zam:ZamTube", "Effect/Reverb", user=True),  # a category the user set: user-set
        lv2("urn:mine", "Effect/Delay"),  # untagged, but the user tagged it in Ardour: theirs stays
    ]
    read = render(folder, plugins, factory_tags=str(factory))["plugin_tags"]
    entries = {e.get("id"): dict(e.attrib) for e in ET.fromstring(read)}
    assert entries == {
        "urn:ardour:a-comp": {"type": "LV2", "id": "urn:ardour:a-comp", "tags": "dyn:compressor inline-ui glue",
                              "name": "urn:ardour:a-comp", "user-set": "1", "pluginary": "1"},
        "urn:zam:ZamEQ2": {"type": "LV2", "id": "urn:zam:ZamEQ2", "tags": "eq:parametric", "name": "urn:zam:ZamEQ2",
                           "pluginary": "1"},
        "urn:zam:ZamTube": {"type": "LV2", "id": "urn:zam:ZamTube", "tags": "reverb", "name": "urn:zam:ZamTube",
                            "user-set": "1", "pluginary": "1"},
        "urn:mine": {"type": "LV2", "id": "urn:mine", "tags": "my-own", "name": "Mine", "user-set": "1"},
    }  # fmt: skip
    # Found by itself beside an Ardour 7 config folder: Debian's factory file.
    if FACTORY.exists():
        found = ET.fromstring(render(folder, plugins[:1])["plugin_tags"])
        assert "urn:ardour:a-eq" not in {e.get("id") for e in found}


def test_without_ardours_factory_tags_untagged_plugins_get_no_entry_and_the_user_is_told_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Any entry could replace tags Ardour's factory file has: without that file only labelled plugins get
    one, and a warning counts the others (not one Ardour cannot know) and names the option that helps."""
    untagged = Plugin(id="lv2:urn:zam:ZamEQ2", format="lv2", name="ZamEQ2", path="/x.lv2",
                      categories=(Category("Effect/EQ"),))  # fmt: skip
    unknown = Plugin(id="clap:org.x.y", format="clap", name="CLAP", path="/x.clap", categories=(Category("Effect/EQ"),))
    folder = tmp_path / "plugin_metadata"  # in no ardourN folder: no factory file found by itself
    with caplog.at_level(logging.WARNING):
        read = ardour_tags(render(folder, [LV2, untagged, unknown])["plugin_tags"])
    assert list(read) == [("LV2", "urn:zamaudio:ZamComp")]
    assert [r.getMessage() for r in caplog.records] == [
        "ardour: Ardour's factory plugin_tags not found: 1 plugin you did not tag left out (an entry could "
        "replace Ardour's own tags for it); give its path as the option factory_tags"
    ]
    caplog.clear()
    second = Plugin(id="lv2:urn:zam:ZamDelay", format="lv2", name="ZamDelay", path="/y.lv2")
    with caplog.at_level(logging.WARNING):
        render(folder, [LV2, untagged, second])
    assert [r.getMessage() for r in caplog.records] == [
        "ardour: Ardour's factory plugin_tags not found: 2 plugins you did not tag left out (an entry could "
        "replace Ardour's own tags for it); give its path as the option factory_tags"
    ]
    factory = tmp_path / "factory_tags"
    factory.write_bytes(b'<PluginTags><Plugin type="LV2" id="urn:ardour:a-eq" tags="eq" name="a-EQ"/></PluginTags>')
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        read = ardour_tags(render(folder, [LV2, untagged, unknown], factory_tags=str(factory))["plugin_tags"])
    assert read[("LV2", "urn:zam:ZamEQ2")]["tags"] == "eq:parametric"  # no factory tags for it: ours
    assert not caplog.records


@pytest.mark.slow
def test_a_processing_instruction_in_the_users_plugin_tags_is_kept(tmp_path: Path) -> None:
    tmp_path.joinpath("plugin_tags").write_bytes(
        b'<PluginTags version="1">\n  <?editor keep-me?>\n  <Plugin type="LV2" id="urn:mine" tags="x" name="M"/>\n'
        b"</PluginTags>\n"
    )
    content = render(tmp_path, [LV2])["plugin_tags"]
    assert b"<?editor keep-me?>" in content
    assert set(ardour_tags(content)) == {("LV2", "urn:mine"), ("LV2", "urn:zamaudio:ZamComp")}


def test_a_missing_factory_tags_file_is_one_line_exit_2(tmp_path: Path) -> None:
    from tests.support import need

    need(Path("/usr/lib/lv2/a-eq.lv2").exists(), "needs Ardour's own LV2 plugins (apt-get install ardour-lv2-plugins)")
    catalog = tmp_path / "catalog.sqlite"
    scan = [sys.executable, "-m", "pluginary", "scan", "/usr/lib/lv2/a-eq.lv2", "--catalog", str(catalog)]
    assert subprocess.run(scan, capture_output=True, timeout=120).returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "pluginary", "export", "ardour", str(tmp_path / "out"), "-o",
         f"factory_tags={tmp_path / 'nope'}", "--catalog", str(catalog)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "factory tags file" in result.stderr and "nope" in result.stderr
    assert not (tmp_path / "out").exists()


# --- a real Ardour 7 applies what we write ------------------------------------------------------------

ARDOUR_LIBS = Path("/usr/lib/ardour7")

#: libardour leaves a few symbols to the program that loads it (Linux VST GUI support); a headless probe
#: has no GUI, so these do nothing.
STUBS_C = """
int stub_vstfx_init(void *p) __asm__("_Z10vstfx_initPv");
int stub_vstfx_init(void *p) { (void)p; return 0; }
void stub_vstfx_exit(void) __asm__("_Z10vstfx_exitv");
void stub_vstfx_exit(void) {}
void stub_vstfx_destroy_editor(void *p) __asm__("_Z20vstfx_destroy_editorP9_VSTState");
void stub_vstfx_destroy_editor(void *p) { (void)p; }
"""

#: Run in its own process: libardour's own `ARDOUR::init`, `PluginManager::instance()` (which loads
#: plugin_statuses and plugin_tags from $XDG_CONFIG_HOME/ardour7/plugin_metadata), `refresh()` (LV2 through
#: lilv, VST3 through ardour-vst3-scanner), then, for every LV2 and VST3 plugin it found, the tags it would
#: show (`get_tags_as_string`) and its status (`get_status`: 0 Normal, 1 Favorite, 2 Hidden), as JSON.
#: Walks `std::list<boost::shared_ptr<PluginInfo>>` as libstdc++ lays it out (next, prev, then the value).
PROBE = """
import ctypes, json, os, sys
ctypes.CDLL(sys.argv[1], mode=os.RTLD_GLOBAL)
ardour = ctypes.CDLL(sys.argv[2], mode=os.RTLD_GLOBAL)
def fn(name, restype, *argtypes):
    f = getattr(ardour, name); f.restype = restype; f.argtypes = list(argtypes); return f
P = ctypes.c_void_p
assert fn("_ZN6ARDOUR4initEbPKcb", ctypes.c_bool, ctypes.c_bool, ctypes.c_char_p, ctypes.c_bool)(False, b"", False)
manager = fn("_ZN6ARDOUR13PluginManager8instanceEv", P)()
fn("_ZN6ARDOUR13PluginManager7refreshEb", ctypes.c_int, P, ctypes.c_bool)(manager, False)
tags = fn("_ZNK6ARDOUR13PluginManager18get_tags_as_stringB5cxx11ERKN5boost10shared_ptrINS_10PluginInfoEEE",
          None, P, P, P)
status = fn("_ZNK6ARDOUR13PluginManager10get_statusERKN5boost10shared_ptrINS_10PluginInfoEEE", ctypes.c_int, P, P)
found = {}
for kind in ("lv2", "vst3"):
    head = fn(f"_ZN6ARDOUR13PluginManager{len(kind) + 12}{kind}_plugin_infoB5cxx11Ev", P, P)(manager)
    node, found[kind] = P.from_address(head).value, []
    while node != head:
        text = ctypes.create_string_buffer(32)  # the std::string returned by value
        tags(ctypes.addressof(text), manager, node + 16)
        pointer, size = P.from_buffer(text, 0).value, ctypes.c_size_t.from_buffer(text, 8).value
        found[kind].append([ctypes.string_at(pointer, size).decode(), status(manager, node + 16)])
        node = P.from_address(node).value
print(json.dumps(found), flush=True)
os._exit(0)
"""


@pytest.mark.slow
def test_a_real_ardour_applies_our_lv2_and_vst3_tags_and_statuses(debian_vst3_dir: Path, tmp_path: Path) -> None:
    """Debian's Ardour 7 (libardour, headless) loads the files `pluginary export ardour` wrote from a real
    scan of zam's ZamComp (VST3 and LV2) and ZamEQ2, and of Ardour's own a-EQ and a-Compressor: each tagged
    plugin shows Ardour's words for our categories and the user's tags, and has our status; the untagged a-EQ
    keeps its factory tags (`eq:parametric inline-ui`), the tagged a-Compressor has them plus ours, and the
    untagged ZamEQ2, which Ardour has no factory tags for, shows ours. A wrong VST3 id (its case, or the path
    form), a tag split at a comma or an entry replacing factory tags shows up here."""
    import shutil

    from tests.support import need

    need((ARDOUR_LIBS / "libardour.so.3").exists(), "needs Debian's Ardour 7 (apt-get install ardour)")
    need(shutil.which("gcc"), "needs gcc for the probe's few stub symbols (apt-get install gcc)")
    vst3, lv2 = debian_vst3_dir / "ZamComp.vst3", Path("/usr/lib/lv2/ZamComp.lv2")
    need(vst3.exists() and lv2.exists(), "needs Debian's zam-plugins (apt-get install zam-plugins)")
    ace = [Path("/usr/lib/lv2/a-eq.lv2"), Path("/usr/lib/lv2/a-comp.lv2")]
    need(all(p.exists() for p in ace), "needs Ardour's own LV2 plugins (apt-get install ardour-lv2-plugins)")

    catalog = tmp_path / "catalog.sqlite"
    cli = [sys.executable, "-m", "pluginary"]
    scanned = subprocess.run(
        [*cli, "scan", str(vst3), str(lv2), "/usr/lib/lv2/ZamEQ2.lv2", *map(str, ace), "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert scanned.returncode == 0, scanned.stderr
    listed = json.loads(
        subprocess.run(
            [*cli, "list", "-o", "json", "--catalog", str(catalog)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    ids = {(plugin["format"], plugin["name"]): plugin["id"] for plugin in listed}
    zam_vst3, zam_lv2 = ids[("vst3", "ZamComp")], ids[("lv2", "ZamComp")]
    assert zam_vst3.startswith("vst3:") and len(zam_vst3) == 5 + 32
    assert {("lv2", "ZamEQ2"), ("lv2", "ACE EQ"), ("lv2", "ACE Compressor")} <= set(ids), ids
    for plugin_id, tags in (
        (zam_vst3, ["Bus, Glue", "favorite"]),
        (zam_lv2, ["Pluginary Check", "hidden"]),
        (ids[("lv2", "ACE Compressor")], ["Pluginary Glue"]),
    ):
        tagged = subprocess.run(
            [*cli, "tag", plugin_id, *tags, "--catalog", str(catalog)], capture_output=True, text=True, timeout=60
        )
        assert tagged.returncode == 0, tagged.stderr
    metadata = tmp_path / "config" / "ardour7" / "plugin_metadata"
    exported = subprocess.run(
        [*cli, "export", "ardour", str(metadata), "-o", "statuses=true", "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr

    stubs = tmp_path / "libstubs.so"
    (tmp_path / "stubs.c").write_text(STUBS_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(stubs), str(tmp_path / "stubs.c")], check=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "LD_LIBRARY_PATH": str(ARDOUR_LIBS),
        "ARDOUR_DATA_PATH": "/usr/share/ardour7",
        "ARDOUR_CONFIG_PATH": "/etc/ardour7",
        "ARDOUR_DLL_PATH": str(ARDOUR_LIBS),
        "VST3_PATH": str(vst3.parent),
    }
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(stubs), str(ARDOUR_LIBS / "libardour.so.3")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    assert len(found["lv2"]) > 1 and len(found["vst3"]) >= 1  # Ardour did find the plugins installed

    # Ardour sorts a plugin's tags; Favorite is 1, Hidden 2.
    assert [entry for entry in found["vst3"] if "bus-glue" in entry[0]] == [["bus-glue dyn:compressor favorite", 1]]
    assert [entry for entry in found["lv2"] if "pluginary-check" in entry[0]] == [
        ["dyn:compressor hidden pluginary-check", 2]
    ]
    assert ["dyn:compressor inline-ui pluginary-glue", 0] in found["lv2"]  # a-Compressor: factory tags + ours
    assert ["eq:parametric inline-ui", 0] in found["lv2"]  # a-EQ, untagged: Ardour's factory tags, untouched
    assert ["eq:parametric", 0] in found["lv2"]  # ZamEQ2, untagged, no factory tags: our category
    written = ET.fromstring((metadata / "plugin_tags").read_bytes())
    ours = [e for e in written if e.get("id", "").startswith(("urn:ardour", "urn:zam"))]
    assert {e.get("id"): e.get("user-set") for e in ours} == {
        "urn:ardour:a-comp": "1", "urn:zamaudio:ZamComp": "1", "urn:zamaudio:ZamEQ2": None,
    }  # fmt: skip
