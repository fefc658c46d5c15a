/*
 * Pluginary's CLAP test plugin: a real CLAP module in plain C (no SDK).
 *
 * One compiled .so becomes any number of distinct modules: everything about a
 * module (its plugins, their descriptors, parameters, ports and misbehaviour)
 * is read when the library is loaded from "<the .clap file>.conf" beside it.
 * tests/plugins/clap.py writes that file and describes its format. The structs
 * below are written from the published CLAP 1.2 ABI (free-audio/clap headers):
 * same field order and types, so the same layout.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define CONF_SUFFIX ".conf"
#define NAME_SIZE 256
#define PATH_SIZE 1024

/* ---------------------------------------------------------------- the ABI */
typedef struct { uint32_t major, minor, revision; } clap_version;

typedef struct {
    clap_version version;
    const char *id, *name, *vendor, *url, *manual_url, *support_url, *ver, *description;
    const char *const *features;
} clap_descriptor;

typedef struct clap_host clap_host;
struct clap_host {
    clap_version version;
    void *host_data;
    const char *name, *vendor, *url, *ver;
    const void *(*get_extension)(const clap_host *host, const char *id);
    void (*request_restart)(const clap_host *host);
    void (*request_process)(const clap_host *host);
    void (*request_callback)(const clap_host *host);
};

typedef struct clap_plugin clap_plugin;
struct clap_plugin {
    const clap_descriptor *desc;
    void *plugin_data;
    bool (*init)(const clap_plugin *p);
    void (*destroy)(const clap_plugin *p);
    bool (*activate)(const clap_plugin *p, double rate, uint32_t min_frames, uint32_t max_frames);
    void (*deactivate)(const clap_plugin *p);
    bool (*start_processing)(const clap_plugin *p);
    void (*stop_processing)(const clap_plugin *p);
    void (*reset)(const clap_plugin *p);
    int32_t (*process)(const clap_plugin *p, const void *process);
    const void *(*get_extension)(const clap_plugin *p, const char *id);
    void (*on_main_thread)(const clap_plugin *p);
};

typedef struct clap_factory clap_factory;
struct clap_factory {
    uint32_t (*count)(const clap_factory *f);
    const clap_descriptor *(*descriptor)(const clap_factory *f, uint32_t index);
    const clap_plugin *(*create)(const clap_factory *f, const clap_host *host, const char *id);
};

typedef struct {
    clap_version version;
    bool (*init)(const char *path);
    void (*deinit)(void);
    const void *(*get_factory)(const char *id);
} clap_entry_t;

typedef struct {
    uint32_t id, flags;
    void *cookie;
    char name[NAME_SIZE];
    char module[PATH_SIZE];
    double min_value, max_value, default_value;
} clap_param_info;

typedef struct {
    uint32_t (*count)(const clap_plugin *p);
    bool (*get_info)(const clap_plugin *p, uint32_t index, clap_param_info *info);
    bool (*get_value)(const clap_plugin *p, uint32_t id, double *value);
    bool (*value_to_text)(const clap_plugin *p, uint32_t id, double value, char *out, uint32_t capacity);
    bool (*text_to_value)(const clap_plugin *p, uint32_t id, const char *text, double *value);
    void (*flush)(const clap_plugin *p, const void *in, const void *out);
} clap_params;

typedef struct {
    uint32_t id;
    char name[NAME_SIZE];
    uint32_t flags, channel_count;
    const char *port_type;
    uint32_t in_place_pair;
} clap_audio_port_info;

typedef struct {
    uint32_t (*count)(const clap_plugin *p, bool is_input);
    bool (*get)(const clap_plugin *p, uint32_t index, bool is_input, clap_audio_port_info *info);
} clap_audio_ports;

typedef struct {
    uint32_t id, supported_dialects, preferred_dialect;
    char name[NAME_SIZE];
} clap_note_port_info;

typedef struct {
    uint32_t (*count)(const clap_plugin *p, bool is_input);
    bool (*get)(const clap_plugin *p, uint32_t index, bool is_input, clap_note_port_info *info);
} clap_note_ports;

typedef struct { uint32_t (*get)(const clap_plugin *p); } clap_latency;

enum { PORT_IS_MAIN = 1, DIALECT_CLAP = 1, DIALECT_MIDI = 2, INVALID_ID = UINT32_MAX };

/* factory/preset-discovery.h and universal-plugin-id.h */
typedef struct { const char *abi, *id; } clap_universal_plugin_id;

