--
-- PostgreSQL database dump
--

\restrict v6fnWfA2PYm2HhhO7kGYVmcb9CAhGACHSQ22reVKcKecDgjf1UcDrHHmMzv9pu2

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

--
-- Name: app; Type: SCHEMA; Schema: -; Owner: helpdesk
--

CREATE SCHEMA app;


ALTER SCHEMA app OWNER TO helpdesk;

--
-- Name: citext; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;


--
-- Name: EXTENSION citext; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION citext IS 'data type for case-insensitive character strings';


--
-- Name: amount; Type: DOMAIN; Schema: app; Owner: helpdesk
--

CREATE DOMAIN app.amount AS numeric(12,2)
	CONSTRAINT amount_check CHECK ((VALUE >= (0)::numeric));


ALTER DOMAIN app.amount OWNER TO helpdesk;

--
-- Name: channel; Type: TYPE; Schema: app; Owner: helpdesk
--

CREATE TYPE app.channel AS ENUM (
    'email',
    'chat',
    'phone'
);


ALTER TYPE app.channel OWNER TO helpdesk;

--
-- Name: country; Type: DOMAIN; Schema: app; Owner: helpdesk
--

CREATE DOMAIN app.country AS character(2)
	CONSTRAINT country_check CHECK ((VALUE = ANY (ARRAY['DE'::bpchar, 'FR'::bpchar, 'GB'::bpchar, 'NL'::bpchar, 'US'::bpchar])));


ALTER DOMAIN app.country OWNER TO helpdesk;

--
-- Name: handle; Type: DOMAIN; Schema: app; Owner: helpdesk
--

CREATE DOMAIN app.handle AS public.citext
	CONSTRAINT handle_check CHECK (((length((VALUE)::text) >= 1) AND (length((VALUE)::text) <= 60)));


ALTER DOMAIN app.handle OWNER TO helpdesk;

--
-- Name: positive_amount; Type: DOMAIN; Schema: app; Owner: helpdesk
--

CREATE DOMAIN app.positive_amount AS app.amount
	CONSTRAINT positive_amount_check CHECK ((((VALUE)::numeric > (0)::numeric) AND ((VALUE)::numeric <= (5000)::numeric)));


ALTER DOMAIN app.positive_amount OWNER TO helpdesk;

--
-- Name: priority; Type: DOMAIN; Schema: app; Owner: helpdesk
--

CREATE DOMAIN app.priority AS smallint NOT NULL
	CONSTRAINT priority_check CHECK (((VALUE >= 1) AND (VALUE <= 5)));


ALTER DOMAIN app.priority OWNER TO helpdesk;

--
-- Name: ticket_status; Type: TYPE; Schema: app; Owner: helpdesk
--

CREATE TYPE app.ticket_status AS ENUM (
    'new',
    'open',
    'pending',
    'solved',
    'closed'
);


ALTER TYPE app.ticket_status OWNER TO helpdesk;

--
-- Name: count_message(); Type: FUNCTION; Schema: app; Owner: helpdesk
--

CREATE FUNCTION app.count_message() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'app'
    AS $$
BEGIN
    UPDATE tickets SET message_count = message_count + 1 WHERE id = NEW.ticket_id;
    RETURN NEW;
END;
$$;


ALTER FUNCTION app.count_message() OWNER TO helpdesk;

--
-- Name: touch(); Type: FUNCTION; Schema: app; Owner: helpdesk
--

CREATE FUNCTION app.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;


ALTER FUNCTION app.touch() OWNER TO helpdesk;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: tickets; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.tickets (
    id bigint NOT NULL,
    requester_id bigint NOT NULL,
    assignee_id bigint,
    status app.ticket_status DEFAULT 'new'::app.ticket_status NOT NULL,
    priority app.priority DEFAULT 3,
    subject text NOT NULL,
    body text NOT NULL,
    refund app.positive_amount,
    sla interval DEFAULT '1 day'::interval NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    extra jsonb,
    keywords tsvector,
    message_count integer DEFAULT 0 NOT NULL,
    search tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, ((subject || ' '::text) || body))) STORED,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE app.tickets OWNER TO helpdesk;

