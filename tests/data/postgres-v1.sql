--
-- PostgreSQL database dump
--

\restrict LsNu7hMfJ7Wouj0AbN7ASxfJJcteGc92Is1qBLC4ornGRuYTNU16Sj3jrGrv4Vs

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.failures (
    host text NOT NULL,
    path text NOT NULL,
    format text NOT NULL,
    fingerprint text NOT NULL,
    kind text NOT NULL,
    message text NOT NULL,
    signal integer,
    exit_code integer,
    attempts integer NOT NULL,
    first_seen text NOT NULL,
    last_seen text NOT NULL
);


--
-- Name: file_plugins; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.file_plugins (
    host text NOT NULL,
    path text NOT NULL,
    plugin_id text NOT NULL
);


--
-- Name: files; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.files (
    host text NOT NULL,
    path text NOT NULL,
    format text NOT NULL,
    size bigint NOT NULL,
    mtime_ns bigint NOT NULL,
    fingerprint text NOT NULL
);


--
-- Name: hosts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hosts (
    name text NOT NULL,
    os text DEFAULT ''::text NOT NULL,
    first_seen text NOT NULL,
    last_scanned text DEFAULT ''::text NOT NULL
);


--
-- Name: metadata; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.metadata (
    key text NOT NULL,
    value text NOT NULL
);


--
-- Name: plugin_copies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.plugin_copies (
    host text NOT NULL,
    plugin_id text NOT NULL,
    path text NOT NULL,
    record text NOT NULL
);


--
-- Name: plugins; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.plugins (
    pk bigint NOT NULL,
    host text NOT NULL,
    id text NOT NULL,
    format text NOT NULL,
    name text NOT NULL,
    vendor text NOT NULL,
    path text NOT NULL,
    version text NOT NULL,
    is_instrument boolean NOT NULL,
    is_effect boolean NOT NULL,
    scanned_at text NOT NULL,
    category text NOT NULL,
    categories text[] NOT NULL,
    category_keys text[] NOT NULL,
    param_count integer NOT NULL,
    param_names text[] NOT NULL,
    param_keys text[] NOT NULL,
    base_search tsvector NOT NULL,
    search tsvector NOT NULL,
    data text NOT NULL,
    packed bytea NOT NULL
);


--
-- Name: plugins_pk_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.plugins_pk_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: plugins_pk_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.plugins_pk_seq OWNED BY public.plugins.pk;


--
-- Name: runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runs (
    id bigint NOT NULL,
    host text NOT NULL,
    started_at text NOT NULL,
    data text NOT NULL
);


--
-- Name: runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.runs_id_seq OWNED BY public.runs.id;


--
-- Name: user_categories; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_categories (
    plugin_id text NOT NULL,
    name text NOT NULL,
    confidence double precision NOT NULL,
    changed_at text NOT NULL
);


--
-- Name: user_tags; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_tags (
    plugin_id text NOT NULL,
    tag text NOT NULL,
    changed_at text NOT NULL
);


--
-- Name: plugins pk; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plugins ALTER COLUMN pk SET DEFAULT nextval('public.plugins_pk_seq'::regclass);


--
-- Name: runs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runs ALTER COLUMN id SET DEFAULT nextval('public.runs_id_seq'::regclass);


--
-- Data for Name: failures; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.failures VALUES ('studio-1', '/usr/lib/vst3/Crashes.vst3', 'vst3', 'v2', 'crash', '', 11, NULL, 1, '2025-02-01T10:00:00', '2025-02-01T10:00:00');
INSERT INTO public.failures VALUES ('studio-1', '/usr/lib/vst3/Hangs.vst3', 'vst3', 'v2', 'timeout', '', NULL, NULL, 1, '2025-02-02T10:00:00', '2025-02-02T10:00:00');