typedef struct clap_pd_receiver clap_pd_receiver;
struct clap_pd_receiver {
    void *receiver_data;
    void (*on_error)(const clap_pd_receiver *r, int32_t os_error, const char *message);
    bool (*begin_preset)(const clap_pd_receiver *r, const char *name, const char *load_key);
    void (*add_plugin_id)(const clap_pd_receiver *r, const clap_universal_plugin_id *id);
    void (*set_soundpack_id)(const clap_pd_receiver *r, const char *id);
    void (*set_flags)(const clap_pd_receiver *r, uint32_t flags);
    void (*add_creator)(const clap_pd_receiver *r, const char *creator);
    void (*set_description)(const clap_pd_receiver *r, const char *description);
    void (*set_timestamps)(const clap_pd_receiver *r, uint64_t created, uint64_t modified);
    void (*add_feature)(const clap_pd_receiver *r, const char *feature);
    void (*add_extra_info)(const clap_pd_receiver *r, const char *key, const char *value);
};

typedef struct { const char *name, *description, *file_extension; } clap_pd_filetype;
typedef struct { uint32_t flags; const char *name; uint32_t kind; const char *location; } clap_pd_location;
typedef struct {
    uint32_t flags;
    const char *id, *name, *description, *homepage_url, *vendor, *image_path;
    uint64_t release_timestamp;
} clap_pd_soundpack;
typedef struct { clap_version version; const char *id, *name, *vendor; } clap_pd_descriptor;

typedef struct clap_pd_provider clap_pd_provider;
struct clap_pd_provider {
    const clap_pd_descriptor *desc;
    void *provider_data;
    bool (*init)(const clap_pd_provider *p);
    void (*destroy)(const clap_pd_provider *p);
    bool (*get_metadata)(const clap_pd_provider *p, uint32_t kind, const char *location, const clap_pd_receiver *r);
    const void *(*get_extension)(const clap_pd_provider *p, const char *id);
};

typedef struct clap_pd_indexer clap_pd_indexer;
struct clap_pd_indexer {
    clap_version version;
    const char *name, *vendor, *url, *ver;
    void *indexer_data;
    bool (*declare_filetype)(const clap_pd_indexer *i, const clap_pd_filetype *t);
    bool (*declare_location)(const clap_pd_indexer *i, const clap_pd_location *l);
    bool (*declare_soundpack)(const clap_pd_indexer *i, const clap_pd_soundpack *s);
    const void *(*get_extension)(const clap_pd_indexer *i, const char *id);
};

typedef struct clap_pd_factory clap_pd_factory;
struct clap_pd_factory {
    uint32_t (*count)(const clap_pd_factory *f);
    const clap_pd_descriptor *(*get_descriptor)(const clap_pd_factory *f, uint32_t index);
    const clap_pd_provider *(*create)(const clap_pd_factory *f, const clap_pd_indexer *indexer, const char *id);
};

enum { LOCATION_FILE = 0, LOCATION_PLUGIN = 1, PRESET_FACTORY_CONTENT = 1, PRESET_USER_CONTENT = 2 };

/* ---------------------------------------------------------------- configuration */
enum Stage { STAGE_NONE, STAGE_DLOPEN, STAGE_INIT, STAGE_FACTORY, STAGE_CREATE, STAGE_PARAMS };
enum Crash { CRASH_NONE, CRASH_SEGV, CRASH_ABORT, CRASH_EXIT };

typedef struct {
    int crash, crash_stage, exit_code, hang_stage, hang_busy;
    long sleep_ms, alloc_mb, stdout_bytes, stderr_bytes;
} Misbehaviour;

typedef struct {
    uint32_t id, flags;
    char *name, *module, *units;
    double min, max, def;
    int decimals, hostile_text, blank_info;
    char **texts;
    int ntexts;
} Param;

typedef struct {
    clap_descriptor desc;
    const char **features;
    int nfeatures;
    int audio_in, audio_out, aux_in, aux_out, note_in, note_out, latency;
    int no_audio_ports, no_note_ports, no_params, unterminated, refuse_create, refuse_init;
    uint32_t param_count_claim, port_count_claim;
    Misbehaviour mb;
    Param *params;
    int nparams;
} Spec;

/* One preset: a [preset] section of the resource file, or a preset file the provider reads. */
typedef struct {
    char *key, *name, *description, *soundpack;
    char **plugins, **creators, **features;
    int nplugins, ncreators, nfeatures;
    long flags; /* -1: set_flags is not called (the location's flags apply) */
} PresetSpec;