--
-- Name: TABLE tickets; Type: COMMENT; Schema: app; Owner: helpdesk
--

COMMENT ON TABLE app.tickets IS 'Support requests; one row per conversation.';


--
-- Name: agent_load; Type: MATERIALIZED VIEW; Schema: app; Owner: helpdesk
--

CREATE MATERIALIZED VIEW app.agent_load AS
 SELECT tickets.assignee_id,
    count(*) AS n
   FROM app.tickets
  GROUP BY tickets.assignee_id
  WITH NO DATA;


ALTER TABLE app.agent_load OWNER TO helpdesk;

--
-- Name: attachments; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.attachments (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    filename character varying(200) NOT NULL,
    content bytea NOT NULL
)
PARTITION BY HASH (ticket_id);


ALTER TABLE app.attachments OWNER TO helpdesk;

--
-- Name: attachments_id_seq; Type: SEQUENCE; Schema: app; Owner: helpdesk
--

ALTER TABLE app.attachments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.attachments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: attachments_p0; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.attachments_p0 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    filename character varying(200) NOT NULL,
    content bytea NOT NULL
);


ALTER TABLE app.attachments_p0 OWNER TO helpdesk;

--
-- Name: attachments_p1; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.attachments_p1 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    filename character varying(200) NOT NULL,
    content bytea NOT NULL
);


ALTER TABLE app.attachments_p1 OWNER TO helpdesk;

--
-- Name: attachments_p2; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.attachments_p2 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    filename character varying(200) NOT NULL,
    content bytea NOT NULL
);


ALTER TABLE app.attachments_p2 OWNER TO helpdesk;

--
-- Name: attachments_p3; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.attachments_p3 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    filename character varying(200) NOT NULL,
    content bytea NOT NULL
);


ALTER TABLE app.attachments_p3 OWNER TO helpdesk;

--
-- Name: audit; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.audit (
    at timestamp with time zone NOT NULL,
    user_id bigint,
    action text NOT NULL
)
PARTITION BY RANGE (at);


ALTER TABLE app.audit OWNER TO helpdesk;

--
-- Name: audit_2024; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.audit_2024 (
    at timestamp with time zone NOT NULL,
    user_id bigint,
    action text NOT NULL
);


ALTER TABLE app.audit_2024 OWNER TO helpdesk;

--
-- Name: audit_other; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.audit_other (
    at timestamp with time zone NOT NULL,
    user_id bigint,
    action text NOT NULL
);


ALTER TABLE app.audit_other OWNER TO helpdesk;

--
-- Name: events; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
)
PARTITION BY RANGE (created_at);


ALTER TABLE app.events OWNER TO helpdesk;

--
-- Name: events_2024_01; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_01 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_01 OWNER TO helpdesk;

--
-- Name: events_2024_02; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_02 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_02 OWNER TO helpdesk;

--
-- Name: events_2024_03; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_03 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_03 OWNER TO helpdesk;

--
-- Name: events_2024_04; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_04 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_04 OWNER TO helpdesk;

--
-- Name: events_2024_05; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_05 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_05 OWNER TO helpdesk;

--
-- Name: events_2024_06; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_06 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_06 OWNER TO helpdesk;

--
-- Name: events_2024_07; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_07 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_07 OWNER TO helpdesk;

--
-- Name: events_2024_08; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_08 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_08 OWNER TO helpdesk;

--
-- Name: events_2024_09; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_09 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_09 OWNER TO helpdesk;

--
-- Name: events_2024_10; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_10 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_10 OWNER TO helpdesk;

--
-- Name: events_2024_11; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_11 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_11 OWNER TO helpdesk;

--
-- Name: events_2024_12; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.events_2024_12 (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    kind text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT events_kind_check CHECK ((kind = ANY (ARRAY['created'::text, 'assigned'::text, 'replied'::text, 'solved'::text, 'reopened'::text])))
);


