// Pluginary's page: plain JavaScript over the JSON API, nothing to build.
//
// Every text a plugin carries (name, vendor, tags, parameter names, failure messages) is
// hostile: it only ever reaches the page as a Text node (el() below, textContent), inside
// <bdi> so a right-to-left override cannot reorder what is around it, with control
// characters shown as U+FFFD. innerHTML is never used.
"use strict";

const API = "/api/v1";
const PAGE = 50;
const $ = (id) => document.getElementById(id);

const state = {
  filters: {},            // Query fields: format, vendor, category, tag, instrument, effect, params, has_param
  sort: "name",
  reverse: false,
  offset: 0,
  total: 0,
  text: "",
  session: { read_only: false, token_required: false },
  exporters: [],
  scan: null,             // the scan being watched: { id, source }
};

// -- safe text -------------------------------------------------------------------

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

function clean(value) {
  return String(value ?? "").replace(CONTROL, "\ufffd");
}

// An element with attributes and children; strings become Text nodes, never markup.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Plugin-provided text: isolated for bidi, control characters made visible.
const text = (value) => el("bdi", {}, clean(value));

// 12,345: the page's English grouping, without Intl (whose first use, loading ICU's locale data,
// cost a fresh tab 35-100 ms before the first rows could show).
const thousands = (number) => String(number).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

// -- the API ---------------------------------------------------------------------

function token() {
  return sessionStorage.getItem("pluginary-token") || "";
}

class ApiError extends Error {
  constructor(error, status) {
    super(error.message || error.what || `HTTP ${status}`);
    this.error = error;
    this.status = status;
  }
}

// The answers to the page's first reads, sent inside it by the server (index.html's #first-data, keyed
// by the path asked for): each used once, while the page starts, instead of a round trip.
let firstData = JSON.parse(document.getElementById("first-data")?.textContent || "{}");

async function api(path, { method = "GET", body, signal } = {}) {
  if (method === "GET" && firstData && Object.hasOwn(firstData, path)) {
    const data = firstData[path];
    delete firstData[path];
    return data;
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (token()) headers.Authorization = `Bearer ${token()}`;
  }
  const response = await fetch(API + path, {
    method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.error || {}, response.status);
  return data;
}

function showMessage(textOrError, ok = false) {
  const box = $("message");
  box.replaceChildren();
  box.classList.toggle("ok", ok);
  if (textOrError instanceof ApiError) {
    const { what, where, fix } = textOrError.error;
    box.append(el("strong", {}, "Error: "), text(where ? `${where}: ${what}` : what || textOrError.message));
    if (fix) box.append(" — ", text(fix));
  } else {
    box.append(text(textOrError instanceof Error ? textOrError.message : textOrError));
  }
  box.append(el("button", { type: "button", class: "link", onclick: () => { box.hidden = true; } }, "Dismiss"));
  box.hidden = false;
}

function report(error) {
  if (error && error.name === "AbortError") return;
  showMessage(error);
}

// -- the list ----------------------------------------------------------------------

const COLUMNS = [
  { key: "name", label: "Name", sort: "name" },
  { key: "vendor", label: "Vendor", sort: "vendor", narrow: false },
  { key: "format", label: "Format", sort: "format" },
  { key: "category", label: "Category", sort: "category", narrow: false },
  { key: "params", label: "Params", sort: "params", narrow: false, num: true },
  { key: "tags", label: "Tags", narrow: false },
];
// Listing every machine of a fleet catalogue, each row names its machine.
const HOST_COLUMN = { key: "host", label: "Machine" };
const columns = () => (state.filters.all_hosts ? [...COLUMNS, HOST_COLUMN] : COLUMNS);

function renderHead() {
  const row = $("table-head");
  row.replaceChildren();
  for (const column of columns()) {
    const sorted = !state.text && state.sort === column.sort;
    const th = el("th", {
      scope: "col",
      class: [column.narrow === false ? "hide-narrow" : "", column.num ? "num" : ""].join(" ").trim() || undefined,
      "aria-sort": sorted ? (state.reverse ? "descending" : "ascending") : undefined,
    });
    if (column.sort && !state.text) {
      th.append(el("button", {
        type: "button",
        title: `Sort by ${column.label.toLowerCase()}`,
        onclick: () => {
          state.reverse = state.sort === column.sort ? !state.reverse : false;
          state.sort = column.sort;
          state.offset = 0;
          refreshList();
        },
      }, column.label, sorted ? (state.reverse ? " ▼" : " ▲") : ""));
    } else {
      th.append(column.label);
    }
    row.append(th);
  }
}

function pluginRow(plugin) {
  const open = () => { location.hash = `#/plugin/${encodeURIComponent(plugin.id)}`; };
  return el("tr", {
    tabindex: "0",
    "data-id": plugin.id,
    onclick: open,
    onkeydown: (event) => {
      if (event.key === "Enter") open();
      else if (event.key === "ArrowDown" || event.key === "j") moveFocus(event, 1);
      else if (event.key === "ArrowUp" || event.key === "k") moveFocus(event, -1);
    },
  },
  el("td", { class: "name" }, text(plugin.name), el("span", { class: "sub" }, text(plugin.vendor))),
  el("td", { class: "hide-narrow" }, text(plugin.vendor)),
  el("td", {}, el("span", { class: "badge" }, text(plugin.format))),
  el("td", { class: "hide-narrow" }, text(plugin.categories.join(", "))),
  el("td", { class: "num hide-narrow" }, plugin.parameters),
  el("td", { class: "hide-narrow" }, plugin.tags.map((tag) => el("span", { class: "chip" }, text(tag)))),
  state.filters.all_hosts ? el("td", { class: "host" }, text(plugin.host)) : null);
}

function moveFocus(event, step) {
  event.preventDefault();
  const next = step > 0 ? event.currentTarget.nextElementSibling : event.currentTarget.previousElementSibling;
  if (next) next.focus();
  else if (step > 0 && !$("next-page").disabled) changePage(PAGE, true);
  else if (step < 0 && !$("prev-page").disabled) changePage(-PAGE, true);
}

let listRequest = null;

function queryString(extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...apiFilters(), ...extra })) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  return params.toString();
}