/* The [presets] section: one provider of a preset-discovery factory, and how it misbehaves. */
enum PresetFault { FAULT_NONE, FAULT_CREATE, FAULT_INIT, FAULT_METADATA, FAULT_CRASH };
static struct {
    char *factory_id, *location, *extension, *soundpack;
    int fault, unterminated;
    long repeat; /* the PLUGIN location reports each preset this many times, keys "<key>-<n>" */
    PresetSpec *presets;
    int npresets;
} gp;

static struct {
    Spec *plugins;
    int nplugins;
    uint32_t plugin_count_claim;
    char *wall; /* unterminated text ending at a page no one may read */
} g;

EXPORT extern clap_entry_t clap_entry; /* defined at the end */

static char *dup_str(const char *s) { return strdup(s ? s : ""); }

static int parse_stage(const char *v)
{
    static const char *names[] = {"none", "dlopen", "init", "factory", "create", "params"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(v, names[i])) return i;
    return STAGE_NONE;
}

static int parse_crash(const char *v)
{
    if (!strcmp(v, "segv")) return CRASH_SEGV;
    if (!strcmp(v, "abort")) return CRASH_ABORT;
    if (!strcmp(v, "exit")) return CRASH_EXIT;
    return CRASH_NONE;
}

static void parse_version(clap_version *v, const char *s)
{
    unsigned a = 0, b = 0, c = 0;
    sscanf(s, "%u.%u.%u", &a, &b, &c);
    v->major = a, v->minor = b, v->revision = c;
}

static void add_feature(Spec *s, const char *value)
{
    s->features = realloc(s->features, sizeof(char *) * (size_t)(s->nfeatures + 2));
    s->features[s->nfeatures++] = dup_str(value);
    s->features[s->nfeatures] = NULL;
    s->desc.features = s->features;
}

static void set_plugin_key(Spec *s, const char *k, const char *v)
{
    clap_descriptor *d = &s->desc;
    if (!strcmp(k, "id")) d->id = dup_str(v);
    else if (!strcmp(k, "name")) d->name = dup_str(v);
    else if (!strcmp(k, "vendor")) d->vendor = dup_str(v);
    else if (!strcmp(k, "url")) d->url = dup_str(v);
    else if (!strcmp(k, "manual_url")) d->manual_url = dup_str(v);
    else if (!strcmp(k, "support_url")) d->support_url = dup_str(v);
    else if (!strcmp(k, "version")) d->ver = dup_str(v);
    else if (!strcmp(k, "description")) d->description = dup_str(v);
    else if (!strcmp(k, "clap_version")) parse_version(&d->version, v);
    else if (!strcmp(k, "feature")) add_feature(s, v);
    else if (!strcmp(k, "audio_in")) s->audio_in = atoi(v);
    else if (!strcmp(k, "audio_out")) s->audio_out = atoi(v);
    else if (!strcmp(k, "aux_in")) s->aux_in = atoi(v);
    else if (!strcmp(k, "aux_out")) s->aux_out = atoi(v);
    else if (!strcmp(k, "note_in")) s->note_in = atoi(v);
    else if (!strcmp(k, "note_out")) s->note_out = atoi(v);
    else if (!strcmp(k, "latency")) s->latency = atoi(v);
    else if (!strcmp(k, "no_audio_ports")) s->no_audio_ports = atoi(v);
    else if (!strcmp(k, "no_note_ports")) s->no_note_ports = atoi(v);
    else if (!strcmp(k, "no_params")) s->no_params = atoi(v);
    else if (!strcmp(k, "unterminated")) s->unterminated = atoi(v);
    else if (!strcmp(k, "refuse_create")) s->refuse_create = atoi(v);
    else if (!strcmp(k, "refuse_init")) s->refuse_init = atoi(v);
    else if (!strcmp(k, "param_count_claim")) s->param_count_claim = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "port_count_claim")) s->port_count_claim = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "crash")) s->mb.crash = parse_crash(v);
    else if (!strcmp(k, "crash_stage")) s->mb.crash_stage = parse_stage(v);
    else if (!strcmp(k, "exit_code")) s->mb.exit_code = atoi(v);
    else if (!strcmp(k, "hang_stage")) s->mb.hang_stage = parse_stage(v);
    else if (!strcmp(k, "hang_busy")) s->mb.hang_busy = atoi(v);
    else if (!strcmp(k, "sleep_ms")) s->mb.sleep_ms = atol(v);
    else if (!strcmp(k, "alloc_mb")) s->mb.alloc_mb = atol(v);
    else if (!strcmp(k, "stdout_bytes")) s->mb.stdout_bytes = atol(v);
    else if (!strcmp(k, "stderr_bytes")) s->mb.stderr_bytes = atol(v);
    else fprintf(stderr, "pluginary clap test plugin: unknown plugin key '%s'\n", k);
}