ALTER TABLE app.events_2024_12 OWNER TO helpdesk;

--
-- Name: events_id_seq; Type: SEQUENCE; Schema: app; Owner: helpdesk
--

ALTER TABLE app.events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: messages; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.messages (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    author_id bigint NOT NULL,
    channel app.channel NOT NULL,
    body text NOT NULL,
    sent_at timestamp with time zone NOT NULL
)
PARTITION BY LIST (channel);


ALTER TABLE app.messages OWNER TO helpdesk;

--
-- Name: messages_chat; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.messages_chat (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    author_id bigint NOT NULL,
    channel app.channel NOT NULL,
    body text NOT NULL,
    sent_at timestamp with time zone NOT NULL
);


ALTER TABLE app.messages_chat OWNER TO helpdesk;

--
-- Name: messages_email; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.messages_email (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    author_id bigint NOT NULL,
    channel app.channel NOT NULL,
    body text NOT NULL,
    sent_at timestamp with time zone NOT NULL
);


ALTER TABLE app.messages_email OWNER TO helpdesk;

--
-- Name: messages_id_seq; Type: SEQUENCE; Schema: app; Owner: helpdesk
--

ALTER TABLE app.messages ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.messages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: messages_phone; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.messages_phone (
    id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    author_id bigint NOT NULL,
    channel app.channel NOT NULL,
    body text NOT NULL,
    sent_at timestamp with time zone NOT NULL
);


ALTER TABLE app.messages_phone OWNER TO helpdesk;

--
-- Name: open_tickets; Type: VIEW; Schema: app; Owner: helpdesk
--

CREATE VIEW app.open_tickets AS
 SELECT tickets.id,
    tickets.assignee_id,
    tickets.priority,
    tickets.subject
   FROM app.tickets
  WHERE (tickets.status = ANY (ARRAY['new'::app.ticket_status, 'open'::app.ticket_status]));


ALTER TABLE app.open_tickets OWNER TO helpdesk;

--
-- Name: tickets_id_seq; Type: SEQUENCE; Schema: app; Owner: helpdesk
--

ALTER TABLE app.tickets ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.tickets_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: users; Type: TABLE; Schema: app; Owner: helpdesk
--