--
-- Data for Name: file_plugins; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.file_plugins VALUES ('studio-1', '/usr/lib/vst3/ZamShell.vst3', 'vst3:11111111111111111111111111111111');
INSERT INTO public.file_plugins VALUES ('studio-1', '/usr/lib/vst3/ZamShell.vst3', 'vst3:22222222222222222222222222222222');
INSERT INTO public.file_plugins VALUES ('studio-1', '/plugins/vst3/pro-q-3.vst3', 'vst3:33333333333333333333333333333333');
INSERT INTO public.file_plugins VALUES ('studio-1', '/plugins/au/pro-q-3.au', 'au:aufx:pq3:fabf');
INSERT INTO public.file_plugins VALUES ('studio-1', '/plugins/lv2/dynamic-compressor.lv2', 'lv2:urn:x42:dpl');
INSERT INTO public.file_plugins VALUES ('studio-1', '/usr/local/lib/lv2/dynamic-compressor.lv2', 'lv2:urn:x42:dpl');
INSERT INTO public.file_plugins VALUES ('studio-2', '/plugins/vst3/pro-q-3.vst3', 'vst3:33333333333333333333333333333333');
INSERT INTO public.file_plugins VALUES ('studio-2', '/plugins/lv2/dynamic-compressor.lv2', 'lv2:urn:x42:dpl');