static void set_param_key(Param *p, const char *k, const char *v)
{
    if (!strcmp(k, "id")) p->id = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "flags")) p->flags = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "name")) p->name = dup_str(v);
    else if (!strcmp(k, "module")) p->module = dup_str(v);
    else if (!strcmp(k, "units")) p->units = dup_str(v);
    else if (!strcmp(k, "min")) p->min = strtod(v, NULL);
    else if (!strcmp(k, "max")) p->max = strtod(v, NULL);
    else if (!strcmp(k, "default")) p->def = strtod(v, NULL);
    else if (!strcmp(k, "decimals")) p->decimals = atoi(v);
    else if (!strcmp(k, "hostile_text")) p->hostile_text = atoi(v);
    else if (!strcmp(k, "blank_info")) p->blank_info = atoi(v);
    else if (!strcmp(k, "text")) {
        p->texts = realloc(p->texts, sizeof(char *) * (size_t)(p->ntexts + 1));
        p->texts[p->ntexts++] = dup_str(v);
    } else fprintf(stderr, "pluginary clap test plugin: unknown param key '%s'\n", k);
}

static void push(char ***list, int *n, const char *v)
{
    *list = realloc(*list, sizeof(char *) * (size_t)(*n + 1));
    (*list)[(*n)++] = dup_str(v);
}

static void preset_init(PresetSpec *p)
{
    memset(p, 0, sizeof *p);
    p->key = p->name = p->description = p->soundpack = "";
    p->flags = -1;
}

static void set_preset_key(PresetSpec *p, const char *k, const char *v)
{
    if (!strcmp(k, "key")) p->key = dup_str(v);
    else if (!strcmp(k, "name")) p->name = dup_str(v);
    else if (!strcmp(k, "description")) p->description = dup_str(v);
    else if (!strcmp(k, "soundpack")) p->soundpack = dup_str(v);
    else if (!strcmp(k, "plugin")) push(&p->plugins, &p->nplugins, v);
    else if (!strcmp(k, "creator")) push(&p->creators, &p->ncreators, v);
    else if (!strcmp(k, "feature")) push(&p->features, &p->nfeatures, v);
    else if (!strcmp(k, "flags")) p->flags = strtol(v, NULL, 10);
    else fprintf(stderr, "pluginary clap test plugin: unknown preset key '%s'\n", k);
}

static void set_presets_key(const char *k, const char *v)
{
    if (!strcmp(k, "factory_id")) gp.factory_id = dup_str(v);
    else if (!strcmp(k, "location")) gp.location = dup_str(v);
    else if (!strcmp(k, "extension")) gp.extension = dup_str(v);
    else if (!strcmp(k, "soundpack")) gp.soundpack = dup_str(v);
    else if (!strcmp(k, "unterminated")) gp.unterminated = atoi(v);
    else if (!strcmp(k, "repeat")) gp.repeat = atol(v);
    else if (!strcmp(k, "fault")) {
        static const char *names[] = {"none", "create", "init", "metadata", "crash"};
        for (int i = 0; i < 5; i++)
            if (!strcmp(v, names[i])) gp.fault = i;
    } else fprintf(stderr, "pluginary clap test plugin: unknown presets key '%s'\n", k);
}

static PresetSpec *add_preset(void)
{
    gp.presets = realloc(gp.presets, sizeof(PresetSpec) * (size_t)(gp.npresets + 1));
    PresetSpec *p = &gp.presets[gp.npresets++];
    preset_init(p);
    return p;
}

static Spec *add_plugin(void)
{
    g.plugins = realloc(g.plugins, sizeof(Spec) * (size_t)(g.nplugins + 1));
    Spec *s = &g.plugins[g.nplugins++];
    memset(s, 0, sizeof *s);
    s->desc.version = clap_entry.version;
    s->desc.id = s->desc.name = s->desc.vendor = s->desc.url = "";
    s->desc.manual_url = s->desc.support_url = s->desc.ver = s->desc.description = "";
    s->features = calloc(1, sizeof(char *)); /* an empty, NULL-terminated list */
    s->desc.features = s->features;
    s->mb.exit_code = 1;
    return s;
}

static Param *add_param(Spec *s)
{
    s->params = realloc(s->params, sizeof(Param) * (size_t)(s->nparams + 1));
    Param *p = &s->params[s->nparams];
    memset(p, 0, sizeof *p);
    p->id = (uint32_t)s->nparams++;
    p->name = p->module = p->units = "";
    p->max = 1.0;
    p->decimals = 2;
    return p;
}

