/*
 * Pluginary's VST3 test plugin: a real VST3 module in plain C (no SDK).
 *
 * One compiled .so becomes any number of distinct plugins: everything about a
 * bundle (classes, names, vendors, sub-categories, buses, parameters and
 * misbehaviour) is read at load time from Contents/Resources/pluginary-test.conf
 * next to the .so. The format is written by tests/plugins/__init__.py and is
 * described there. The vtables, structs and interface IDs below follow the
 * published VST3 ABI (pluginterfaces, non-COM byte order as used on Linux).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define CONF_NAME "pluginary-test.conf"

typedef int32_t tresult;
typedef uint16_t char16;
typedef uint64_t SpeakerArrangement;

enum { kNoInterface = -1, kResultOk = 0, kResultFalse = 1, kInvalidArgument = 2 };
enum { kAudio = 0, kEvent = 1, kInput = 0, kOutput = 1, kMain = 0, kAux = 1 };
enum { kCanAutomate = 1, kIsReadOnly = 2, kIsList = 8, kIsHidden = 16, kIsProgramChange = 1 << 15, kIsBypass = 1 << 16 };
enum { kUnicodeFactory = 16, kManyInstances = 0x7FFFFFFF };

/* ---------------------------------------------------------------- interface IDs */
/* Non-COM order: each 32-bit word big-endian, as INLINE_UID lays it out off Windows. */
#define W(x) (unsigned char)((x) >> 24), (unsigned char)((x) >> 16), (unsigned char)((x) >> 8), (unsigned char)(x)
#define IID(name, a, b, c, d) static const unsigned char name[16] = {W(a), W(b), W(c), W(d)}
IID(FUNKNOWN_IID, 0x00000000, 0x00000000, 0xC0000000, 0x00000046);
IID(FACTORY_IID, 0x7A4D811C, 0x52114A1F, 0xAED9D2EE, 0x0B43BF9F);
IID(FACTORY2_IID, 0x0007B650, 0xF24B4C0B, 0xA464EDB9, 0xF00B2ABB);
IID(FACTORY3_IID, 0x4555A2AB, 0xC1234E57, 0x9B122910, 0x36878931);
IID(PLUGINBASE_IID, 0x22888DDB, 0x156E45AE, 0x8358B348, 0x08190625);
IID(COMPONENT_IID, 0xE831FF31, 0xF2D54301, 0x928EBBEE, 0x25697802);
IID(PROCESSOR_IID, 0x42043F99, 0xB7DA453C, 0xA569E79D, 0x9AAEC33D);
IID(CONTROLLER_IID, 0xDCD7BBE3, 0x7742448D, 0xA874AACC, 0x979C759E);
IID(UNIT_INFO_IID, 0x3D4BD6B5, 0x913A4FD2, 0xA886E768, 0xA5EB92C1);
IID(CONNECTION_IID, 0x70A4156F, 0x6E6E4026, 0x989148BF, 0xAA60D8D1);
IID(HOST_APP_IID, 0x58E595CC, 0xDB2D4969, 0x8B6AAF8C, 0x36A664E5);

static int same_iid(const void *a, const unsigned char *b) { return a && memcmp(a, b, 16) == 0; }

/* ---------------------------------------------------------------- ABI structs */
typedef struct { char vendor[64]; char url[256]; char email[128]; int32_t flags; } PFactoryInfo;
typedef struct { unsigned char cid[16]; int32_t cardinality; char category[32]; char name[64]; } PClassInfo;
typedef struct {
    unsigned char cid[16]; int32_t cardinality; char category[32]; char name[64];
    uint32_t classFlags; char subCategories[128]; char vendor[64]; char version[64]; char sdkVersion[64];
} PClassInfo2;
typedef struct {
    unsigned char cid[16]; int32_t cardinality; char category[32]; char16 name[64];
    uint32_t classFlags; char subCategories[128]; char16 vendor[64]; char16 version[64]; char16 sdkVersion[64];
} PClassInfoW;
typedef struct {
    int32_t mediaType, direction, channelCount; char16 name[128]; int32_t busType; uint32_t flags;
} BusInfo;
typedef struct {
    uint32_t id; char16 title[128], shortTitle[128], units[128];
    int32_t stepCount; double defaultNormalizedValue; int32_t unitId; int32_t flags;
} ParameterInfo;
typedef struct { int32_t processMode, symbolicSampleSize, maxSamplesPerBlock; double sampleRate; } ProcessSetup;
typedef struct { int32_t id; char16 name[128]; int32_t programCount; } ProgramListInfo;
typedef struct { int32_t numChannels; uint64_t silenceFlags; float **channelBuffers32; } AudioBusBuffers;
typedef struct {
    int32_t processMode, symbolicSampleSize, numSamples, numInputs, numOutputs;
    AudioBusBuffers *inputs, *outputs;
    void *inputParameterChanges, *outputParameterChanges, *inputEvents, *outputEvents, *processContext;
} ProcessData;

/* ---------------------------------------------------------------- vtables */
#define UNKNOWN_METHODS \
    tresult (*queryInterface)(void *self, const char *iid, void **obj); \
    uint32_t (*addRef)(void *self); \
    uint32_t (*release)(void *self);

typedef struct {
    UNKNOWN_METHODS
    tresult (*getFactoryInfo)(void *self, PFactoryInfo *info);
    int32_t (*countClasses)(void *self);
    tresult (*getClassInfo)(void *self, int32_t index, PClassInfo *info);
    tresult (*createInstance)(void *self, const char *cid, const char *iid, void **obj);
    tresult (*getClassInfo2)(void *self, int32_t index, PClassInfo2 *info);
    tresult (*getClassInfoUnicode)(void *self, int32_t index, PClassInfoW *info);
    tresult (*setHostContext)(void *self, void *context);
} FactoryVtbl;