CREATE TABLE app.users (
    id bigint NOT NULL,
    handle app.handle NOT NULL,
    country app.country NOT NULL,
    avatar bytea,
    last_ip inet,
    is_agent boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE app.users OWNER TO helpdesk;

--
-- Name: users_id_seq; Type: SEQUENCE; Schema: app; Owner: helpdesk
--

ALTER TABLE app.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME app.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: attachments_p0; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments ATTACH PARTITION app.attachments_p0 FOR VALUES WITH (modulus 4, remainder 0);


--
-- Name: attachments_p1; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments ATTACH PARTITION app.attachments_p1 FOR VALUES WITH (modulus 4, remainder 1);


--
-- Name: attachments_p2; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments ATTACH PARTITION app.attachments_p2 FOR VALUES WITH (modulus 4, remainder 2);


--
-- Name: attachments_p3; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments ATTACH PARTITION app.attachments_p3 FOR VALUES WITH (modulus 4, remainder 3);


--
-- Name: audit_2024; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.audit ATTACH PARTITION app.audit_2024 FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');


--
-- Name: audit_other; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.audit ATTACH PARTITION app.audit_other DEFAULT;


--
-- Name: events_2024_01; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_01 FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00');


--
-- Name: events_2024_02; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_02 FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00');


--
-- Name: events_2024_03; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_03 FOR VALUES FROM ('2024-03-01 00:00:00+00') TO ('2024-04-01 00:00:00+00');


--
-- Name: events_2024_04; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_04 FOR VALUES FROM ('2024-04-01 00:00:00+00') TO ('2024-05-01 00:00:00+00');


--
-- Name: events_2024_05; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_05 FOR VALUES FROM ('2024-05-01 00:00:00+00') TO ('2024-06-01 00:00:00+00');


--
-- Name: events_2024_06; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_06 FOR VALUES FROM ('2024-06-01 00:00:00+00') TO ('2024-07-01 00:00:00+00');


--
-- Name: events_2024_07; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_07 FOR VALUES FROM ('2024-07-01 00:00:00+00') TO ('2024-08-01 00:00:00+00');


--
-- Name: events_2024_08; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_08 FOR VALUES FROM ('2024-08-01 00:00:00+00') TO ('2024-09-01 00:00:00+00');


--
-- Name: events_2024_09; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_09 FOR VALUES FROM ('2024-09-01 00:00:00+00') TO ('2024-10-01 00:00:00+00');


--
-- Name: events_2024_10; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_10 FOR VALUES FROM ('2024-10-01 00:00:00+00') TO ('2024-11-01 00:00:00+00');


--
-- Name: events_2024_11; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_11 FOR VALUES FROM ('2024-11-01 00:00:00+00') TO ('2024-12-01 00:00:00+00');


--
-- Name: events_2024_12; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events ATTACH PARTITION app.events_2024_12 FOR VALUES FROM ('2024-12-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');


--
-- Name: messages_chat; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages ATTACH PARTITION app.messages_chat FOR VALUES IN ('chat');


--
-- Name: messages_email; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages ATTACH PARTITION app.messages_email FOR VALUES IN ('email');


--
-- Name: messages_phone; Type: TABLE ATTACH; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages ATTACH PARTITION app.messages_phone FOR VALUES IN ('phone');


--
-- Name: attachments attachments_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments
    ADD CONSTRAINT attachments_pkey PRIMARY KEY (ticket_id, id);


--
-- Name: attachments_p0 attachments_p0_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments_p0
    ADD CONSTRAINT attachments_p0_pkey PRIMARY KEY (ticket_id, id);


--
-- Name: attachments_p1 attachments_p1_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments_p1
    ADD CONSTRAINT attachments_p1_pkey PRIMARY KEY (ticket_id, id);


--
-- Name: attachments_p2 attachments_p2_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments_p2
    ADD CONSTRAINT attachments_p2_pkey PRIMARY KEY (ticket_id, id);


--
-- Name: attachments_p3 attachments_p3_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.attachments_p3
    ADD CONSTRAINT attachments_p3_pkey PRIMARY KEY (ticket_id, id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_01 events_2024_01_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_01
    ADD CONSTRAINT events_2024_01_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_02 events_2024_02_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_02
    ADD CONSTRAINT events_2024_02_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_03 events_2024_03_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_03
    ADD CONSTRAINT events_2024_03_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_04 events_2024_04_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_04
    ADD CONSTRAINT events_2024_04_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_05 events_2024_05_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_05
    ADD CONSTRAINT events_2024_05_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_06 events_2024_06_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_06
    ADD CONSTRAINT events_2024_06_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_07 events_2024_07_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_07
    ADD CONSTRAINT events_2024_07_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_08 events_2024_08_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_08
    ADD CONSTRAINT events_2024_08_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_09 events_2024_09_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_09
    ADD CONSTRAINT events_2024_09_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_10 events_2024_10_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_10
    ADD CONSTRAINT events_2024_10_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_11 events_2024_11_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_11
    ADD CONSTRAINT events_2024_11_pkey PRIMARY KEY (id, created_at);


--
-- Name: events_2024_12 events_2024_12_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.events_2024_12
    ADD CONSTRAINT events_2024_12_pkey PRIMARY KEY (id, created_at);


--
-- Name: tickets tickets_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.tickets
    ADD CONSTRAINT tickets_pkey PRIMARY KEY (id);


--
-- Name: users users_handle_key; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_handle_key UNIQUE (handle);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: audit_user_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX audit_user_idx ON ONLY app.audit USING btree (user_id, at);


--
-- Name: audit_2024_user_id_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX audit_2024_user_id_at_idx ON app.audit_2024 USING btree (user_id, at);


--
-- Name: audit_other_user_id_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX audit_other_user_id_at_idx ON app.audit_other USING btree (user_id, at);


--
-- Name: events_ticket_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_ticket_idx ON ONLY app.events USING btree (ticket_id, created_at);


--
-- Name: events_2024_01_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_01_ticket_id_created_at_idx ON app.events_2024_01 USING btree (ticket_id, created_at);


--
-- Name: events_2024_02_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_02_ticket_id_created_at_idx ON app.events_2024_02 USING btree (ticket_id, created_at);


--
-- Name: events_2024_03_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_03_ticket_id_created_at_idx ON app.events_2024_03 USING btree (ticket_id, created_at);


--
-- Name: events_2024_04_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_04_ticket_id_created_at_idx ON app.events_2024_04 USING btree (ticket_id, created_at);


--
-- Name: events_2024_05_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_05_ticket_id_created_at_idx ON app.events_2024_05 USING btree (ticket_id, created_at);


--
-- Name: events_2024_06_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_06_ticket_id_created_at_idx ON app.events_2024_06 USING btree (ticket_id, created_at);


--
-- Name: events_2024_07_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_07_ticket_id_created_at_idx ON app.events_2024_07 USING btree (ticket_id, created_at);


--
-- Name: events_2024_08_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_08_ticket_id_created_at_idx ON app.events_2024_08 USING btree (ticket_id, created_at);


--
-- Name: events_2024_09_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_09_ticket_id_created_at_idx ON app.events_2024_09 USING btree (ticket_id, created_at);


--
-- Name: events_2024_10_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_10_ticket_id_created_at_idx ON app.events_2024_10 USING btree (ticket_id, created_at);


--
-- Name: events_2024_11_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_11_ticket_id_created_at_idx ON app.events_2024_11 USING btree (ticket_id, created_at);


--
-- Name: events_2024_12_ticket_id_created_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX events_2024_12_ticket_id_created_at_idx ON app.events_2024_12 USING btree (ticket_id, created_at);


--
-- Name: messages_ticket_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX messages_ticket_idx ON ONLY app.messages USING btree (ticket_id, sent_at);


--
-- Name: messages_chat_ticket_id_sent_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX messages_chat_ticket_id_sent_at_idx ON app.messages_chat USING btree (ticket_id, sent_at);


--
-- Name: messages_email_ticket_id_sent_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX messages_email_ticket_id_sent_at_idx ON app.messages_email USING btree (ticket_id, sent_at);


--
-- Name: messages_phone_ticket_id_sent_at_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX messages_phone_ticket_id_sent_at_idx ON app.messages_phone USING btree (ticket_id, sent_at);


--
-- Name: tickets_assignee_open_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX tickets_assignee_open_idx ON app.tickets USING btree (assignee_id, priority DESC, created_at) WHERE (status = ANY (ARRAY['new'::app.ticket_status, 'open'::app.ticket_status]));


--
-- Name: tickets_search_idx; Type: INDEX; Schema: app; Owner: helpdesk
--

CREATE INDEX tickets_search_idx ON app.tickets USING gin (search);


--
-- Name: attachments_p0_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.attachments_pkey ATTACH PARTITION app.attachments_p0_pkey;


--
-- Name: attachments_p1_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.attachments_pkey ATTACH PARTITION app.attachments_p1_pkey;


--
-- Name: attachments_p2_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.attachments_pkey ATTACH PARTITION app.attachments_p2_pkey;


--
-- Name: attachments_p3_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.attachments_pkey ATTACH PARTITION app.attachments_p3_pkey;


--
-- Name: audit_2024_user_id_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.audit_user_idx ATTACH PARTITION app.audit_2024_user_id_at_idx;


--
-- Name: audit_other_user_id_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.audit_user_idx ATTACH PARTITION app.audit_other_user_id_at_idx;


--
-- Name: events_2024_01_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_01_pkey;


--
-- Name: events_2024_01_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_01_ticket_id_created_at_idx;


--
-- Name: events_2024_02_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_02_pkey;


--
-- Name: events_2024_02_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_02_ticket_id_created_at_idx;


--
-- Name: events_2024_03_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_03_pkey;


--
-- Name: events_2024_03_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_03_ticket_id_created_at_idx;


--
-- Name: events_2024_04_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_04_pkey;


--
-- Name: events_2024_04_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_04_ticket_id_created_at_idx;


--
-- Name: events_2024_05_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_05_pkey;


--
-- Name: events_2024_05_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_05_ticket_id_created_at_idx;


--
-- Name: events_2024_06_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_06_pkey;


--
-- Name: events_2024_06_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_06_ticket_id_created_at_idx;


--
-- Name: events_2024_07_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_07_pkey;


--
-- Name: events_2024_07_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_07_ticket_id_created_at_idx;


--
-- Name: events_2024_08_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_08_pkey;


--
-- Name: events_2024_08_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_08_ticket_id_created_at_idx;


--
-- Name: events_2024_09_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_09_pkey;


--
-- Name: events_2024_09_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_09_ticket_id_created_at_idx;


--
-- Name: events_2024_10_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_10_pkey;


--
-- Name: events_2024_10_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_10_ticket_id_created_at_idx;


--
-- Name: events_2024_11_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_11_pkey;


--
-- Name: events_2024_11_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_11_ticket_id_created_at_idx;


--
-- Name: events_2024_12_pkey; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_12_pkey;


--
-- Name: events_2024_12_ticket_id_created_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.events_ticket_idx ATTACH PARTITION app.events_2024_12_ticket_id_created_at_idx;


--
-- Name: messages_chat_ticket_id_sent_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.messages_ticket_idx ATTACH PARTITION app.messages_chat_ticket_id_sent_at_idx;


--
-- Name: messages_email_ticket_id_sent_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.messages_ticket_idx ATTACH PARTITION app.messages_email_ticket_id_sent_at_idx;


--
-- Name: messages_phone_ticket_id_sent_at_idx; Type: INDEX ATTACH; Schema: app; Owner: helpdesk
--

ALTER INDEX app.messages_ticket_idx ATTACH PARTITION app.messages_phone_ticket_id_sent_at_idx;


--
-- Name: messages messages_count; Type: TRIGGER; Schema: app; Owner: helpdesk
--

CREATE TRIGGER messages_count AFTER INSERT ON app.messages FOR EACH ROW EXECUTE FUNCTION app.count_message();


--
-- Name: tickets tickets_touch; Type: TRIGGER; Schema: app; Owner: helpdesk
--

CREATE TRIGGER tickets_touch BEFORE UPDATE ON app.tickets FOR EACH ROW EXECUTE FUNCTION app.touch();


--
-- Name: attachments attachments_ticket_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE app.attachments
    ADD CONSTRAINT attachments_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES app.tickets(id);


--
-- Name: audit audit_user_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE app.audit
    ADD CONSTRAINT audit_user_id_fkey FOREIGN KEY (user_id) REFERENCES app.users(id);


--
-- Name: events events_ticket_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE app.events
    ADD CONSTRAINT events_ticket_fk FOREIGN KEY (ticket_id) REFERENCES app.tickets(id);


--
-- Name: messages_chat messages_chat_author_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_chat
    ADD CONSTRAINT messages_chat_author_fk FOREIGN KEY (author_id) REFERENCES app.users(id);


--
-- Name: messages_chat messages_chat_ticket_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_chat
    ADD CONSTRAINT messages_chat_ticket_fk FOREIGN KEY (ticket_id) REFERENCES app.tickets(id);


--
-- Name: messages_email messages_email_author_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_email
    ADD CONSTRAINT messages_email_author_fk FOREIGN KEY (author_id) REFERENCES app.users(id);


--
-- Name: messages_email messages_email_ticket_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_email
    ADD CONSTRAINT messages_email_ticket_fk FOREIGN KEY (ticket_id) REFERENCES app.tickets(id);


--
-- Name: messages_phone messages_phone_author_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_phone
    ADD CONSTRAINT messages_phone_author_fk FOREIGN KEY (author_id) REFERENCES app.users(id);


--
-- Name: messages_phone messages_phone_ticket_fk; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.messages_phone
    ADD CONSTRAINT messages_phone_ticket_fk FOREIGN KEY (ticket_id) REFERENCES app.tickets(id);


--
-- Name: tickets tickets_assignee_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.tickets
    ADD CONSTRAINT tickets_assignee_id_fkey FOREIGN KEY (assignee_id) REFERENCES app.users(id);


--
-- Name: tickets tickets_requester_id_fkey; Type: FK CONSTRAINT; Schema: app; Owner: helpdesk
--

ALTER TABLE ONLY app.tickets
    ADD CONSTRAINT tickets_requester_id_fkey FOREIGN KEY (requester_id) REFERENCES app.users(id);


--
-- Name: SCHEMA app; Type: ACL; Schema: -; Owner: helpdesk
--

GRANT USAGE ON SCHEMA app TO helpdesk_ro;


--
-- Name: TABLE tickets; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.tickets TO helpdesk_ro;


--
-- Name: TABLE agent_load; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.agent_load TO helpdesk_ro;


--
-- Name: TABLE attachments; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.attachments TO helpdesk_ro;


--
-- Name: TABLE attachments_p0; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.attachments_p0 TO helpdesk_ro;


--
-- Name: TABLE attachments_p1; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.attachments_p1 TO helpdesk_ro;


--
-- Name: TABLE attachments_p2; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.attachments_p2 TO helpdesk_ro;


--
-- Name: TABLE attachments_p3; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.attachments_p3 TO helpdesk_ro;


--
-- Name: TABLE audit; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.audit TO helpdesk_ro;


--
-- Name: TABLE audit_2024; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.audit_2024 TO helpdesk_ro;


--
-- Name: TABLE audit_other; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.audit_other TO helpdesk_ro;


--
-- Name: TABLE events; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events TO helpdesk_ro;


--
-- Name: TABLE events_2024_01; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_01 TO helpdesk_ro;


--
-- Name: TABLE events_2024_02; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_02 TO helpdesk_ro;


--
-- Name: TABLE events_2024_03; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_03 TO helpdesk_ro;


--
-- Name: TABLE events_2024_04; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_04 TO helpdesk_ro;


--
-- Name: TABLE events_2024_05; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_05 TO helpdesk_ro;


--
-- Name: TABLE events_2024_06; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_06 TO helpdesk_ro;


--
-- Name: TABLE events_2024_07; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_07 TO helpdesk_ro;


--
-- Name: TABLE events_2024_08; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_08 TO helpdesk_ro;


--
-- Name: TABLE events_2024_09; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_09 TO helpdesk_ro;


--
-- Name: TABLE events_2024_10; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_10 TO helpdesk_ro;


--
-- Name: TABLE events_2024_11; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_11 TO helpdesk_ro;


--
-- Name: TABLE events_2024_12; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.events_2024_12 TO helpdesk_ro;


--
-- Name: TABLE messages; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.messages TO helpdesk_ro;


--
-- Name: TABLE messages_chat; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.messages_chat TO helpdesk_ro;


--
-- Name: TABLE messages_email; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.messages_email TO helpdesk_ro;


--
-- Name: TABLE messages_phone; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.messages_phone TO helpdesk_ro;


--
-- Name: TABLE open_tickets; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.open_tickets TO helpdesk_ro;


--
-- Name: TABLE users; Type: ACL; Schema: app; Owner: helpdesk
--

GRANT SELECT ON TABLE app.users TO helpdesk_ro;


--
-- PostgreSQL database dump complete
--

\unrestrict v6fnWfA2PYm2HhhO7kGYVmcb9CAhGACHSQ22reVKcKecDgjf1UcDrHHmMzv9pu2