static void load_config(void)
{
    Dl_info info;
    if (!dladdr((void *)load_config, &info) || !info.dli_fname) return;
    char path[4200];
    snprintf(path, sizeof path, "%s" CONF_SUFFIX, info.dli_fname);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "pluginary clap test plugin: cannot read %s\n", path);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    Spec *spec = NULL;
    Param *param = NULL;
    PresetSpec *preset = NULL;
    int presets = 0; /* inside [presets] */
    gp.location = gp.extension = gp.soundpack = ""; /* factory_id stays NULL: no preset factory */
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        if (line[0] == '[') spec = NULL, param = NULL, preset = NULL, presets = 0;
        if (!strcmp(line, "[plugin]")) { spec = add_plugin(); continue; }
        if (!strcmp(line, "[param]")) { if (g.nplugins) spec = &g.plugins[g.nplugins - 1], param = add_param(spec); continue; }
        if (!strcmp(line, "[presets]")) { presets = 1; continue; }
        if (!strcmp(line, "[preset]")) { preset = add_preset(); continue; }
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        const char *k = line, *v = eq + 1;
        if (preset) set_preset_key(preset, k, v);
        else if (presets) set_presets_key(k, v);
        else if (param) set_param_key(param, k, v);
        else if (spec) set_plugin_key(spec, k, v);
        else if (!strcmp(k, "clap_version")) parse_version(&clap_entry.version, v);
        else if (!strcmp(k, "plugin_count_claim")) g.plugin_count_claim = (uint32_t)strtoul(v, NULL, 10);
    }
    free(line);
    fclose(f);
}

/* Text with no NUL: 64 KiB of it, then a page that faults when read. A reader that looks for the
 * terminator without a bound walks into that page and dies; a bounded one stops in time. */