typedef struct {
    UNKNOWN_METHODS
    tresult (*initialize)(void *self, void *context);
    tresult (*terminate)(void *self);
    tresult (*getControllerClassId)(void *self, char *cid);
    tresult (*setIoMode)(void *self, int32_t mode);
    int32_t (*getBusCount)(void *self, int32_t type, int32_t dir);
    tresult (*getBusInfo)(void *self, int32_t type, int32_t dir, int32_t index, BusInfo *bus);
    tresult (*getRoutingInfo)(void *self, void *in, void *out);
    tresult (*activateBus)(void *self, int32_t type, int32_t dir, int32_t index, uint8_t state);
    tresult (*setActive)(void *self, uint8_t state);
    tresult (*setState)(void *self, void *stream);
    tresult (*getState)(void *self, void *stream);
} ComponentVtbl;

typedef struct {
    UNKNOWN_METHODS
    tresult (*setBusArrangements)(void *self, SpeakerArrangement *ins, int32_t n_ins, SpeakerArrangement *outs, int32_t n_outs);
    tresult (*getBusArrangement)(void *self, int32_t dir, int32_t index, SpeakerArrangement *arr);
    tresult (*canProcessSampleSize)(void *self, int32_t size);
    uint32_t (*getLatencySamples)(void *self);
    tresult (*setupProcessing)(void *self, ProcessSetup *setup);
    tresult (*setProcessing)(void *self, uint8_t state);
    tresult (*process)(void *self, ProcessData *data);
    uint32_t (*getTailSamples)(void *self);
} ProcessorVtbl;

typedef struct {
    UNKNOWN_METHODS
    tresult (*initialize)(void *self, void *context);
    tresult (*terminate)(void *self);
    tresult (*setComponentState)(void *self, void *stream);
    tresult (*setState)(void *self, void *stream);
    tresult (*getState)(void *self, void *stream);
    int32_t (*getParameterCount)(void *self);
    tresult (*getParameterInfo)(void *self, int32_t index, ParameterInfo *info);
    tresult (*getParamStringByValue)(void *self, uint32_t id, double value, char16 *out);
    tresult (*getParamValueByString)(void *self, uint32_t id, char16 *text, double *value);
    double (*normalizedParamToPlain)(void *self, uint32_t id, double value);
    double (*plainParamToNormalized)(void *self, uint32_t id, double plain);
    double (*getParamNormalized)(void *self, uint32_t id);
    tresult (*setParamNormalized)(void *self, uint32_t id, double value);
    tresult (*setComponentHandler)(void *self, void *handler);
    void *(*createView)(void *self, const char *name);
} ControllerVtbl;

typedef struct {
    UNKNOWN_METHODS
    int32_t (*getEventCount)(void *self); /* (getEvent and addEvent follow; unused here) */
} EventListVtbl;

typedef struct {
    UNKNOWN_METHODS
    int32_t (*getUnitCount)(void *self);
    tresult (*getUnitInfo)(void *self, int32_t index, void *info);
    int32_t (*getProgramListCount)(void *self);
    tresult (*getProgramListInfo)(void *self, int32_t index, ProgramListInfo *info);
    tresult (*getProgramName)(void *self, int32_t list, int32_t index, char16 *name);
    tresult (*getProgramInfo)(void *self, int32_t list, int32_t index, const char *attribute, char16 *value);
    tresult (*hasProgramPitchNames)(void *self, int32_t list, int32_t index);
    tresult (*getProgramPitchName)(void *self, int32_t list, int32_t index, int16_t pitch, char16 *name);
    int32_t (*getSelectedUnit)(void *self);
    tresult (*selectUnit)(void *self, int32_t unit);
    tresult (*getUnitByBus)(void *self, int32_t type, int32_t dir, int32_t bus, int32_t channel, int32_t *unit);
    tresult (*setUnitProgramData)(void *self, int32_t list_or_unit, int32_t index, void *data);
} UnitInfoVtbl;

typedef struct {
    UNKNOWN_METHODS
    tresult (*connect)(void *self, void *other);
    tresult (*disconnect)(void *self, void *other);
    tresult (*notify)(void *self, void *message);
} ConnectionVtbl;

typedef struct {
    UNKNOWN_METHODS
    tresult (*getName)(void *self, char16 *name);
    tresult (*createInstance)(void *self, const char *cid, const char *iid, void **obj);
} HostAppVtbl;

/* ---------------------------------------------------------------- configuration */
enum Stage { STAGE_NONE, STAGE_DLOPEN, STAGE_LOAD, STAGE_FACTORY, STAGE_PARAMS, STAGE_PROCESS, STAGE_CLASSINFO };
enum Crash { CRASH_NONE, CRASH_SEGV, CRASH_ABORT, CRASH_EXIT };

typedef struct {
    int crash, crash_stage, exit_code, hang_stage, hang_busy;
    long sleep_ms, busy_ms, alloc_mb, stdout_bytes, stderr_bytes;
} Misbehaviour;

typedef struct {
    uint32_t id;
    char title[128], short_title[128], units[128];
    int steps, decimals, automatable, flags; /* flags: kIsHidden, kIsReadOnly, kIsBypass, kIsProgramChange */
    double def, min, max;
    char **texts;
    int ntexts;
} Param;

typedef struct {
    unsigned char cid[16], controller_cid[16];
    char name[64], vendor[64], version[64], subcategories[128], sdk_version[64], program_list[128];
    int audio_in, audio_out, aux_in, midi_in, midi_out, instrument, silent;
    int split;      /* the edit controller is a class of its own, found through getControllerClassId */
    int needs_host; /* initialize fails without a host context that answers IHostApplication */
    char refuse_host[128]; /* initialize fails when the host says this is its name */
    char **programs;
    int nprograms;
    uint32_t latency;
    Misbehaviour mb;
    Param *params;
    int nparams;
    void *hoard; /* memory that alloc_mb asked us to keep */
} ClassSpec;

static struct {
    char vendor[64], url[256], email[128];
    ClassSpec *classes;
    int nclasses, loaded;
} g;

static void copy_str(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src); }

static int parse_stage(const char *v)
{
    static const char *names[] = {"none", "dlopen", "load", "factory", "params", "process", "classinfo"};
    for (int i = 0; i < 7; i++)
        if (strcmp(v, names[i]) == 0) return i;
    return STAGE_NONE;
}