--
-- Data for Name: files; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.files VALUES ('studio-1', '/usr/lib/vst3/ZamShell.vst3', 'vst3', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-1', '/plugins/vst3/pro-q-3.vst3', 'vst3', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-1', '/plugins/au/pro-q-3.au', 'au', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-1', '/plugins/lv2/dynamic-compressor.lv2', 'lv2', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-1', '/usr/local/lib/lv2/dynamic-compressor.lv2', 'lv2', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-2', '/plugins/vst3/pro-q-3.vst3', 'vst3', 1000, 1, 'v1');
INSERT INTO public.files VALUES ('studio-2', '/plugins/lv2/dynamic-compressor.lv2', 'lv2', 1000, 1, 'v1');


--
-- Data for Name: hosts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.hosts VALUES ('studio-1', '', '2026-12-02T03:22:51+00:00', '');
INSERT INTO public.hosts VALUES ('studio-2', '', '2026-12-02T03:22:52+00:00', '2026-12-02T03:22:52+00:00');


--
-- Data for Name: metadata; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.metadata VALUES ('application', 'pluginary');
INSERT INTO public.metadata VALUES ('schema_version', '1');


--
-- Data for Name: plugin_copies; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.plugin_copies VALUES ('studio-1', 'lv2:urn:x42:dpl', '/plugins/lv2/dynamic-compressor.lv2', '{"id":"lv2:urn:x42:dpl","format":"lv2","name":"Dynamic Compressor","path":"/plugins/lv2/dynamic-compressor.lv2","vendor":"x42","version":"1.2.3","native_categories":["Effect|Dynamics"],"is_instrument":false,"is_effect":true,"categories":[{"name":"Effect/Dynamics","source":"native","confidence":0.9}],"tags":[],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"","parameters":[{"index":0,"name":"Threshold","kind":"float","units":"","default":0.1,"minimum":0.0,"maximum":1.0,"default_text":"0","minimum_text":"","maximum_text":"","num_steps":null,"choices":[],"automatable":true,"id":"","flags":[]}],"scanned_at":"2025-01-01T00:00:00+00:00","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}');


--
-- Data for Name: plugins; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.plugins VALUES (2, 'studio-1', 'vst3:22222222222222222222222222222222', 'vst3', 'ZamDelay', 'Damien Zammit', '/usr/lib/vst3/ZamShell.vst3', '1.2.3', false, true, '2025-01-01T00:00:00+00:00', 'Effect/Favourites', '{Effect/Favourites,Effect/Delay}', '{effect,effect/delay,effect/favourites}', 1, '{Time}', '{time}', '''damien'':3B ''delay'':9C,11C ''effect'':6C,8C,10C ''favourites'':7C ''time'':13 ''zamdelay'':1A ''zammit'':4B', '''damien'':3B ''delay'':9C,11C ''effect'':6C,8C,10C ''favourites'':7C ''time'':13 ''zamdelay'':1A ''zammit'':4B', '{"version":"1.2.3","native_categories":["Effect|Delay"],"categories":[{"name":"Effect/Delay","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"3.7.9","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410ac230104573246fd04bb82f6333d5c14c226402bd8575a9ab5a1282d80bb8135cf6321ec1daf66d3ebcc7bf9c9f10c43108ec0c7e72757054a16fb3c61a8291b1785dffdc865594828ddc37a936b0f76d4fba4b6435362a1ea79db403c90c0d71e0b1f8aa996115f3b9cb4c76ce4b546a58c592a305c6b825c6870d5c7ac1937fa760497cf703d9304bd0');
INSERT INTO public.plugins VALUES (4, 'studio-1', 'au:aufx:pq3:fabf', 'au', 'Pro-Q 3', 'FabFilter', '/plugins/au/pro-q-3.au', '1.2.3', false, true, '2025-01-01T00:00:00+00:00', 'Effect/EQ', '{Effect/EQ}', '{effect,effect/eq}', 1, '{Gain}', '{gain}', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C ''fabfilter'':5B ''gain'':12 ''pro'':1A ''q'':2A', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C ''fabfilter'':5B ''gain'':12 ''pro'':1A ''q'':2A', '{"version":"1.2.3","native_categories":["Effect|EQ"],"categories":[{"name":"Effect/EQ","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410ac230104573246f5070e331cad84c7530930a99406e615deaaa2d2941ec05dc092e7b198f606dfb361fdee35f2f4ff0523108ec0d7e5271aca84057278d25782363f6bafdb90fabc80583b49bbe3470707547bae9c96a0c2a9ea69d7405921802b1e731fbaa996115f3b9494c76ce4b546a58c592a305c6b803b20feb39778267f7eebd25719ddefe0070644c68');
INSERT INTO public.plugins VALUES (1, 'studio-1', 'vst3:11111111111111111111111111111111', 'vst3', 'ZamEQ2', 'Damien Zammit', '/usr/lib/vst3/ZamShell.vst3', '1.2.3', false, true, '2025-01-01T00:00:00+00:00', 'Effect/EQ', '{Effect/EQ}', '{effect,effect/eq}', 1, '{Boost}', '{boost}', '''boost'':11 ''damien'':3B ''effect'':6C,8C ''eq'':7C,9C ''zameq2'':1A ''zammit'':4B', '''boost'':11 ''damien'':3B ''effect'':6C,8C ''eq'':7C,9C ''surgical'':12C ''zameq2'':1A ''zammit'':4B', '{"version":"1.2.3","native_categories":["Effect|EQ"],"categories":[{"name":"Effect/EQ","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"3.7.9","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410ac230104573246f50f022656ca71acc24c24c20b7b02e75154b43107b017782cb5ec62358dbbecd87f7f897f313bc3802819dc14fae0e4e57c86daeb1016f642c5ed73fb76115a56090fb263506f6dc76ba8e49db1a83ea8fd34eda816482a0c9d3587cd5ccb08af91c33693be7252a35ac62c9bd05c2b4758ee5613d952c78e277f2560bc71f252c4c49');
INSERT INTO public.plugins VALUES (3, 'studio-1', 'vst3:33333333333333333333333333333333', 'vst3', 'Pro-Q 3', 'FabFilter', '/plugins/vst3/pro-q-3.vst3', '1.2.3', false, true, '2025-01-01T00:00:00+00:00', 'Effect/EQ', '{Effect/EQ}', '{effect,effect/eq}', 1, '{Gain}', '{gain}', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C ''fabfilter'':5B ''gain'':12 ''pro'':1A ''q'':2A', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C,13C ''fabfilter'':5B ''gain'':12 ''mixing'':14C ''pro'':1A ''q'':2A', '{"version":"1.2.3","native_categories":["Effect|EQ"],"categories":[{"name":"Effect/EQ","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"3.7.9","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410ac230104573246f5070e331cad84c7530930a99406e615deaaa2d2941ec05dc092e7b198f606dfb361fdee35f2f4ff0523108ec0d7e5271aca84057278d25782363f6bafdb90fabc80583b49bbe3470707547bae9c96a0c2a9ea69d7405921802b1e731fbaa996115f3b9494c76ce4b546a58c592a305c6b803b20feb39778267f7eebd25719ddefe0070644c68');
INSERT INTO public.plugins VALUES (6, 'studio-1', 'lv2:urn:x42:dpl', 'lv2', 'Dynamic Compressor', 'x42', '/usr/local/lib/lv2/dynamic-compressor.lv2', '2.0', false, true, '2025-01-01T00:00:00+00:00', 'Effect/Dynamics', '{Effect/Dynamics}', '{effect,effect/dynamics}', 1, '{Threshold}', '{threshold}', '''compressor'':2A ''dynamic'':1A ''dynamics'':7C,9C ''effect'':6C,8C ''threshold'':11 ''x42'':4B', '''compressor'':2A ''dynamic'':1A ''dynamics'':7C,9C ''effect'':6C,8C ''mixing'':12C ''threshold'':11 ''x42'':4B', '{"version":"2.0","native_categories":["Effect|Dynamics"],"categories":[{"name":"Effect/Dynamics","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410e823010457b246fc025dc93910ed2d8698d9d26bd85b8d4151a9a86d80bb83371c9653c8208bccd4fdecbbf9c9fe0d91230ec347e52d55855a16b93c41abce6b1785dffdcf22a4ac6c0f74dac35ec5dfb50b28bca480ca23f4c3b690b9c0882224f63f115337915f3b94ba4cc9c9728445ec5927b0384c3b639a16bac9683f1543ac6a37b476f14bbee0755ce4df3');
INSERT INTO public.plugins VALUES (7, 'studio-2', 'vst3:33333333333333333333333333333333', 'vst3', 'Pro-Q 3', 'FabFilter', '/plugins/vst3/pro-q-3.vst3', '3.1', false, true, '2025-01-01T00:00:00+00:00', 'Effect/EQ', '{Effect/EQ}', '{effect,effect/eq}', 1, '{Gain}', '{gain}', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C ''fabfilter'':5B ''gain'':12 ''pro'':1A ''q'':2A', '''3'':3A ''effect'':7C,9C ''eq'':8C,10C,13C ''fabfilter'':5B ''gain'':12 ''mixing'':14C ''pro'':1A ''q'':2A', '{"version":"3.1","native_categories":["Effect|EQ"],"categories":[{"name":"Effect/EQ","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"3.7.9","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410ac230104573246f5070e331cad84c7530930a99406e615deaaa2d2941ec05dc092e7b198f606dfb361fdee35f2f4ff0523108ec0d7e5271aca84057278d25782363f6bafdb90fabc80583b49bbe3470707547bae9c96a0c2a9ea69d7405921802b1e731fbaa996115f3b9494c76ce4b546a58c592a305c6b803b20feb39778267f7eebd25719ddefe0070644c68');
INSERT INTO public.plugins VALUES (8, 'studio-2', 'lv2:urn:x42:dpl', 'lv2', 'Dynamic Compressor', 'x42', '/plugins/lv2/dynamic-compressor.lv2', '1.2.3', false, true, '2025-01-01T00:00:00+00:00', 'Effect/Dynamics', '{Effect/Dynamics}', '{effect,effect/dynamics}', 1, '{Threshold}', '{threshold}', '''compressor'':2A ''dynamic'':1A ''dynamics'':7C,9C ''effect'':6C,8C ''threshold'':11 ''x42'':4B', '''compressor'':2A ''dynamic'':1A ''dynamics'':7C,9C ''effect'':6C,8C ''mixing'':12C ''threshold'':11 ''x42'':4B', '{"version":"1.2.3","native_categories":["Effect|Dynamics"],"categories":[{"name":"Effect/Dynamics","source":"native","confidence":0.9}],"io":{"audio_inputs":2,"audio_outputs":2,"midi_inputs":null,"midi_outputs":null,"aux_inputs":null,"aux_outputs":null},"latency":64,"sdk":"","scanner_version":"0.1.0","host":{"name":"studio","os":"linux"},"outputs":[],"reader":"","url":"","description":""}', '\x78012d8b410e823010457b246fc025dc93910ed2d8698d9d26bd85b8d4151a9a86d80bb83371c9653c8208bccd4fdecbbf9c9fe0d91230ec347e52d55855a16b93c41abce6b1785dffdcf22a4ac6c0f74dac35ec5dfb50b28bca480ca23f4c3b690b9c0882224f63f115337915f3b94ba4cc9c9728445ec5927b0384c3b639a16bac9683f1543ac6a37b476f14bbee0755ce4df3');


--
-- Data for Name: runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.runs VALUES (1, 'studio-1', '2025-02-01T10:00:00', '{"started_at": "2025-02-01T10:00:00", "pipeline": "full", "seconds": 3.5, "stored": 6}');
INSERT INTO public.runs VALUES (2, 'studio-1', '2025-02-02T10:00:00', '{"started_at": "2025-02-02T10:00:00", "pipeline": "scan", "seconds": 0.5}');


--
-- Data for Name: user_categories; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_categories VALUES ('vst3:22222222222222222222222222222222', 'Effect/Favourites', 1, '2026-12-02T03:22:51+00:00');


--
-- Data for Name: user_tags; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_tags VALUES ('vst3:11111111111111111111111111111111', 'surgical', '2026-12-02T03:22:51+00:00');
INSERT INTO public.user_tags VALUES ('vst3:33333333333333333333333333333333', 'mixing', '2026-12-02T03:22:51+00:00');
INSERT INTO public.user_tags VALUES ('vst3:33333333333333333333333333333333', 'eq', '2026-12-02T03:22:51+00:00');
INSERT INTO public.user_tags VALUES ('lv2:urn:x42:dpl', 'mixing', '2026-12-02T03:22:52+00:00');


--
-- Name: plugins_pk_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.plugins_pk_seq', 8, true);


--
-- Name: runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.runs_id_seq', 2, true);


--
-- Name: failures failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.failures
    ADD CONSTRAINT failures_pkey PRIMARY KEY (host, path);


--
-- Name: file_plugins file_plugins_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.file_plugins
    ADD CONSTRAINT file_plugins_pkey PRIMARY KEY (host, path, plugin_id);


--
-- Name: files files_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.files
    ADD CONSTRAINT files_pkey PRIMARY KEY (host, path);


--
-- Name: hosts hosts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hosts
    ADD CONSTRAINT hosts_pkey PRIMARY KEY (name);


--
-- Name: metadata metadata_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.metadata
    ADD CONSTRAINT metadata_pkey PRIMARY KEY (key);


--
-- Name: plugin_copies plugin_copies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plugin_copies
    ADD CONSTRAINT plugin_copies_pkey PRIMARY KEY (host, plugin_id, path);


--
-- Name: plugins plugins_host_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plugins
    ADD CONSTRAINT plugins_host_id_key UNIQUE (host, id);


--
-- Name: plugins plugins_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.plugins
    ADD CONSTRAINT plugins_pkey PRIMARY KEY (pk);


--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);


--
-- Name: user_categories user_categories_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_categories
    ADD CONSTRAINT user_categories_pkey PRIMARY KEY (plugin_id, name);


--
-- Name: plugin_copies_path; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugin_copies_path ON public.plugin_copies USING btree (host, path);


--
-- Name: plugins_category_keys; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_category_keys ON public.plugins USING gin (category_keys);


--
-- Name: plugins_format; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_format ON public.plugins USING btree (format);


--
-- Name: plugins_host_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_host_name ON public.plugins USING btree (host, lower((name COLLATE "C")), id);


--
-- Name: plugins_host_path; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_host_path ON public.plugins USING btree (host, path);


--
-- Name: plugins_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_id ON public.plugins USING btree (id);


--
-- Name: plugins_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_name ON public.plugins USING btree (lower((name COLLATE "C")), id);


--
-- Name: plugins_param_keys; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_param_keys ON public.plugins USING gin (param_keys);


--
-- Name: plugins_params; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_params ON public.plugins USING btree (param_count);


--
-- Name: plugins_search; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_search ON public.plugins USING gin (search);


--
-- Name: plugins_vendor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX plugins_vendor ON public.plugins USING btree (lower((vendor COLLATE "C")));


--
-- Name: runs_host; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX runs_host ON public.runs USING btree (host, started_at);


--
-- Name: user_tags_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX user_tags_key ON public.user_tags USING btree (plugin_id, lower((tag COLLATE "C")));


--
-- Name: user_tags_tag; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_tags_tag ON public.user_tags USING btree (lower((tag COLLATE "C")), plugin_id);


--
-- PostgreSQL database dump complete
--

\unrestrict LsNu7hMfJ7Wouj0AbN7ASxfJJcteGc92Is1qBLC4ornGRuYTNU16Sj3jrGrv4Vs