async function refreshList(focusRow = null) {
  if (listRequest) listRequest.abort();
  listRequest = new AbortController();
  renderHead();
  try {
    let plugins;
    if (state.text) {
      // Within the selected facets, as the list is.
      const data = await api(`/search?${queryString({ q: state.text, limit: 200 })}`, { signal: listRequest.signal });
      plugins = data.plugins;
      state.total = plugins.length;
      const hint = $("suggestion");
      hint.replaceChildren();
      hint.hidden = !(data.searched !== data.query && data.suggestions.length);
      if (!hint.hidden) hint.append("No match for ", text(data.query), "; showing ", text(data.searched),
        " (did you mean ", text(data.suggestions.join(", ")), "?)");
      $("list-summary").textContent = `${plugins.length} match${plugins.length === 1 ? "" : "es"}, best first`;
      renderPresetMatches(data.presets);
    } else {
      renderPresetMatches([]);
      const params = queryString({ sort: state.sort, reverse: state.reverse || undefined, limit: PAGE, offset: state.offset });
      const data = await api(`/plugins?${params}`, { signal: listRequest.signal });
      plugins = data.plugins;
      state.total = data.total;
      $("suggestion").hidden = true;
      const first = data.total ? state.offset + 1 : 0;
      $("list-summary").textContent =
        `${thousands(first)}–${thousands(state.offset + plugins.length)} of ${thousands(data.total)}`;
    }
    $("rows").replaceChildren(...plugins.map(pluginRow));
    if (!plugins.length) {
      $("rows").append(el("tr", {}, el("td", { colspan: columns().length, class: "muted" }, "No plugins here.")));
    }
    renderPager();
    updateExportLink();
    if (focusRow === "first") $("rows").firstElementChild?.focus();
    if (focusRow === "last") $("rows").lastElementChild?.focus();
  } catch (error) {
    report(error);
  }
}

// Presets whose name, bank, author or tags match the search, each linking to its plugin.
function renderPresetMatches(presets) {
  const box = $("preset-matches");
  box.hidden = !presets.length;
  box.replaceChildren();
  if (!presets.length) return;
  box.append(el("h2", {}, `Presets (${presets.length})`), el("ul", { class: "presets" }, presets.map((preset) =>
    el("li", {},
      el("a", { href: `#/plugin/${encodeURIComponent(preset.plugin_id)}` }, text(preset.name)), " ",
      el("span", { class: "muted" }, text([preset.bank, preset.plugin_id].filter(Boolean).join(" · ")))))));
}