static int parse_crash(const char *v)
{
    if (strcmp(v, "segv") == 0) return CRASH_SEGV;
    if (strcmp(v, "abort") == 0) return CRASH_ABORT;
    if (strcmp(v, "exit") == 0) return CRASH_EXIT;
    return CRASH_NONE;
}

static void parse_cid(unsigned char *cid, const char *hex)
{
    for (int i = 0; i < 16 && hex[2 * i] && hex[2 * i + 1]; i++) {
        char byte[3] = {hex[2 * i], hex[2 * i + 1], 0};
        cid[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
}

static void set_class_key(ClassSpec *c, const char *k, const char *v)
{
    if (!strcmp(k, "cid")) parse_cid(c->cid, v);
    else if (!strcmp(k, "name")) copy_str(c->name, sizeof c->name, v);
    else if (!strcmp(k, "vendor")) copy_str(c->vendor, sizeof c->vendor, v);
    else if (!strcmp(k, "version")) copy_str(c->version, sizeof c->version, v);
    else if (!strcmp(k, "subcategories")) copy_str(c->subcategories, sizeof c->subcategories, v);
    else if (!strcmp(k, "sdk_version")) copy_str(c->sdk_version, sizeof c->sdk_version, v);
    else if (!strcmp(k, "audio_in")) c->audio_in = atoi(v);
    else if (!strcmp(k, "audio_out")) c->audio_out = atoi(v);
    else if (!strcmp(k, "midi_in")) c->midi_in = atoi(v);
    else if (!strcmp(k, "midi_out")) c->midi_out = atoi(v);
    else if (!strcmp(k, "aux_in")) c->aux_in = atoi(v);
    else if (!strcmp(k, "split_controller")) c->split = atoi(v);
    else if (!strcmp(k, "controller_cid")) parse_cid(c->controller_cid, v);
    else if (!strcmp(k, "needs_host")) c->needs_host = atoi(v);
    else if (!strcmp(k, "refuse_host")) copy_str(c->refuse_host, sizeof c->refuse_host, v);
    else if (!strcmp(k, "program_list")) copy_str(c->program_list, sizeof c->program_list, v);
    else if (!strcmp(k, "program")) {
        c->programs = realloc(c->programs, sizeof(char *) * (size_t)(c->nprograms + 1));
        c->programs[c->nprograms++] = strdup(v);
    }
    else if (!strcmp(k, "instrument")) c->instrument = atoi(v);
    else if (!strcmp(k, "silent")) c->silent = atoi(v);
    else if (!strcmp(k, "latency")) c->latency = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "crash")) c->mb.crash = parse_crash(v);
    else if (!strcmp(k, "crash_stage")) c->mb.crash_stage = parse_stage(v);
    else if (!strcmp(k, "exit_code")) c->mb.exit_code = atoi(v);
    else if (!strcmp(k, "hang_stage")) c->mb.hang_stage = parse_stage(v);
    else if (!strcmp(k, "hang_busy")) c->mb.hang_busy = atoi(v);
    else if (!strcmp(k, "sleep_ms")) c->mb.sleep_ms = atol(v);
    else if (!strcmp(k, "busy_ms")) c->mb.busy_ms = atol(v);
    else if (!strcmp(k, "alloc_mb")) c->mb.alloc_mb = atol(v);
    else if (!strcmp(k, "stdout_bytes")) c->mb.stdout_bytes = atol(v);
    else if (!strcmp(k, "stderr_bytes")) c->mb.stderr_bytes = atol(v);
    else fprintf(stderr, "pluginary test plugin: unknown class key '%s'\n", k);
}

static void set_param_key(Param *p, const char *k, const char *v)
{
    if (!strcmp(k, "id")) p->id = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(k, "title")) copy_str(p->title, sizeof p->title, v);
    else if (!strcmp(k, "short_title")) copy_str(p->short_title, sizeof p->short_title, v);
    else if (!strcmp(k, "units")) copy_str(p->units, sizeof p->units, v);
    else if (!strcmp(k, "steps")) p->steps = atoi(v);
    else if (!strcmp(k, "decimals")) p->decimals = atoi(v);
    else if (!strcmp(k, "automatable")) p->automatable = atoi(v);
    else if (!strcmp(k, "hidden")) p->flags |= atoi(v) ? kIsHidden : 0;
    else if (!strcmp(k, "read_only")) p->flags |= atoi(v) ? kIsReadOnly : 0;
    else if (!strcmp(k, "bypass")) p->flags |= atoi(v) ? kIsBypass : 0;
    else if (!strcmp(k, "program_change")) p->flags |= atoi(v) ? kIsProgramChange : 0;
    else if (!strcmp(k, "default")) p->def = strtod(v, NULL);
    else if (!strcmp(k, "min")) p->min = strtod(v, NULL);
    else if (!strcmp(k, "max")) p->max = strtod(v, NULL);
    else if (!strcmp(k, "text")) {
        p->texts = realloc(p->texts, sizeof(char *) * (size_t)(p->ntexts + 1));
        p->texts[p->ntexts++] = strdup(v);
    } else fprintf(stderr, "pluginary test plugin: unknown param key '%s'\n", k);
}

static ClassSpec *add_class(void)
{
    g.classes = realloc(g.classes, sizeof(ClassSpec) * (size_t)(g.nclasses + 1));
    ClassSpec *c = &g.classes[g.nclasses++];
    memset(c, 0, sizeof *c);
    copy_str(c->version, sizeof c->version, "1.0.0");
    copy_str(c->sdk_version, sizeof c->sdk_version, "VST 3.7.9");
    c->audio_in = c->audio_out = 2;
    c->mb.exit_code = 1;
    return c;
}

static Param *add_param(ClassSpec *c)
{
    c->params = realloc(c->params, sizeof(Param) * (size_t)(c->nparams + 1));
    Param *p = &c->params[c->nparams];
    memset(p, 0, sizeof *p);
    p->id = (uint32_t)c->nparams++;
    p->max = 1.0;
    p->decimals = 2;
    p->automatable = 1;
    return p;
}