static char *make_wall(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t text = 64 * 1024;
    char *base = mmap(NULL, text + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    for (size_t i = 0; i < text; i++) base[i] = "\x1b[31mWALL"[i % 9];
    mprotect(base + text, (size_t)page, PROT_NONE);
    return base;
}

/* ---------------------------------------------------------------- misbehaviour */
static int *volatile g_null_pointer; /* volatile, so the compiler cannot turn the crash into a trap */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

static void write_garbage(int fd, long n)
{
    char buf[4096];
    uint32_t x = 0x9E3779B9u;
    while (n > 0) {
        size_t chunk = n < (long)sizeof buf ? (size_t)n : sizeof buf;
        for (size_t i = 0; i < chunk; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            buf[i] = (char)(x & 0xFF);
        }
        if (write(fd, buf, chunk) < 0) return;
        n -= (long)chunk;
    }
}

static void reach_stage(const Spec *s, int stage)
{
    if (s->mb.hang_stage == stage && s->mb.hang_busy)
        for (volatile unsigned long spin = 0;; spin++) {} /* a whole core, forever */
    if (s->mb.hang_stage == stage)
        for (;;) pause(); /* a deadlock: no CPU at all */
    if (s->mb.crash_stage != stage) return;
    switch (s->mb.crash) {
    case CRASH_SEGV: *g_null_pointer = 42; break;
    case CRASH_ABORT: abort();
    case CRASH_EXIT: exit(s->mb.exit_code);
    default: break;
    }
}

/* Module-wide stages come before any plugin is chosen: every plugin's misbehaviour for them applies. */
static void reach_module_stage(int stage)
{
    for (int i = 0; i < g.nplugins; i++) reach_stage(&g.plugins[i], stage);
}

__attribute__((constructor)) static void on_dlopen(void)
{
    load_config();
    if (gp.unterminated) g.wall = make_wall();
    for (int i = 0; i < g.nplugins; i++) {
        Spec *s = &g.plugins[i];
        if (!s->unterminated) continue;
        if (!g.wall) g.wall = make_wall();
        s->desc.name = s->desc.vendor = s->desc.description = s->desc.url = g.wall;
    }
    reach_module_stage(STAGE_DLOPEN);
}

/* ---------------------------------------------------------------- a plugin instance */
typedef struct {
    clap_plugin plugin;
    const clap_host *host;
    Spec *spec;
    void *hoard; /* memory alloc_mb asked us to keep: a leak */
} Instance;

static Spec *spec_of(const clap_plugin *p) { return ((Instance *)p->plugin_data)->spec; }

static bool plugin_init(const clap_plugin *p) { return !spec_of(p)->refuse_init; }

static void plugin_destroy(const clap_plugin *p) { free(p->plugin_data); }

static bool plugin_activate(const clap_plugin *p, double rate, uint32_t lo, uint32_t hi)
{
    (void)p, (void)rate, (void)lo, (void)hi;
    return true;
}

static void plugin_noop(const clap_plugin *p) { (void)p; }
static bool plugin_true(const clap_plugin *p) { (void)p; return true; }
static int32_t plugin_process(const clap_plugin *p, const void *process) { (void)p, (void)process; return 1; }

/* --- clap.params */
static uint32_t params_count(const clap_plugin *p)
{
    Spec *s = spec_of(p);
    return s->param_count_claim ? s->param_count_claim : (uint32_t)s->nparams;
}

static bool params_info(const clap_plugin *p, uint32_t index, clap_param_info *info)
{
    Spec *s = spec_of(p);
    reach_stage(s, STAGE_PARAMS);
    if (index >= (uint32_t)s->nparams) return false;
    const Param *q = &s->params[index];
    if (q->blank_info) return true; /* "success", and the host's struct left as it was */
    memset(info, 0, sizeof *info);
    info->id = q->id;
    info->flags = q->flags;
    snprintf(info->name, sizeof info->name, "%s", q->name);
    snprintf(info->module, sizeof info->module, "%s", q->module);
    if (q->hostile_text) memset(info->name, 'N', sizeof info->name); /* no terminator */
    info->min_value = q->min;
    info->max_value = q->max;
    info->default_value = q->def;
    return true;
}

static const Param *find_param(const Spec *s, uint32_t id)
{
    for (int i = 0; i < s->nparams; i++)
        if (s->params[i].id == id) return &s->params[i];
    return NULL;
}

static bool params_value(const clap_plugin *p, uint32_t id, double *value)
{
    const Param *q = find_param(spec_of(p), id);
    if (!q) return false;
    *value = q->def;
    return true;
}

static bool params_to_text(const clap_plugin *p, uint32_t id, double value, char *out, uint32_t capacity)
{
    const Param *q = find_param(spec_of(p), id);
    if (!q || capacity == 0) return false;
    if (q->hostile_text) {
        memset(out, '\x1b', capacity); /* fills the host's buffer, no terminator */
        return true;
    }
    long step = (long)(value - q->min + 0.5);
    if (q->ntexts && step >= 0 && step < q->ntexts) snprintf(out, capacity, "%s", q->texts[step]);
    else snprintf(out, capacity, "%.*f%s%s", q->decimals, value, *q->units ? " " : "", q->units);
    return true;
}

static bool params_from_text(const clap_plugin *p, uint32_t id, const char *text, double *value)
{
    if (!find_param(spec_of(p), id)) return false;
    *value = strtod(text, NULL);
    return true;
}

static void params_flush(const clap_plugin *p, const void *in, const void *out) { (void)p, (void)in, (void)out; }

static const clap_params params_ext = {
    params_count, params_info, params_value, params_to_text, params_from_text, params_flush,
};

/* --- clap.audio-ports: one main port per direction (if it has channels), then one aux port */
static int audio_channels(const Spec *s, bool is_input, uint32_t index, uint32_t *flags)
{
    int main = is_input ? s->audio_in : s->audio_out, aux = is_input ? s->aux_in : s->aux_out;
    int ports[2], n = 0, mains[2];
    if (main > 0) ports[n] = main, mains[n++] = 1;
    if (aux > 0) ports[n] = aux, mains[n++] = 0;
    if (index >= (uint32_t)n) return -1;
    *flags = mains[index] ? PORT_IS_MAIN : 0;
    return ports[index];
}

static uint32_t audio_count(const clap_plugin *p, bool is_input)
{
    Spec *s = spec_of(p);
    if (s->port_count_claim) return s->port_count_claim;
    uint32_t n = 0, flags;
    while (audio_channels(s, is_input, n, &flags) > 0) n++;
    return n;
}

static bool audio_get(const clap_plugin *p, uint32_t index, bool is_input, clap_audio_port_info *info)
{
    uint32_t flags = 0;
    int channels = audio_channels(spec_of(p), is_input, index, &flags);
    if (channels <= 0) return false;
    memset(info, 0, sizeof *info);
    info->id = index;
    snprintf(info->name, sizeof info->name, "%s %s", flags ? "Main" : "Aux", is_input ? "In" : "Out");
    info->flags = flags;
    info->channel_count = (uint32_t)channels;
    info->port_type = channels == 1 ? "mono" : channels == 2 ? "stereo" : NULL;
    info->in_place_pair = INVALID_ID;
    return true;
}

static const clap_audio_ports audio_ext = {audio_count, audio_get};

/* --- clap.note-ports */
static uint32_t note_count(const clap_plugin *p, bool is_input)
{
    Spec *s = spec_of(p);
    return (uint32_t)(is_input ? s->note_in : s->note_out);
}

static bool note_get(const clap_plugin *p, uint32_t index, bool is_input, clap_note_port_info *info)
{
    if (index >= note_count(p, is_input)) return false;
    memset(info, 0, sizeof *info);
    info->id = index;
    info->supported_dialects = DIALECT_CLAP | DIALECT_MIDI;
    info->preferred_dialect = DIALECT_CLAP;
    snprintf(info->name, sizeof info->name, "Notes %s %u", is_input ? "In" : "Out", index);
    return true;
}

static const clap_note_ports note_ext = {note_count, note_get};

/* --- clap.latency */
static uint32_t latency_get(const clap_plugin *p) { return (uint32_t)spec_of(p)->latency; }
static const clap_latency latency_ext = {latency_get};

static const void *plugin_extension(const clap_plugin *p, const char *id)
{
    Spec *s = spec_of(p);
    if (!strcmp(id, "clap.params") && !s->no_params) return &params_ext;
    if (!strcmp(id, "clap.audio-ports") && !s->no_audio_ports) return &audio_ext;
    if (!strcmp(id, "clap.note-ports") && !s->no_note_ports) return &note_ext;
    if (!strcmp(id, "clap.latency")) return &latency_ext;
    return NULL;
}

/* ---------------------------------------------------------------- factory and entry */
static uint32_t factory_count(const clap_factory *f)
{
    (void)f;
    reach_module_stage(STAGE_FACTORY);
    return g.plugin_count_claim ? g.plugin_count_claim : (uint32_t)g.nplugins;
}

static const clap_descriptor *factory_descriptor(const clap_factory *f, uint32_t index)
{
    (void)f;
    return index < (uint32_t)g.nplugins ? &g.plugins[index].desc : NULL;
}

static const clap_plugin *factory_create(const clap_factory *f, const clap_host *host, const char *id)
{
    (void)f;
    Spec *s = NULL;
    for (int i = 0; i < g.nplugins && !s; i++)
        if (!strcmp(g.plugins[i].desc.id, id)) s = &g.plugins[i];
    if (!s || !host) return NULL;
    reach_stage(s, STAGE_CREATE);
    if (s->refuse_create) return NULL;
    Instance *inst = calloc(1, sizeof *inst);
    if (!inst) return NULL;
    inst->host = host;
    inst->spec = s;
    if (s->mb.alloc_mb > 0 && (inst->hoard = malloc((size_t)s->mb.alloc_mb << 20)))
        memset(inst->hoard, 0xA5, (size_t)s->mb.alloc_mb << 20); /* never freed: a leak */
    inst->plugin = (clap_plugin){
        &s->desc, inst, plugin_init, plugin_destroy, plugin_activate, plugin_noop, plugin_true,
        plugin_noop, plugin_noop, plugin_process, plugin_extension, plugin_noop,
    };
    return &inst->plugin;
}

static const clap_factory factory = {factory_count, factory_descriptor, factory_create};

static bool entry_init(const char *path)
{
    (void)path;
    for (int i = 0; i < g.nplugins; i++) {
        Spec *s = &g.plugins[i];
        write_garbage(STDOUT_FILENO, s->mb.stdout_bytes);
        write_garbage(STDERR_FILENO, s->mb.stderr_bytes);
        if (s->mb.sleep_ms > 0) sleep_ms(s->mb.sleep_ms);
    }
    reach_module_stage(STAGE_INIT);
    return true;
}

static void entry_deinit(void) {}

/* ---------------------------------------------------------------- preset discovery */
typedef struct {
    clap_pd_provider provider;
    const clap_pd_indexer *indexer;
} Provider;

static const clap_pd_descriptor provider_desc = {
    {1, 2, 0}, "invalid.example.pluginary.presets", "Pluginary test presets", "Pluginary Test Audio"};

static bool provider_init(const clap_pd_provider *p)
{
    const clap_pd_indexer *ix = ((const Provider *)p->provider_data)->indexer;
    if (gp.fault == FAULT_INIT) return false;
    if (*gp.soundpack) {
        clap_pd_soundpack pack = {PRESET_FACTORY_CONTENT, gp.soundpack, "Test Sound Pack", "", "", "", "", 0};
        ix->declare_soundpack(ix, &pack);
    }
    clap_pd_location inside = {PRESET_FACTORY_CONTENT, "Factory", LOCATION_PLUGIN, NULL};
    ix->declare_location(ix, &inside);
    if (*gp.location) {
        clap_pd_filetype type = {"Test preset", "a text file: name, then key=value lines", gp.extension};
        clap_pd_location files = {PRESET_USER_CONTENT, "User", LOCATION_FILE, gp.location};
        ix->declare_filetype(ix, &type);
        ix->declare_location(ix, &files);
    }
    return true;
}

static void provider_destroy(const clap_pd_provider *p) { free(p->provider_data); }

/* Reports one preset; false when the host asks to stop (begin_preset answered false). */
static bool emit(const clap_pd_receiver *r, const PresetSpec *p, const char *name, const char *key)
{
    if (!r->begin_preset(r, name, key)) return false;
    for (int i = 0; i < p->nplugins; i++) {
        clap_universal_plugin_id id = {"clap", p->plugins[i]};
        r->add_plugin_id(r, &id);
    }
    if (p->flags >= 0) r->set_flags(r, (uint32_t)p->flags);
    if (*p->soundpack) r->set_soundpack_id(r, p->soundpack);
    for (int i = 0; i < p->ncreators; i++) r->add_creator(r, p->creators[i]);
    if (*p->description) r->set_description(r, p->description);
    for (int i = 0; i < p->nfeatures; i++) r->add_feature(r, p->features[i]);
    r->set_timestamps(r, 0, 0);
    r->add_extra_info(r, "test", "1");
    return true;
}

/* A preset file: its first line is the name ("!..." makes it unreadable), then key=value lines. */
static bool read_preset_file(const char *path, const clap_pd_receiver *r)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        r->on_error(r, 2, "cannot open the preset file");
        return false;
    }
    PresetSpec p;
    preset_init(&p);
    char *line = NULL, *name = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (!name) { name = dup_str(line); continue; }
        char *eq = strchr(line, '=');
        if (eq) *eq = 0, set_preset_key(&p, line, eq + 1);
    }
    free(line);
    fclose(f);
    if (!name || name[0] == '!') {
        r->on_error(r, 0, "\x1b[31mnot a test preset\x1b[0m"); /* hostile text, too */
        return false;
    }
    emit(r, &p, name, NULL); /* one preset per file: no load key */
    return true;
}