function renderPager() {
  const searching = Boolean(state.text);
  const pages = Math.max(1, Math.ceil(state.total / PAGE));
  const page = Math.floor(state.offset / PAGE) + 1;
  $("page-info").textContent = searching ? "" : `page ${thousands(page)} of ${thousands(pages)}`;
  $("prev-page").disabled = $("first-page").disabled = searching || state.offset === 0;
  $("next-page").disabled = $("last-page").disabled = searching || state.offset + PAGE >= state.total;
}

function changePage(delta, keepFocus = false) {
  const last = Math.max(0, Math.ceil(state.total / PAGE) - 1) * PAGE;
  state.offset = Math.min(last, Math.max(0, state.offset + delta));
  refreshList(keepFocus ? (delta > 0 ? "first" : "last") : null);
}

// -- facets ----------------------------------------------------------------------

function facetGroup(title, key, counts, valueOf = (name) => name, indent = () => false) {
  const items = Object.entries(counts);
  if (!items.length) return null;
  return el("section", { class: "facet" },
    el("h2", {}, title),
    el("ul", {}, items.map(([name, count]) => {
      const value = valueOf(name);
      const pressed = state.filters[key] !== undefined && String(state.filters[key]) === String(value);
      return el("li", { class: indent(name) ? "sub" : undefined },
        el("button", {
          type: "button",
          "aria-pressed": String(pressed),
          onclick: () => setFilter(key, pressed ? undefined : value),
        }, text(indent(name) ? name.split("/").slice(1).join("/") : name), el("span", { class: "n" }, count)));
    })));
}

// Names in a reader's order: case aside, then lower case first, as localeCompare orders plain English
// names, without its first call loading ICU's collation data (30-100 ms before a fresh tab's facets).
function byName(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  return a === b ? 0 : a < b ? 1 : -1;
}

async function refreshFacets() {
  try {
    const stats = await api("/stats");
    const kinds = {};
    if (stats.instruments) kinds.Instruments = stats.instruments;
    if (stats.effects) kinds.Effects = stats.effects;
    // Categories in tree order, each parent before its children; a parent that holds no plugin of its
    // own is still there to click (the filter takes everything under it), without a count.
    const categories = {};
    for (const name of Object.keys(stats.categories)) {
      const parts = name.split("/");
      for (let depth = 1; depth < parts.length; depth++) categories[parts.slice(0, depth).join("/")] ??= "";
      categories[name] = stats.categories[name];
    }
    const tree = Object.fromEntries(Object.entries(categories).sort(([a], [b]) => byName(a, b)));
    const machines = {};
    if (state.session.fleet) {
      const { hosts } = await api("/hosts");
      machines["All machines"] = hosts.reduce((sum, host) => sum + host.plugins, 0);
      for (const host of hosts) machines[host.host] = host.plugins;
    }
    const groups = [
      facetGroup("Machine", "machine", machines),
      facetGroup("Format", "format", stats.formats),
      facetGroup("Kind", "kind", kinds),
      facetGroup("Category", "category", tree, (name) => name, (name) => name.includes("/")),
      facetGroup("Vendor", "vendor", stats.vendors),
    ];
    $("facet-groups").replaceChildren(...groups.filter(Boolean));
    $("failures-count").textContent = stats.failures ? String(stats.failures) : "";
    const orphaned = stats.orphaned_presets ? `, ${thousands(stats.orphaned_presets)} of plugins not installed` : "";
    $("preset-count").textContent = stats.presets ? `${thousands(stats.presets)} presets${orphaned}` : "";
  } catch (error) {
    report(error);
  }
}