/* The resource file sits at <bundle>/Contents/Resources/, two levels above our own .so. */
static int config_path(char *out, size_t size)
{
    Dl_info info;
    if (!dladdr((void *)config_path, &info) || !info.dli_fname) return 0;
    char so[4096];
    copy_str(so, sizeof so, info.dli_fname);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(so, '/');
        if (!slash) return 0;
        *slash = 0;
    }
    snprintf(out, size, "%s/Resources/" CONF_NAME, so);
    return 1;
}

static void load_config(void)
{
    char path[4200];
    if (!config_path(path, sizeof path)) return;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "pluginary test plugin: cannot read %s\n", path);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    ClassSpec *cls = NULL;
    Param *param = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        if (!strcmp(line, "[module]")) { cls = NULL; param = NULL; continue; }
        if (!strcmp(line, "[class]")) { cls = add_class(); param = NULL; continue; }
        if (!strcmp(line, "[param]")) { if (cls) param = add_param(cls); continue; }
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        if (param) set_param_key(param, line, eq + 1);
        else if (cls) set_class_key(cls, line, eq + 1);
        else if (!strcmp(line, "vendor")) copy_str(g.vendor, sizeof g.vendor, eq + 1);
        else if (!strcmp(line, "url")) copy_str(g.url, sizeof g.url, eq + 1);
        else if (!strcmp(line, "email")) copy_str(g.email, sizeof g.email, eq + 1);
    }
    free(line);
    fclose(f);
}