static bool provider_metadata(const clap_pd_provider *p, uint32_t kind, const char *location, const clap_pd_receiver *r)
{
    (void)p;
    if (kind == LOCATION_FILE) return location && read_preset_file(location, r);
    if (gp.fault == FAULT_CRASH) *g_null_pointer = 42;
    for (int i = 0; i < gp.npresets; i++) {
        const char *name = gp.unterminated && i == 0 && g.wall ? g.wall : gp.presets[i].name;
        long copies = gp.repeat > 1 ? gp.repeat : 1;
        for (long n = 0; n < copies; n++) {
            char key[PATH_SIZE];
            if (copies > 1) snprintf(key, sizeof key, "%s-%ld", gp.presets[i].key, n);
            else snprintf(key, sizeof key, "%s", gp.presets[i].key);
            if (!emit(r, &gp.presets[i], name, key)) return true; /* the host asked to stop */
        }
    }
    return gp.fault != FAULT_METADATA; /* presets reported, then "failed": none may be kept */
}

static const void *provider_extension(const clap_pd_provider *p, const char *id) { (void)p, (void)id; return NULL; }

static uint32_t pd_count(const clap_pd_factory *f) { (void)f; return 1; }

static const clap_pd_descriptor *pd_descriptor(const clap_pd_factory *f, uint32_t index)
{
    (void)f;
    return index == 0 ? &provider_desc : NULL;
}

static const clap_pd_provider *pd_create(const clap_pd_factory *f, const clap_pd_indexer *indexer, const char *id)
{
    (void)f;
    if (gp.fault == FAULT_CREATE || strcmp(id, provider_desc.id)) return NULL;
    Provider *pv = calloc(1, sizeof *pv);
    if (!pv) return NULL;
    pv->indexer = indexer;
    pv->provider = (clap_pd_provider){
        &provider_desc, pv, provider_init, provider_destroy, provider_metadata, provider_extension};
    return &pv->provider;
}

static const clap_pd_factory preset_factory = {pd_count, pd_descriptor, pd_create};

static const void *entry_factory(const char *id)
{
    if (!strcmp(id, "clap.plugin-factory")) return &factory;
    if (gp.factory_id && !strcmp(id, gp.factory_id)) return &preset_factory;
    return NULL;
}

/* The one exported symbol; not const, so the resource file can change the version it declares. */
EXPORT clap_entry_t clap_entry = {{1, 2, 0}, entry_init, entry_deinit, entry_factory};