function setFilter(key, value) {
  if (key === "machine") {
    // The page's own facet: the API takes host (one machine) or all_hosts (every machine).
    delete state.filters.host;
    delete state.filters.all_hosts;
    if (value === "All machines") state.filters.all_hosts = true;
    else if (value !== undefined) state.filters.host = value;
    state.filters.machine = value;
  } else if (key === "kind") {
    delete state.filters.instrument;
    delete state.filters.effect;
    if (value === "Instruments") state.filters.instrument = true;
    if (value === "Effects") state.filters.effect = true;
    state.filters.kind = value;
  } else if (value === undefined) {
    delete state.filters[key];
  } else {
    state.filters[key] = value;
  }
  if (state.filters.kind === undefined) delete state.filters.kind;
  if (state.filters.machine === undefined) delete state.filters.machine;
  state.offset = 0;
  state.text = "";
  $("search").value = "";
  if (!location.hash.startsWith("#/") || location.hash !== "#/") location.hash = "#/";
  refreshFacets();
  refreshList();
}

// The kind and machine facets are the page's own: the API takes instrument/effect and host/all_hosts.
const apiFilters = () => Object.fromEntries(Object.entries(state.filters)
  .filter(([key]) => key !== "kind" && key !== "machine"));

// -- exports ---------------------------------------------------------------------

async function loadExporters() {
  try {
    const data = await api("/exporters");
    state.exporters = data.exporters;
    $("export-format").replaceChildren(...data.exporters.map((name) => el("option", { value: name }, name)));
    updateExportLink();
  } catch (error) {
    report(error);
  }
}

function updateExportLink() {
  const name = $("export-format").value;
  if (!name) return;
  const params = queryString(state.text ? {} : { sort: state.sort, reverse: state.reverse || undefined });
  $("export-link").href = `${API}/exports/${encodeURIComponent(name)}?${params}`;
}

// -- one plugin ------------------------------------------------------------------

function value(text_, number) {
  if (text_) return text_;
  if (number === null || number === undefined) return "";
  return Number.isInteger(number) ? String(number) : Number(number).toPrecision(4).replace(/\.?0+$/, "");
}

function parameterTable(parameters, caption) {
  return el("div", { class: "tablewrap" }, el("table", {},
    el("caption", { class: "sr-only" }, caption),
    el("thead", {}, el("tr", {}, ["#", "Name", "Kind", "Units", "Default", "Min", "Max", "Steps", "Choices"]
      .map((label, i) => el("th", { scope: "col", class: i >= 7 || i === 3 ? "hide-narrow" : undefined }, label)))),
    el("tbody", {}, parameters.map((p) => el("tr", {},
      el("td", { class: "num" }, p.index),
      el("td", { class: "name" }, text(p.name), p.automatable ? "" : el("span", { class: "muted" }, " (not automatable)")),
      el("td", {}, text(p.kind)),
      el("td", { class: "hide-narrow" }, text(p.units)),
      el("td", {}, text(value(p.default_text, p.default))),
      el("td", {}, text(value(p.minimum_text, p.minimum))),
      el("td", {}, text(value(p.maximum_text, p.maximum))),
      el("td", { class: "num hide-narrow" }, p.num_steps ?? ""),
      el("td", { class: "hide-narrow" }, p.choices.map((choice) => el("span", { class: "chip" }, text(choice)))))))));
}

function ioText(io) {
  const parts = [];
  if (io.audio_inputs !== null) parts.push(`${io.audio_inputs} in`);
  if (io.audio_outputs !== null) parts.push(`${io.audio_outputs} out`);
  if (io.aux_inputs) parts.push(`${io.aux_inputs} side-chain in`);
  if (io.midi_inputs) parts.push(`MIDI in ${io.midi_inputs}`);
  if (io.midi_outputs) parts.push(`MIDI out ${io.midi_outputs}`);
  return parts.join(", ");
}

// The plugin page shows this many of its presets, and says how many there are.
const PRESETS_SHOWN = 200;

function presetSection(listing) {
  const { presets, total } = listing;
  const shown = total > presets.length ? ` (the first ${presets.length} of ${thousands(total)})` : "";
  const head = el("thead", {}, el("tr", {}, ["Name", "Bank", "Source", "Author", "Tags"]
    .map((label, i) => el("th", { scope: "col", class: i >= 3 ? "hide-narrow" : undefined }, label))));
  const rows = presets.map((p) => el("tr", {},
    el("td", { class: "name" }, text(p.name)),
    el("td", {}, text(p.bank)),
    el("td", {}, text(p.source)),
    el("td", { class: "hide-narrow" }, text(p.author)),
    el("td", { class: "hide-narrow" }, p.tags.map((tag) => el("span", { class: "chip" }, text(tag))))));
  const table = el("div", { class: "tablewrap" },
    el("table", {}, el("caption", { class: "sr-only" }, "Presets"), head, el("tbody", {}, rows)));
  return el("section", { class: "card", id: "presets" },
    el("h2", {}, `Presets (${thousands(total)})${shown}`),
    presets.length ? table : el("p", { class: "muted" }, "None found."));
}

