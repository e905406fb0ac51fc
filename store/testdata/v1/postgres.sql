--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

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

--
-- Name: hanbox_v1; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA hanbox_v1;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: agents; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.agents (
    id bigint NOT NULL,
    email character varying(320) NOT NULL,
    name character varying(255),
    role character varying(16) NOT NULL,
    password_hash character varying(255),
    active boolean DEFAULT true NOT NULL,
    locale character varying(35),
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: agents_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.agents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: agents_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.agents_id_seq OWNED BY hanbox_v1.agents.id;


--
-- Name: attachments; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.attachments (
    id bigint NOT NULL,
    message_id bigint NOT NULL,
    sha256 character varying(64) NOT NULL,
    name character varying(255),
    content_type character varying(255),
    size bigint,
    content_id character varying(255),
    inline boolean,
    created_at timestamp with time zone
);


--
-- Name: attachments_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.attachments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: attachments_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.attachments_id_seq OWNED BY hanbox_v1.attachments.id;


--
-- Name: channel_states; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.channel_states (
    channel_id bigint NOT NULL,
    key character varying(255) NOT NULL,
    value text,
    updated_at timestamp with time zone
);


--
-- Name: channels; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.channels (
    id bigint NOT NULL,
    kind character varying(32) NOT NULL,
    name character varying(255) NOT NULL,
    public_key character varying(64) NOT NULL,
    token_hash character varying(64),
    settings text,
    secrets text,
    enabled boolean DEFAULT true NOT NULL,
    status character varying(32),
    last_error text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: channels_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.channels_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: channels_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.channels_id_seq OWNED BY hanbox_v1.channels.id;


--
-- Name: contacts; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.contacts (
    id bigint NOT NULL,
    name character varying(255),
    email character varying(320),
    locale character varying(35),
    merged_into bigint,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: contacts_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.contacts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: contacts_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.contacts_id_seq OWNED BY hanbox_v1.contacts.id;


--
-- Name: identities; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.identities (
    id bigint NOT NULL,
    contact_id bigint NOT NULL,
    kind character varying(32) NOT NULL,
    value character varying(320) NOT NULL,
    verified boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone
);


--
-- Name: identities_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.identities_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: identities_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.identities_id_seq OWNED BY hanbox_v1.identities.id;


--
-- Name: messages; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.messages (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    direction character varying(16) NOT NULL,
    author_type character varying(16) NOT NULL,
    author_id bigint,
    channel_id bigint NOT NULL,
    external_id character varying(512),
    text text,
    html text,
    meta text,
    delivery_status character varying(16),
    delivery_error text,
    edited_at timestamp with time zone,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone
);


--
-- Name: messages_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.messages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: messages_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.messages_id_seq OWNED BY hanbox_v1.messages.id;


--
-- Name: outboxes; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.outboxes (
    id bigint NOT NULL,
    channel_id bigint NOT NULL,
    message_id bigint,
    ticket_id bigint NOT NULL,
    purpose character varying(16) NOT NULL,
    payload text,
    status character varying(16) NOT NULL,
    attempts bigint DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    locked_until timestamp with time zone,
    last_error text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: outboxes_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.outboxes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: outboxes_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.outboxes_id_seq OWNED BY hanbox_v1.outboxes.id;


--
-- Name: quarantines; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.quarantines (
    id bigint NOT NULL,
    channel_id bigint NOT NULL,
    external_id character varying(512),
    reason text,
    raw bytea,
    size bigint,
    resolved boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone
);


--
-- Name: quarantines_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.quarantines_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: quarantines_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.quarantines_id_seq OWNED BY hanbox_v1.quarantines.id;


--
-- Name: saved_replies; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.saved_replies (
    id bigint NOT NULL,
    name character varying(255) NOT NULL,
    body text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: saved_replies_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.saved_replies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: saved_replies_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.saved_replies_id_seq OWNED BY hanbox_v1.saved_replies.id;


--
-- Name: schema_migrations; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.schema_migrations (
    version bigint NOT NULL,
    name text,
    applied_at timestamp with time zone
);


--
-- Name: search_docs; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.search_docs (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    tsv tsvector NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.sessions (
    id bigint NOT NULL,
    token_hash character varying(64) NOT NULL,
    agent_id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    name character varying(255),
    expires_at timestamp with time zone,
    last_used timestamp with time zone,
    created_at timestamp with time zone
);


--
-- Name: sessions_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.sessions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sessions_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.sessions_id_seq OWNED BY hanbox_v1.sessions.id;


--
-- Name: thread_keys; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.thread_keys (
    key character varying(512) NOT NULL,
    ticket_id bigint NOT NULL,
    created_at timestamp with time zone
);


--
-- Name: ticket_tags; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.ticket_tags (
    ticket_id bigint NOT NULL,
    tag character varying(64) NOT NULL
);


--
-- Name: tickets; Type: TABLE; Schema: hanbox_v1; Owner: -
--

CREATE TABLE hanbox_v1.tickets (
    id bigint NOT NULL,
    public_id character varying(32) NOT NULL,
    reply_token character varying(32) NOT NULL,
    subject character varying(998),
    status character varying(16) NOT NULL,
    snoozed_until timestamp with time zone,
    priority character varying(16) NOT NULL,
    assignee_id bigint,
    team character varying(64),
    contact_id bigint NOT NULL,
    channel_id bigint NOT NULL,
    last_channel_id bigint NOT NULL,
    first_response_at timestamp with time zone,
    last_customer_at timestamp with time zone,
    last_agent_at timestamp with time zone,
    last_message_at timestamp with time zone NOT NULL,
    message_count bigint DEFAULT 0 NOT NULL,
    version bigint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: tickets_id_seq; Type: SEQUENCE; Schema: hanbox_v1; Owner: -
--

CREATE SEQUENCE hanbox_v1.tickets_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tickets_id_seq; Type: SEQUENCE OWNED BY; Schema: hanbox_v1; Owner: -
--

ALTER SEQUENCE hanbox_v1.tickets_id_seq OWNED BY hanbox_v1.tickets.id;


--
-- Name: agents id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.agents ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.agents_id_seq'::regclass);


--
-- Name: attachments id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.attachments ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.attachments_id_seq'::regclass);


--
-- Name: channels id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.channels ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.channels_id_seq'::regclass);


--
-- Name: contacts id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.contacts ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.contacts_id_seq'::regclass);


--
-- Name: identities id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.identities ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.identities_id_seq'::regclass);


--
-- Name: messages id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.messages ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.messages_id_seq'::regclass);


--
-- Name: outboxes id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.outboxes ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.outboxes_id_seq'::regclass);


--
-- Name: quarantines id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.quarantines ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.quarantines_id_seq'::regclass);


--
-- Name: saved_replies id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.saved_replies ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.saved_replies_id_seq'::regclass);


--
-- Name: sessions id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.sessions ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.sessions_id_seq'::regclass);


--
-- Name: tickets id; Type: DEFAULT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.tickets ALTER COLUMN id SET DEFAULT nextval('hanbox_v1.tickets_id_seq'::regclass);


--
-- Data for Name: agents; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.agents VALUES (1, 'admin@example.com', '관리자', 'admin', '$argon2id$v=19$m=65536,t=3,p=2$9Ak0v6AGGMqfYNkKlk57Bw$gpD7NjkGkX3Wy+uKa0PyCqI+vAuDD3t323gia1iM1f4', true, 'ko', '2026-12-02 14:24:01.779394+00', '2026-12-02 14:24:01.779394+00');


--
-- Data for Name: attachments; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.attachments VALUES (1, 1, '6f32860910ca0fb2a20c7fda143666b09dbf8db5238195c90a586fb542ff0cad', '영수증.txt', 'text/plain', 7, '', false, '2026-12-02 14:24:01.791248+00');


--
-- Data for Name: channel_states; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.channel_states VALUES (1, 'cursor', '42', '2026-12-02 14:24:01.808903+00');


--
-- Data for Name: channels; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.channels VALUES (1, 'api', 'API 채널', 'v1fixturekey', '', '{"webhook_url":"http://127.0.0.1:9/hook"}', '{}', true, '', '', '2026-12-02 14:24:01.781167+00', '2026-12-02 14:24:01.781167+00');


--
-- Data for Name: contacts; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.contacts VALUES (1, '김민수', 'minsu@example.com', '', NULL, '2026-12-02 14:24:01.78949+00', '2026-12-02 14:24:01.78949+00');


--
-- Data for Name: identities; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.identities VALUES (1, 1, 'api', '1/cust-1', true, '2026-12-02 14:24:01.790108+00');
INSERT INTO hanbox_v1.identities VALUES (2, 1, 'email', 'minsu@example.com', true, '2026-12-02 14:24:01.790974+00');


--
-- Data for Name: messages; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.messages VALUES (1, 1, 'inbound', 'contact', 1, 1, 'm-1', '주문번호 A-1234 배송이 아직 안 왔어요', '', '{}', '', '', NULL, NULL, '2026-12-02 14:24:01.791248+00');
INSERT INTO hanbox_v1.messages VALUES (2, 1, 'inbound', 'contact', 1, 1, 'm-2', 'refund please', '', '{}', '', '', NULL, NULL, '2026-12-02 14:24:01.797311+00');
INSERT INTO hanbox_v1.messages VALUES (3, 1, 'outbound', 'agent', 1, 1, NULL, '확인해 보겠습니다', '', '{}', 'queued', '', NULL, NULL, '2026-12-02 14:24:01.800475+00');
INSERT INTO hanbox_v1.messages VALUES (4, 1, 'note', 'agent', 1, 1, NULL, '내부 메모', '', '{}', '', '', NULL, NULL, '2026-12-02 14:24:01.803027+00');
INSERT INTO hanbox_v1.messages VALUES (5, 1, 'system', 'system', 1, 1, NULL, 'tags', '', '{"agent_id":1,"changes":["tags"]}', '', '', NULL, NULL, '2026-12-02 14:24:01.805954+00');


--
-- Data for Name: outboxes; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.outboxes VALUES (1, 1, 3, 1, 'reply', '{}', 'pending', 0, '2026-12-02 14:24:01.800475+00', NULL, '', '2026-12-02 14:24:01.800895+00', '2026-12-02 14:24:01.800895+00');


--
-- Data for Name: quarantines; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.quarantines VALUES (1, 1, 'bad-1', 'unparseable', '\x6a756e6b00726177', 8, false, '2026-12-02 14:24:01.807944+00');


--
-- Data for Name: saved_replies; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.saved_replies VALUES (1, '인사', '안녕하세요 {{contact.name}}님', '2026-12-02 14:24:01.782373+00', '2026-12-02 14:24:01.782373+00');


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.schema_migrations VALUES (1, 'core tables', '2026-12-02 14:24:01.516476+00');
INSERT INTO hanbox_v1.schema_migrations VALUES (2, 'search index', '2026-12-02 14:24:01.52574+00');
INSERT INTO hanbox_v1.schema_migrations VALUES (3, 'list indexes', '2026-12-02 14:24:01.531669+00');


--
-- Data for Name: search_docs; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.search_docs VALUES (3, 1, '''1'':8,10 ''com'':7 ''cust'':9 ''example'':6 ''minsu'':5 ''김민'':3 ''문의'':2 ''민수'':4 ''배송'':1');
INSERT INTO hanbox_v1.search_docs VALUES (2, 1, '''1234'':5 ''a'':4 ''문번'':2 ''배송'':6 ''번호'':3 ''송이'':7 ''아직'':8 ''안'':9 ''어요'':11 ''왔어'':10 ''주문'':1');
INSERT INTO hanbox_v1.search_docs VALUES (4, 1, '''please'':2 ''refund'':1');
INSERT INTO hanbox_v1.search_docs VALUES (6, 1, '''겠습'':4 ''니다'':6 ''보겠'':3 ''습니'':5 ''인해'':2 ''확인'':1');
INSERT INTO hanbox_v1.search_docs VALUES (8, 1, '''내부'':1 ''메모'':2');


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.sessions VALUES (1, '02edeba0ce493d7f23eed0fd329f7fb500e5618e9ef94a62f9d21fba0ac0851a', 1, 'api', 'ci token', NULL, NULL, '2026-12-02 14:24:01.809644+00');


--
-- Data for Name: thread_keys; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.thread_keys VALUES ('token:ab33blz3t5kzmlns', 1, '2026-12-02 14:24:01.792492+00');
INSERT INTO hanbox_v1.thread_keys VALUES ('api:conv-1', 1, '2026-12-02 14:24:01.795309+00');


--
-- Data for Name: ticket_tags; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.ticket_tags VALUES (1, 'vip');
INSERT INTO hanbox_v1.ticket_tags VALUES (1, '배송');


--
-- Data for Name: tickets; Type: TABLE DATA; Schema: hanbox_v1; Owner: -
--

INSERT INTO hanbox_v1.tickets VALUES (1, 'girezhdjcxbpihmdn45wdywbye', 'ab33blz3t5kzmlns', '배송 문의', 'open', NULL, 'normal', 1, '', 1, 1, 1, '2026-12-02 14:24:01.800475+00', '2026-12-02 14:24:01.797311+00', '2026-12-02 14:24:01.800475+00', '2026-12-02 14:24:01.800475+00', 4, 5, '2026-12-02 14:24:01.791248+00', '2026-12-02 14:24:01.805954+00');


--
-- Name: agents_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.agents_id_seq', 1, true);


--
-- Name: attachments_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.attachments_id_seq', 1, true);


--
-- Name: channels_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.channels_id_seq', 1, true);


--
-- Name: contacts_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.contacts_id_seq', 1, true);


--
-- Name: identities_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.identities_id_seq', 2, true);


--
-- Name: messages_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.messages_id_seq', 5, true);


--
-- Name: outboxes_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.outboxes_id_seq', 1, true);


--
-- Name: quarantines_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.quarantines_id_seq', 1, true);


--
-- Name: saved_replies_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.saved_replies_id_seq', 1, true);


--
-- Name: sessions_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.sessions_id_seq', 1, true);


--
-- Name: tickets_id_seq; Type: SEQUENCE SET; Schema: hanbox_v1; Owner: -
--

SELECT pg_catalog.setval('hanbox_v1.tickets_id_seq', 1, true);


--
-- Name: agents agents_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.agents
    ADD CONSTRAINT agents_pkey PRIMARY KEY (id);


--
-- Name: attachments attachments_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.attachments
    ADD CONSTRAINT attachments_pkey PRIMARY KEY (id);


--
-- Name: channel_states channel_states_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.channel_states
    ADD CONSTRAINT channel_states_pkey PRIMARY KEY (channel_id, key);


--
-- Name: channels channels_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.channels
    ADD CONSTRAINT channels_pkey PRIMARY KEY (id);


--
-- Name: contacts contacts_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);


--
-- Name: identities identities_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.identities
    ADD CONSTRAINT identities_pkey PRIMARY KEY (id);


--
-- Name: messages messages_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);


--
-- Name: outboxes outboxes_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.outboxes
    ADD CONSTRAINT outboxes_pkey PRIMARY KEY (id);


--
-- Name: quarantines quarantines_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.quarantines
    ADD CONSTRAINT quarantines_pkey PRIMARY KEY (id);


--
-- Name: saved_replies saved_replies_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.saved_replies
    ADD CONSTRAINT saved_replies_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: search_docs search_docs_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.search_docs
    ADD CONSTRAINT search_docs_pkey PRIMARY KEY (id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);


--
-- Name: thread_keys thread_keys_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.thread_keys
    ADD CONSTRAINT thread_keys_pkey PRIMARY KEY (key);


--
-- Name: ticket_tags ticket_tags_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.ticket_tags
    ADD CONSTRAINT ticket_tags_pkey PRIMARY KEY (ticket_id, tag);


--
-- Name: tickets tickets_pkey; Type: CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.tickets
    ADD CONSTRAINT tickets_pkey PRIMARY KEY (id);


--
-- Name: idx_agents_email; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX idx_agents_email ON hanbox_v1.agents USING btree (email);


--
-- Name: idx_attachments_message_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_attachments_message_id ON hanbox_v1.attachments USING btree (message_id);


--
-- Name: idx_attachments_sha256; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_attachments_sha256 ON hanbox_v1.attachments USING btree (sha256);


--
-- Name: idx_channels_kind; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_channels_kind ON hanbox_v1.channels USING btree (kind);


--
-- Name: idx_channels_public_key; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX idx_channels_public_key ON hanbox_v1.channels USING btree (public_key);


--
-- Name: idx_contacts_merged_into; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_contacts_merged_into ON hanbox_v1.contacts USING btree (merged_into);


--
-- Name: idx_identities_contact_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_identities_contact_id ON hanbox_v1.identities USING btree (contact_id);


--
-- Name: idx_outboxes_channel_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_outboxes_channel_id ON hanbox_v1.outboxes USING btree (channel_id);


--
-- Name: idx_outboxes_message_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_outboxes_message_id ON hanbox_v1.outboxes USING btree (message_id);


--
-- Name: idx_outboxes_ticket_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_outboxes_ticket_id ON hanbox_v1.outboxes USING btree (ticket_id);


--
-- Name: idx_quarantines_channel_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_quarantines_channel_id ON hanbox_v1.quarantines USING btree (channel_id);


--
-- Name: idx_sessions_agent_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_sessions_agent_id ON hanbox_v1.sessions USING btree (agent_id);


--
-- Name: idx_sessions_token_hash; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX idx_sessions_token_hash ON hanbox_v1.sessions USING btree (token_hash);


--
-- Name: idx_thread_keys_ticket_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_thread_keys_ticket_id ON hanbox_v1.thread_keys USING btree (ticket_id);


--
-- Name: idx_ticket_tags_tag; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_ticket_tags_tag ON hanbox_v1.ticket_tags USING btree (tag);


--
-- Name: idx_tickets_assignee_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_tickets_assignee_id ON hanbox_v1.tickets USING btree (assignee_id);


--
-- Name: idx_tickets_channel_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_tickets_channel_id ON hanbox_v1.tickets USING btree (channel_id);


--
-- Name: idx_tickets_contact_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX idx_tickets_contact_id ON hanbox_v1.tickets USING btree (contact_id);


--
-- Name: idx_tickets_public_id; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX idx_tickets_public_id ON hanbox_v1.tickets USING btree (public_id);


--
-- Name: idx_tickets_reply_token; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX idx_tickets_reply_token ON hanbox_v1.tickets USING btree (reply_token);


--
-- Name: ix_message_ticket; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_message_ticket ON hanbox_v1.messages USING btree (ticket_id, created_at);


--
-- Name: ix_outbox_due; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_outbox_due ON hanbox_v1.outboxes USING btree (status, next_attempt_at);


--
-- Name: ix_outbox_message; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_outbox_message ON hanbox_v1.outboxes USING btree (message_id, status);


--
-- Name: ix_search_docs_ticket; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_search_docs_ticket ON hanbox_v1.search_docs USING btree (ticket_id);


--
-- Name: ix_search_docs_tsv; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_search_docs_tsv ON hanbox_v1.search_docs USING gin (tsv);


--
-- Name: ix_ticket_assignee_last; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_ticket_assignee_last ON hanbox_v1.tickets USING btree (assignee_id, status, last_message_at);


--
-- Name: ix_ticket_channel_last; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_ticket_channel_last ON hanbox_v1.tickets USING btree (channel_id, last_message_at);


--
-- Name: ix_ticket_last; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_ticket_last ON hanbox_v1.tickets USING btree (last_message_at, id);


--
-- Name: ix_ticket_status_last; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE INDEX ix_ticket_status_last ON hanbox_v1.tickets USING btree (status, last_message_at);


--
-- Name: ux_identity; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX ux_identity ON hanbox_v1.identities USING btree (kind, value);


--
-- Name: ux_message_external; Type: INDEX; Schema: hanbox_v1; Owner: -
--

CREATE UNIQUE INDEX ux_message_external ON hanbox_v1.messages USING btree (channel_id, external_id);


--
-- Name: identities fk_contacts_identities; Type: FK CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.identities
    ADD CONSTRAINT fk_contacts_identities FOREIGN KEY (contact_id) REFERENCES hanbox_v1.contacts(id);


--
-- Name: attachments fk_messages_attachments; Type: FK CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.attachments
    ADD CONSTRAINT fk_messages_attachments FOREIGN KEY (message_id) REFERENCES hanbox_v1.messages(id);


--
-- Name: tickets fk_tickets_contact; Type: FK CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.tickets
    ADD CONSTRAINT fk_tickets_contact FOREIGN KEY (contact_id) REFERENCES hanbox_v1.contacts(id);


--
-- Name: ticket_tags fk_tickets_tags; Type: FK CONSTRAINT; Schema: hanbox_v1; Owner: -
--

ALTER TABLE ONLY hanbox_v1.ticket_tags
    ADD CONSTRAINT fk_tickets_tags FOREIGN KEY (ticket_id) REFERENCES hanbox_v1.tickets(id);


--
-- PostgreSQL database dump complete
--