/* ---------------------------------------------------------------- misbehaviour */
static int *volatile g_null_pointer; /* volatile, so the compiler cannot turn the crash into a trap */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Work on a core for `ms` of CPU time (not wall time): on a loaded machine it takes longer, as a real load does. */
static void busy_ms(long ms)
{
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    double until = (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6 + (double)ms;
    for (;;) {
        for (volatile unsigned long spin = 0; spin < 100000UL; spin++) {}
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
        if ((double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6 >= until) return;
    }
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

/* Crash or hang when `stage` is the one the class was configured to misbehave at. */
static void reach_stage(const ClassSpec *c, int stage)
{
    if (c->mb.hang_stage == stage && c->mb.hang_busy)
        for (volatile unsigned long spin = 0;; spin++) {} /* an endless loop: a whole core, forever */
    if (c->mb.hang_stage == stage)
        for (;;) pause(); /* a deadlock: no CPU at all */
    if (c->mb.crash_stage != stage) return;
    switch (c->mb.crash) {
    case CRASH_SEGV: *g_null_pointer = 42; break;
    case CRASH_ABORT: abort();
    case CRASH_EXIT: exit(c->mb.exit_code);
    default: break;
    }
}

__attribute__((constructor)) static void on_dlopen(void)
{
    load_config();
    for (int i = 0; i < g.nclasses; i++) reach_stage(&g.classes[i], STAGE_DLOPEN);
}

/* Everything a plugin does "on load" happens once, in ModuleEntry or GetPluginFactory. */
static void module_load(void)
{
    if (g.loaded) return;
    g.loaded = 1;
    for (int i = 0; i < g.nclasses; i++) {
        ClassSpec *c = &g.classes[i];
        write_garbage(STDOUT_FILENO, c->mb.stdout_bytes);
        write_garbage(STDERR_FILENO, c->mb.stderr_bytes);
        if (c->mb.sleep_ms > 0) sleep_ms(c->mb.sleep_ms);
        if (c->mb.busy_ms > 0) busy_ms(c->mb.busy_ms);
        if (c->mb.alloc_mb > 0 && (c->hoard = malloc((size_t)c->mb.alloc_mb << 20)))
            memset(c->hoard, 0xA5, (size_t)c->mb.alloc_mb << 20);
        reach_stage(c, STAGE_LOAD);
    }
}

/* ---------------------------------------------------------------- strings */
static void to_utf16(char16 *dst, size_t cap, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = 0;
    while (*s && n + 1 < cap) { /* the last unit is the NUL */
        uint32_t cp = *s++;
        int more = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        if (more) cp &= 0x3Fu >> more;
        for (; more > 0 && (*s & 0xC0) == 0x80; more--) cp = (cp << 6) | (*s++ & 0x3Fu);
        if (cp >= 0x10000) {
            if (n + 2 >= cap) break; /* no room for both halves of the surrogate pair */
            cp -= 0x10000;
            dst[n++] = (char16)(0xD800 + (cp >> 10));
            dst[n++] = (char16)(0xDC00 + (cp & 0x3FF));
        } else {
            dst[n++] = (char16)cp;
        }
    }
    dst[n] = 0;
}

static void from_utf16(char *dst, size_t cap, const char16 *src)
{
    size_t n = 0;
    for (; src && *src && n + 4 < cap; src++) {
        uint32_t cp = *src;
        if (cp < 0x80) dst[n++] = (char)cp;
        else if (cp < 0x800) { dst[n++] = (char)(0xC0 | (cp >> 6)); dst[n++] = (char)(0x80 | (cp & 0x3F)); }
        else { dst[n++] = (char)(0xE0 | (cp >> 12)); dst[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)); dst[n++] = (char)(0x80 | (cp & 0x3F)); }
    }
    dst[n] = 0;
}

/* ---------------------------------------------------------------- the plugin object */
/* One object is component, audio processor, edit controller, unit info and connection point; each
 * interface is a vtable slot. A class with a split controller makes two objects: the component
 * (which then denies IEditController) and the controller (created from the controller class id). */
enum Role { ROLE_BOTH, ROLE_COMPONENT, ROLE_CONTROLLER };
typedef struct {
    const ComponentVtbl *component;
    const ProcessorVtbl *processor;
    const ControllerVtbl *controller;
    const UnitInfoVtbl *units;
    const ConnectionVtbl *connection;
    int32_t refs;
    ClassSpec *spec;
    int role;
    void *peer; /* the connection point this object is connected to, if any */
    double *values;
    int params_reached, process_reached;
    uint32_t phase;
} Plugin;

#define FROM(self, member) ((Plugin *)((char *)(self) - offsetof(Plugin, member)))
static const ComponentVtbl component_vtbl;
static const ProcessorVtbl processor_vtbl;
static const ControllerVtbl controller_vtbl;
static const UnitInfoVtbl units_vtbl;
static const ConnectionVtbl connection_vtbl;

static tresult plugin_query(Plugin *p, const char *iid, void **obj)
{
    int component = p->role != ROLE_CONTROLLER, controller = p->role != ROLE_COMPONENT;
    if (same_iid(iid, FUNKNOWN_IID) || same_iid(iid, PLUGINBASE_IID))
        *obj = component ? (void *)&p->component : (void *)&p->controller;
    else if (component && same_iid(iid, COMPONENT_IID)) *obj = &p->component;
    else if (component && same_iid(iid, PROCESSOR_IID)) *obj = &p->processor;
    else if (controller && same_iid(iid, CONTROLLER_IID)) *obj = &p->controller;
    else if (controller && same_iid(iid, UNIT_INFO_IID) && p->spec->nprograms) *obj = &p->units;
    else if (p->role != ROLE_BOTH && same_iid(iid, CONNECTION_IID)) *obj = &p->connection;
    else { *obj = NULL; return kNoInterface; }
    p->refs++;
    return kResultOk;
}

static uint32_t plugin_release(Plugin *p)
{
    if (--p->refs > 0) return (uint32_t)p->refs;
    free(p->values);
    free(p);
    return 0;
}

#define UNKNOWN_THUNKS(prefix, member) \
    static tresult prefix##_query(void *s, const char *iid, void **obj) { return plugin_query(FROM(s, member), iid, obj); } \
    static uint32_t prefix##_add_ref(void *s) { return (uint32_t)++FROM(s, member)->refs; } \
    static uint32_t prefix##_release(void *s) { return plugin_release(FROM(s, member)); }
UNKNOWN_THUNKS(comp, component)
UNKNOWN_THUNKS(proc, processor)
UNKNOWN_THUNKS(ctrl, controller)
UNKNOWN_THUNKS(units, units)
UNKNOWN_THUNKS(conn, connection)

static Plugin *plugin_new(ClassSpec *spec, int role)
{
    Plugin *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->component = &component_vtbl;
    p->processor = &processor_vtbl;
    p->controller = &controller_vtbl;
    p->units = &units_vtbl;
    p->connection = &connection_vtbl;
    p->refs = 1;
    p->spec = spec;
    p->role = role;
    p->values = calloc((size_t)spec->nparams + 1, sizeof(double));
    for (int i = 0; i < spec->nparams; i++) p->values[i] = spec->params[i].def;
    return p;
}

/* --- IComponent */
static tresult ok_context(void *s, void *context) { (void)s; (void)context; return kResultOk; }
static tresult ok_void(void *s) { (void)s; return kResultOk; }
static tresult ok_stream(void *s, void *stream) { (void)s; (void)stream; return kResultOk; }
static tresult ok_int(void *s, int32_t v) { (void)s; (void)v; return kResultOk; }
static tresult ok_bool(void *s, uint8_t v) { (void)s; (void)v; return kResultOk; }

/* A component with needs_host or refuse_host checks its context the way SDK plugins do: ask it for
 * IHostApplication and the host's name. */
static tresult comp_initialize(void *s, void *context)
{
    const ClassSpec *c = FROM(s, component)->spec;
    if (!c->needs_host && !c->refuse_host[0]) return kResultOk;
    void *app = NULL;
    if (!context) return kResultFalse;
    const HostAppVtbl *host = *(const HostAppVtbl **)context;
    if (host->queryInterface(context, (const char *)HOST_APP_IID, &app) != kResultOk || !app) return kResultFalse;
    char16 name[128] = {0};
    tresult named = (*(const HostAppVtbl **)app)->getName(app, name);
    (*(const HostAppVtbl **)app)->release(app);
    char utf8[512];
    from_utf16(utf8, sizeof utf8, name);
    if (c->refuse_host[0] && named == kResultOk && !strcmp(utf8, c->refuse_host)) return kResultFalse;
    return named == kResultOk && name[0] ? kResultOk : kResultFalse;
}

/* Without a separate controller class, hosts ask the component itself for IEditController. */
static tresult comp_controller_cid(void *s, char *cid)
{
    const ClassSpec *c = FROM(s, component)->spec;
    if (!c->split) { memset(cid, 0, 16); return kResultFalse; }
    memcpy(cid, c->controller_cid, 16);
    return kResultOk;
}

/* Buses, in order: audio inputs main (audio_in channels) then aux (aux_in, a side-chain); one main
 * audio output; one event bus per direction with midi_in/midi_out. A zero count means no such bus. */
static int bus_at(const ClassSpec *c, int32_t type, int32_t dir, int32_t index, int *bus_type)
{
    int channels[2] = {0, 0}, types[2] = {kMain, kAux}, n = 0;
    if (type == kEvent) {
        if (dir == kInput ? c->midi_in : c->midi_out) channels[n++] = 16;
    } else if (dir == kInput) {
        if (c->audio_in > 0) channels[n++] = c->audio_in;
        if (c->aux_in > 0) { types[n] = kAux; channels[n++] = c->aux_in; }
    } else if (c->audio_out > 0) {
        channels[n++] = c->audio_out;
    }
    if (index < 0) return n;
    if (index >= n) return -1;
    if (bus_type) *bus_type = types[index];
    return channels[index];
}

static int bus_channels(const ClassSpec *c, int32_t type, int32_t dir, int32_t index)
{
    return bus_at(c, type, dir, index, NULL);
}

static int32_t comp_bus_count(void *s, int32_t type, int32_t dir)
{
    return bus_at(FROM(s, component)->spec, type, dir, -1, NULL);
}

static tresult comp_bus_info(void *s, int32_t type, int32_t dir, int32_t index, BusInfo *bus)
{
    int bus_type = kMain;
    int n = bus_at(FROM(s, component)->spec, type, dir, index, &bus_type);
    if (n < 0 || !bus) return kInvalidArgument;
    memset(bus, 0, sizeof *bus);
    bus->mediaType = type;
    bus->direction = dir;
    bus->channelCount = n;
    to_utf16(bus->name, 128, type == kEvent ? (dir == kInput ? "MIDI In" : "MIDI Out")
                             : bus_type == kAux ? "Sidechain" : dir == kInput ? "Input" : "Output");
    bus->busType = bus_type;
    bus->flags = 1; /* active by default */
    return kResultOk;
}

static tresult comp_routing(void *s, void *in, void *out) { (void)s; (void)in; (void)out; return kResultFalse; }
static tresult comp_activate_bus(void *s, int32_t t, int32_t d, int32_t i, uint8_t on)
{
    (void)t; (void)d; (void)i; (void)on; (void)s;
    return kResultOk;
}

static const ComponentVtbl component_vtbl = {
    comp_query, comp_add_ref, comp_release, comp_initialize, ok_void, comp_controller_cid, ok_int,
    comp_bus_count, comp_bus_info, comp_routing, comp_activate_bus, ok_bool, ok_stream, ok_stream,
};

/* --- IAudioProcessor */
static SpeakerArrangement layout_for(int channels)
{
    if (channels == 1) return (SpeakerArrangement)1 << 19; /* kSpeakerM */
    return channels >= 64 ? ~(SpeakerArrangement)0 : ((SpeakerArrangement)1 << channels) - 1;
}

static tresult proc_set_arrangements(void *s, SpeakerArrangement *ins, int32_t n_ins, SpeakerArrangement *outs, int32_t n_outs)
{
    const ClassSpec *c = FROM(s, processor)->spec;
    if (n_ins != bus_at(c, kAudio, kInput, -1, NULL) || n_outs != bus_at(c, kAudio, kOutput, -1, NULL)) return kResultFalse;
    for (int i = 0; i < n_ins; i++) /* an aux bus may also be switched off (an empty arrangement) */
        if (ins[i] != layout_for(bus_channels(c, kAudio, kInput, i)) && !(i > 0 && ins[i] == 0)) return kResultFalse;
    if (n_outs && outs[0] != layout_for(c->audio_out)) return kResultFalse;
    return kResultOk;
}

static tresult proc_get_arrangement(void *s, int32_t dir, int32_t index, SpeakerArrangement *arr)
{
    int n = bus_channels(FROM(s, processor)->spec, kAudio, dir, index);
    if (n < 0) return kInvalidArgument;
    *arr = layout_for(n);
    return kResultOk;
}

static tresult proc_can_size(void *s, int32_t size) { (void)s; return size == 0 ? kResultOk : kResultFalse; }
static uint32_t proc_latency(void *s) { return FROM(s, processor)->spec->latency; }
static tresult proc_setup(void *s, ProcessSetup *setup) { (void)s; return setup ? kResultOk : kInvalidArgument; }
static uint32_t proc_tail(void *s) { (void)s; return 0; }

static tresult proc_process(void *s, ProcessData *data)
{
    Plugin *p = FROM(s, processor);
    if (!p->process_reached) { p->process_reached = 1; reach_stage(p->spec, STAGE_PROCESS); }
    if (!data || data->numSamples <= 0 || data->symbolicSampleSize != 0) return kResultOk;
    const AudioBusBuffers *in = data->numInputs > 0 ? data->inputs : NULL;
    /* An instrument sounds in blocks that carry events (a note), so a host's warm-up hears it at once. */
    void *events = data->inputEvents;
    int sounding = p->spec->instrument && !p->spec->silent && events
                   && (*(const EventListVtbl **)events)->getEventCount(events) > 0;
    for (int b = 0; b < data->numOutputs && data->outputs; b++) {
        AudioBusBuffers *out = &data->outputs[b];
        for (int ch = 0; ch < out->numChannels && out->channelBuffers32; ch++) {
            float *dst = out->channelBuffers32[ch];
            if (!dst) continue;
            const float *src = NULL;
            if (b == 0 && in && in->numChannels > 0 && in->channelBuffers32)
                src = in->channelBuffers32[ch < in->numChannels ? ch : in->numChannels - 1];
            for (int i = 0; i < data->numSamples; i++) {
                if (src) dst[i] = src[i];
                else if (sounding) dst[i] = (p->phase++ & 32) ? 0.01f : -0.01f;
                else dst[i] = 0.0f;
            }
        }
        out->silenceFlags = 0;
    }
    return kResultOk;
}

static const ProcessorVtbl processor_vtbl = {
    proc_query, proc_add_ref, proc_release, proc_set_arrangements, proc_get_arrangement,
    proc_can_size, proc_latency, proc_setup, ok_bool, proc_process, proc_tail,
};

/* --- IEditController */
static Param *find_param(Plugin *p, uint32_t id, int *index)
{
    for (int i = 0; i < p->spec->nparams; i++)
        if (p->spec->params[i].id == id) { if (index) *index = i; return &p->spec->params[i]; }
    return NULL;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
static int step_of(const Param *q, double v) { return (int)(clamp01(v) * q->steps + 0.5); }

static double to_plain(const Param *q, double v)
{
    if (q->steps > 0) return q->min + step_of(q, v) * (q->max - q->min) / q->steps;
    return q->min + clamp01(v) * (q->max - q->min);
}

static double to_normalized(const Param *q, double plain)
{
    if (q->max == q->min) return 0;
    double v = clamp01((plain - q->min) / (q->max - q->min));
    return q->steps > 0 ? (double)step_of(q, v) / q->steps : v;
}

/* A split controller learns nothing until the host connects it to its component, as SDK plugins do. */
static int32_t ctrl_param_count(void *s)
{
    Plugin *p = FROM(s, controller);
    return p->role == ROLE_CONTROLLER && !p->peer ? 0 : p->spec->nparams;
}

static tresult ctrl_param_info(void *s, int32_t index, ParameterInfo *info)
{
    Plugin *p = FROM(s, controller);
    if (!p->params_reached) { p->params_reached = 1; reach_stage(p->spec, STAGE_PARAMS); }
    if (index < 0 || index >= p->spec->nparams || !info) return kInvalidArgument;
    const Param *q = &p->spec->params[index];
    memset(info, 0, sizeof *info);
    info->id = q->id;
    to_utf16(info->title, 128, q->title);
    to_utf16(info->shortTitle, 128, q->short_title[0] ? q->short_title : q->title);
    to_utf16(info->units, 128, q->units);
    info->stepCount = q->steps;
    info->defaultNormalizedValue = q->def;
    info->flags = (q->automatable ? kCanAutomate : 0) | (q->ntexts ? kIsList : 0) | q->flags;
    return kResultOk;
}

static tresult ctrl_string_by_value(void *s, uint32_t id, double v, char16 *out)
{
    const Param *q = find_param(FROM(s, controller), id, NULL);
    if (!q || !out) return kInvalidArgument;
    char text[256];
    int step = step_of(q, v);
    if (q->ntexts > 0) copy_str(text, sizeof text, q->texts[step < q->ntexts ? step : q->ntexts - 1]);
    else snprintf(text, sizeof text, "%.*f%s%s", q->decimals, to_plain(q, v), q->units[0] ? " " : "", q->units);
    to_utf16(out, 128, text);
    return kResultOk;
}

static tresult ctrl_value_by_string(void *s, uint32_t id, char16 *in, double *v)
{
    const Param *q = find_param(FROM(s, controller), id, NULL);
    if (!q || !v) return kInvalidArgument;
    char text[512];
    from_utf16(text, sizeof text, in);
    for (int i = 0; i < q->ntexts; i++)
        if (!strcmp(text, q->texts[i])) { *v = q->steps > 0 ? (double)i / q->steps : 0; return kResultOk; }
    char *end;
    double plain = strtod(text, &end);
    if (end == text) return kResultFalse;
    *v = to_normalized(q, plain);
    return kResultOk;
}

static double ctrl_to_plain(void *s, uint32_t id, double v)
{
    const Param *q = find_param(FROM(s, controller), id, NULL);
    return q ? to_plain(q, v) : v;
}

static double ctrl_to_normalized(void *s, uint32_t id, double plain)
{
    const Param *q = find_param(FROM(s, controller), id, NULL);
    return q ? to_normalized(q, plain) : plain;
}

static double ctrl_get_normalized(void *s, uint32_t id)
{
    Plugin *p = FROM(s, controller);
    int i;
    return find_param(p, id, &i) ? p->values[i] : 0;
}

static tresult ctrl_set_normalized(void *s, uint32_t id, double v)
{
    Plugin *p = FROM(s, controller);
    int i;
    if (!find_param(p, id, &i)) return kInvalidArgument;
    p->values[i] = clamp01(v);
    return kResultOk;
}

static tresult ctrl_set_handler(void *s, void *handler) { (void)s; (void)handler; return kResultOk; }
static void *ctrl_create_view(void *s, const char *name) { (void)s; (void)name; return NULL; }

static const ControllerVtbl controller_vtbl = {
    ctrl_query, ctrl_add_ref, ctrl_release, ok_context, ok_void, ok_stream, ok_stream, ok_stream,
    ctrl_param_count, ctrl_param_info, ctrl_string_by_value, ctrl_value_by_string, ctrl_to_plain,
    ctrl_to_normalized, ctrl_get_normalized, ctrl_set_normalized, ctrl_set_handler, ctrl_create_view,
};

/* --- IUnitInfo: one root unit with one program list, when the class has programs */
static int32_t units_count(void *s) { (void)s; return 1; }
static tresult units_info(void *s, int32_t index, void *info) { (void)s; (void)index; (void)info; return kResultFalse; }
static int32_t units_list_count(void *s) { (void)s; return 1; }

static tresult units_list_info(void *s, int32_t index, ProgramListInfo *info)
{
    const ClassSpec *c = FROM(s, units)->spec;
    if (index != 0 || !info) return kInvalidArgument;
    memset(info, 0, sizeof *info);
    info->id = 1;
    to_utf16(info->name, 128, c->program_list[0] ? c->program_list : "Factory");
    info->programCount = c->nprograms;
    return kResultOk;
}

static tresult units_program_name(void *s, int32_t list, int32_t index, char16 *name)
{
    const ClassSpec *c = FROM(s, units)->spec;
    if (list != 1 || index < 0 || index >= c->nprograms || !name) return kInvalidArgument;
    to_utf16(name, 128, c->programs[index]);
    return kResultOk;
}

/* What a scanner never asks: pitch names, unit selection, program data. */
static tresult units_program_info(void *s, int32_t l, int32_t i, const char *a, char16 *v)
{
    (void)s; (void)l; (void)i; (void)a; (void)v;
    return kResultFalse;
}
static tresult units_has_pitch(void *s, int32_t l, int32_t i) { (void)s; (void)l; (void)i; return kResultFalse; }
static tresult units_pitch_name(void *s, int32_t l, int32_t i, int16_t pitch, char16 *name)
{
    (void)s; (void)l; (void)i; (void)pitch; (void)name;
    return kResultFalse;
}
static int32_t units_selected(void *s) { (void)s; return 0; }
static tresult units_select(void *s, int32_t unit) { (void)s; (void)unit; return kResultFalse; }
static tresult units_by_bus(void *s, int32_t t, int32_t d, int32_t b, int32_t ch, int32_t *unit)
{
    (void)s; (void)t; (void)d; (void)b; (void)ch; (void)unit;
    return kResultFalse;
}
static tresult units_set_data(void *s, int32_t l, int32_t i, void *data) { (void)s; (void)l; (void)i; (void)data; return kResultFalse; }

static const UnitInfoVtbl units_vtbl = {
    units_query, units_add_ref, units_release, units_count, units_info, units_list_count, units_list_info,
    units_program_name, units_program_info, units_has_pitch, units_pitch_name, units_selected, units_select,
    units_by_bus, units_set_data,
};

/* --- IConnectionPoint (split classes only) */
static tresult conn_connect(void *s, void *other)
{
    if (!other) return kInvalidArgument;
    FROM(s, connection)->peer = other;
    return kResultOk;
}

static tresult conn_disconnect(void *s, void *other)
{
    Plugin *p = FROM(s, connection);
    if (p->peer != other) return kResultFalse;
    p->peer = NULL;
    return kResultOk;
}

static tresult conn_notify(void *s, void *message) { (void)s; (void)message; return kResultOk; }

static const ConnectionVtbl connection_vtbl = {
    conn_query, conn_add_ref, conn_release, conn_connect, conn_disconnect, conn_notify,
};

/* ---------------------------------------------------------------- the factory */
static const FactoryVtbl *g_factory;

static tresult fact_query(void *s, const char *iid, void **obj)
{
    if (same_iid(iid, FUNKNOWN_IID) || same_iid(iid, FACTORY_IID) || same_iid(iid, FACTORY2_IID)
        || same_iid(iid, FACTORY3_IID)) {
        *obj = s;
        return kResultOk;
    }
    *obj = NULL;
    return kNoInterface;
}

static uint32_t fact_ref(void *s) { (void)s; return 1; } /* static object: no counting needed */

static tresult fact_info(void *s, PFactoryInfo *info)
{
    (void)s;
    memset(info, 0, sizeof *info);
    copy_str(info->vendor, sizeof info->vendor, g.vendor);
    copy_str(info->url, sizeof info->url, g.url);
    copy_str(info->email, sizeof info->email, g.email);
    info->flags = kUnicodeFactory;
    return kResultOk;
}

/* Factory class indexes: every configured class, then one controller class per split class. */
static int32_t fact_count(void *s)
{
    (void)s;
    int n = g.nclasses;
    for (int i = 0; i < g.nclasses; i++) n += g.classes[i].split;
    return n;
}

/* The class at a factory index; *controller says whether it is that class's controller class. */
static ClassSpec *class_at(int32_t index, int *controller)
{
    *controller = 0;
    if (index < 0) return NULL;
    if (index < g.nclasses) return &g.classes[index];
    for (int i = 0, k = g.nclasses; i < g.nclasses; i++)
        if (g.classes[i].split && k++ == index) { *controller = 1; return &g.classes[i]; }
    return NULL;
}

static const char *category_of(int controller) { return controller ? "Component Controller Class" : "Audio Module Class"; }

static tresult fact_class_info(void *s, int32_t index, PClassInfo *info)
{
    int controller;
    ClassSpec *c = class_at(index, &controller);
    (void)s;
    if (!c || !info) return kInvalidArgument;
    reach_stage(c, STAGE_CLASSINFO);
    memset(info, 0, sizeof *info);
    memcpy(info->cid, controller ? c->controller_cid : c->cid, 16);
    info->cardinality = kManyInstances;
    copy_str(info->category, sizeof info->category, category_of(controller));
    copy_str(info->name, sizeof info->name, c->name);
    return kResultOk;
}

static tresult fact_class_info2(void *s, int32_t index, PClassInfo2 *info)
{
    int controller;
    ClassSpec *c = class_at(index, &controller);
    if (!c || !info) return kInvalidArgument;
    memset(info, 0, sizeof *info);
    fact_class_info(s, index, (PClassInfo *)info); /* PClassInfo2 starts with a PClassInfo */
    copy_str(info->subCategories, sizeof info->subCategories, c->subcategories);
    copy_str(info->vendor, sizeof info->vendor, c->vendor[0] ? c->vendor : g.vendor);
    copy_str(info->version, sizeof info->version, c->version);
    copy_str(info->sdkVersion, sizeof info->sdkVersion, c->sdk_version);
    return kResultOk;
}

static tresult fact_class_info_w(void *s, int32_t index, PClassInfoW *info)
{
    int controller;
    ClassSpec *c = class_at(index, &controller);
    (void)s;
    if (!c || !info) return kInvalidArgument;
    reach_stage(c, STAGE_CLASSINFO);
    memset(info, 0, sizeof *info);
    memcpy(info->cid, controller ? c->controller_cid : c->cid, 16);
    info->cardinality = kManyInstances;
    copy_str(info->category, sizeof info->category, category_of(controller));
    to_utf16(info->name, 64, c->name);
    copy_str(info->subCategories, sizeof info->subCategories, c->subcategories);
    to_utf16(info->vendor, 64, c->vendor[0] ? c->vendor : g.vendor);
    to_utf16(info->version, 64, c->version);
    to_utf16(info->sdkVersion, 64, c->sdk_version);
    return kResultOk;
}

static tresult fact_create(void *s, const char *cid, const char *iid, void **obj)
{
    (void)s;
    *obj = NULL;
    for (int i = 0; i < g.nclasses; i++) {
        ClassSpec *c = &g.classes[i];
        int role = !c->split ? ROLE_BOTH : memcmp(cid, c->cid, 16) == 0 ? ROLE_COMPONENT : ROLE_CONTROLLER;
        if (memcmp(cid, c->cid, 16) != 0 && !(c->split && memcmp(cid, c->controller_cid, 16) == 0)) continue;
        reach_stage(c, STAGE_FACTORY);
        Plugin *p = plugin_new(c, role);
        if (!p) return kResultFalse;
        tresult r = plugin_query(p, iid, obj);
        plugin_release(p); /* the reference queryInterface added is the caller's */
        return r;
    }
    return kInvalidArgument;
}

static tresult fact_host_context(void *s, void *context) { (void)s; (void)context; return kResultOk; }

static const FactoryVtbl factory_vtbl = {
    fact_query, fact_ref, fact_ref, fact_info, fact_count, fact_class_info, fact_create,
    fact_class_info2, fact_class_info_w, fact_host_context,
};

/* ---------------------------------------------------------------- exports */
EXPORT int ModuleEntry(void *handle) { (void)handle; module_load(); return 1; }
EXPORT int ModuleExit(void) { return 1; }

EXPORT void *GetPluginFactory(void)
{
    module_load();
    if (g.nclasses == 0) return NULL; /* no (readable) resource file: a module without a factory */
    g_factory = &factory_vtbl;
    return (void *)&g_factory;
}