async function showPlugin(id) {
  const view = $("plugin-view");
  try {
    const [{ plugin, other_formats: others }, presets] = await Promise.all([
      api(`/plugins/${encodeURIComponent(id)}`),
      api(`/plugins/${encodeURIComponent(id)}/presets?limit=${PRESETS_SHOWN}`),
    ]);
    const facts = [
      ["Vendor", plugin.vendor], ["Format", plugin.format], ["Version", plugin.version],
      ["Kind", [plugin.is_instrument && "instrument", plugin.is_effect && "effect"].filter(Boolean).join(", ")],
      ["Categories", plugin.categories.map((c) => c.name).join(", ")],
      ["Native categories", plugin.native_categories.join(", ")],
      ["Audio/MIDI", ioText(plugin.io)], ["Latency", plugin.latency === null ? "" : `${plugin.latency} samples`],
      ["SDK", plugin.sdk], ["Id", plugin.id], ["Path", plugin.path], ["Read by", plugin.reader],
      ["Scanned", plugin.scanned_at], ["Description", plugin.description],
    ].filter(([, v]) => v !== "" && v !== null && v !== undefined);

    const tagList = el("div", { id: "tag-list" });
    const renderTags = (tags) => {
      tagList.replaceChildren(...tags.map((tag) => el("span", { class: "chip" }, text(tag),
        state.session.read_only ? null : el("button", {
          type: "button", "aria-label": `Remove tag ${clean(tag)}`, title: "Remove",
          onclick: () => editTags(plugin.id, { remove: [tag] }, renderTags),
        }, "×"))));
      if (!tags.length) tagList.append(el("span", { class: "muted" }, "No tags yet."));
    };
    renderTags(plugin.tags);
    const input = el("input", { id: "tag-input", type: "text", placeholder: "a tag, e.g. favourite", "aria-label": "New tag" });
    const tagForm = state.session.read_only ? el("p", { class: "muted" }, "Read-only server: tags cannot be changed.")
      : el("form", {
        class: "tagform",
        onsubmit: (event) => {
          event.preventDefault();
          if (!input.value.trim()) return;
          editTags(plugin.id, { add: [input.value] }, (tags) => { renderTags(tags); input.value = ""; input.focus(); });
        },
      }, input, el("button", { type: "submit", class: "primary" }, "Add tag"));

    view.replaceChildren(...[
      el("button", { type: "button", class: "back", onclick: () => history.length > 1 ? history.back() : (location.hash = "#/") },
        "‹ Back to the list"),
      el("article", { class: "card" },
        el("h1", { id: "plugin-name", tabindex: "-1" }, text(plugin.name)),
        el("div", { class: "muted" }, text(plugin.vendor), " · ", el("span", { class: "badge" }, text(plugin.format))),
        el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, text(v))]))),
      el("section", { class: "card", "aria-labelledby": "tags-title" },
        el("h2", { id: "tags-title" }, "Tags"), tagList, tagForm),
      others.length ? el("section", { class: "card" }, el("h2", {}, "Other formats"),
        el("ul", {}, others.map((o) => el("li", {},
          el("a", { href: `#/plugin/${encodeURIComponent(o.id)}` }, el("span", { class: "badge" }, text(o.format)), " ",
            text(o.name), " ", el("span", { class: "muted" }, text(o.vendor))))))) : null,
      el("section", { class: "card" }, el("h2", {}, `Parameters (${plugin.parameters.length})`),
        plugin.parameters.length ? parameterTable(plugin.parameters, "Parameters") : el("p", { class: "muted" }, "None reported.")),
      plugin.outputs.length ? el("section", { class: "card" }, el("h2", {}, `Outputs (${plugin.outputs.length})`),
        parameterTable(plugin.outputs, "Outputs")) : null,
      presetSection(presets),
    ].filter(Boolean));
    document.title = `${clean(plugin.name)} — Pluginary`;
    $("plugin-name").focus();
  } catch (error) {
    view.replaceChildren(el("button", { type: "button", class: "back", onclick: () => { location.hash = "#/"; } },
      "‹ Back to the list"));
    report(error);
  }
}

async function editTags(id, change, done) {
  try {
    const data = await api(`/plugins/${encodeURIComponent(id)}/tags`, { method: "POST", body: change });
    done(data.tags);
    refreshFacets();
  } catch (error) {
    report(error);
  }
}

// -- failures --------------------------------------------------------------------

async function showFailures() {
  const view = $("failures-view");
  try {
    const { failures } = await api("/failures");
    const why = (f) => [f.kind, f.signal ? `signal ${f.signal}` : "", f.exit_code !== null ? `exit ${f.exit_code}` : ""]
      .filter(Boolean).join(", ");
    view.replaceChildren(
      el("div", { class: "listhead" }, el("h1", { tabindex: "-1", id: "failures-title" }, "Failures"),
        el("p", {}, `${failures.length} quarantined file${failures.length === 1 ? "" : "s"}: skipped until they change or are retried`),
        failures.length && !state.session.read_only
          ? el("button", { type: "button", onclick: () => startScan({ retry_failed: true }) }, "Retry all") : null),
      failures.length ? el("div", { class: "tablewrap" }, el("table", { id: "failures-table" },
        el("thead", {}, el("tr", {}, ["File", "Format", "Why", "Message", "Tries", "Last seen", ""]
          .map((label, i) => el("th", { scope: "col", class: [1, 4, 5].includes(i) ? "hide-narrow" : undefined }, label)))),
        el("tbody", {}, failures.map((f) => el("tr", {},
          el("td", { class: "name message-cell" }, text(f.path)),
          el("td", { class: "hide-narrow" }, text(f.format)),
          el("td", {}, text(why(f))),
          el("td", { class: "message-cell" }, text(f.message)),
          el("td", { class: "num hide-narrow" }, f.attempts),
          el("td", { class: "hide-narrow" }, text(f.last_seen)),
          el("td", {}, state.session.read_only ? "" : el("button", {
            type: "button", "aria-label": `Retry ${clean(f.path)}`,
            onclick: () => startScan({ paths: [f.path] }),
          }, "Retry"))))))) : el("p", { class: "muted" }, "No quarantined plugins."),
    );
    $("failures-title").focus();
  } catch (error) {
    report(error);
  }
}

// -- scans -----------------------------------------------------------------------

async function startScan(body = {}) {
  try {
    const scan = await api("/scans", { method: "POST", body });
    watchScan(scan);
  } catch (error) {
    report(error);
  }
}

function watchScan(scan) {
  if (state.scan) state.scan.source.close();
  $("scanbar").hidden = false;
  $("scan-cancel").hidden = false;
  $("scan-close").hidden = true;
  $("scan-button").disabled = true;
  $("scan-progress").removeAttribute("value"); // indeterminate until the total is known
  $("scan-text").textContent = "starting…";
  const source = new EventSource(`${API}/scans/${encodeURIComponent(scan.id)}/events`);
  state.scan = { id: scan.id, source };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const bar = $("scan-progress");
    if (event.total) {
      bar.max = event.total;
      bar.value = event.done;
    }
    const counts = event.total !== null && event.total !== undefined ? `${event.done}/${event.total}` : "";
    const failed = event.failed ? ` · ${event.failed} failed` : "";
    const line = $("scan-text");
    if (event.type === "stage") {
      line.replaceChildren(`${event.stage}… ${counts}${failed}`);
    } else if (event.type === "scanned" || event.type === "failed") {
      line.replaceChildren(`scanning ${counts}${failed} · `, text(event.type === "failed" ? `failed: ${event.path}` : event.name));
    } else if (event.type === "end") {
      source.close();
      finishScan(event);
    }
  };
  source.onerror = () => {
    // The browser reconnects by itself with Last-Event-ID; a closed stream after the end is expected.
    if (source.readyState === EventSource.CLOSED) $("scan-button").disabled = false;
  };
}

async function finishScan(event) {
  $("scan-cancel").hidden = true;
  $("scan-close").hidden = false;
  $("scan-button").disabled = state.session.read_only;
  const line = $("scan-text");
  const bar = $("scan-progress");
  bar.max = 1;
  bar.value = 1;
  try {
    const scan = await api(`/scans/${encodeURIComponent(event.id || state.scan.id)}`);
    const s = scan.summary;
    if (event.status === "cancelled") line.replaceChildren("Scan cancelled: everything scanned so far is stored.");
    else if (scan.error) line.replaceChildren("Scan failed: ", text(scan.error.message));
    else if (s) {
      line.replaceChildren(`Scan finished: ${s.found} found, ${s.new} new, ${s.changed} changed, ${s.removed} removed, ` +
        `${s.scanned} scanned (${s.plugins} plugins), ${s.failed} failed in ${s.seconds.toFixed(1)} s`);
    } else line.replaceChildren(`Scan ended (${event.status}).`);
  } catch (error) {
    report(error);
  }
  refreshFacets();
  route();
}

// -- routing and start-up --------------------------------------------------------

function show(view) {
  for (const id of ["list-view", "plugin-view", "failures-view"]) $(id).hidden = id !== view;
}

function route() {
  const hash = location.hash || "#/";
  if (hash.startsWith("#/plugin/")) {
    show("plugin-view");
    showPlugin(decodeURIComponent(hash.slice("#/plugin/".length)));
  } else if (hash === "#/failures") {
    document.title = "Failures — Pluginary";
    show("failures-view");
    showFailures();
  } else {
    document.title = "Pluginary";
    show("list-view");
    refreshList();
  }
}

let typing = null;

function wire() {
  $("search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.text = $("search").value.trim();
      state.offset = 0;
      if (location.hash !== "#/" && location.hash !== "") location.hash = "#/";
      else refreshList();
    }, 120);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("rows").firstElementChild?.focus();
  });
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); $("rows").firstElementChild?.focus(); }
    if (event.key === "Escape") { $("search").value = ""; $("search").dispatchEvent(new Event("input")); }
  });
  document.addEventListener("keydown", (event) => {
    const typingHere = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
    if (event.key === "/" && !typingHere) { event.preventDefault(); $("search").focus(); }
    if (event.key === "Escape" && !typingHere && location.hash.startsWith("#/plugin/")) location.hash = "#/";
  });
  $("first-page").addEventListener("click", () => changePage(-Infinity));
  $("prev-page").addEventListener("click", () => changePage(-PAGE));
  $("next-page").addEventListener("click", () => changePage(PAGE));
  $("last-page").addEventListener("click", () => changePage(Infinity));
  $("clear-filters").addEventListener("click", () => { state.filters = {}; setFilter("kind", undefined); });
  $("export-format").addEventListener("change", updateExportLink);
  $("scan-button").addEventListener("click", () => startScan({}));
  $("scan-cancel").addEventListener("click", async () => {
    if (!state.scan) return;
    try {
      await api(`/scans/${encodeURIComponent(state.scan.id)}/cancel`, { method: "POST", body: {} });
      $("scan-text").textContent = "cancelling: storing what finished…";
    } catch (error) {
      report(error);
    }
  });
  $("scan-close").addEventListener("click", () => { $("scanbar").hidden = true; });
  window.addEventListener("hashchange", route);
}

async function start() {
  // `pluginary serve` prints the address with #token=… when writes need one: keep it for this tab only.
  const match = location.hash.match(/^#token=([\w-]+)$/);
  if (match) {
    sessionStorage.setItem("pluginary-token", match[1]);
    history.replaceState(null, "", location.pathname + "#/");
  }
  if (matchMedia("(max-width: 760px)").matches) $("facets-box").open = false;
  wire();
  // The list needs nothing from the session: asked for at once, beside it (a plugin page and the
  // failures show write controls by the session, so they wait for it).
  const listFirst = !/^#\/(plugin\/|failures)/.test(location.hash);
  if (listFirst) route();
  try {
    state.session = await api("/session");
  } catch (error) {
    report(error);
  }
  if (state.session.read_only) $("scan-button").disabled = true;
  if (!listFirst) route();
  refreshFacets();
  loadExporters();
  firstData = null; // whatever start-up did not ask for would be stale later
  try {
    const { scans } = await api("/scans");
    if (scans.length && scans[0].status === "running") watchScan(scans[0]);
  } catch (error) {
    report(error);
  }
}

start();
