-- +goose Up

-- A principal is a person or a service that can own spend.
CREATE TABLE principals (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'service')),
    email text NOT NULL UNIQUE CHECK (email = lower(email)),
    name text NOT NULL DEFAULT '',
    cost_center text NOT NULL DEFAULT '',
    manager_id bigint REFERENCES principals (id) ON DELETE SET NULL,
    oidc_issuer text,
    oidc_subject text,
    roles text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE INDEX principals_manager_id ON principals (manager_id);

COMMENT ON TABLE principals IS 'People and services that can own spend.';

-- A browser session; the cookie carries a random token whose hash is the id.
CREATE TABLE sessions (
    id bytea PRIMARY KEY,
    principal_id bigint NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- A personal API token, stored as a SHA-256 hash.
CREATE TABLE api_tokens (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    principal_id bigint NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    name text NOT NULL,
    prefix text NOT NULL,
    hash bytea NOT NULL UNIQUE,
    scope text NOT NULL CHECK (scope IN ('import', 'admin')),
    created_by bigint REFERENCES principals (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);

CREATE INDEX api_tokens_principal_id ON api_tokens (principal_id);

-- Evidence that names a principal, valid for an optional window.
CREATE TABLE identity_mappings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN (
        'api_key_id', 'iam_arn', 'gateway_user', 'os_user', 'host', 'email')),
    value text NOT NULL CHECK (value <> ''),
    host text NOT NULL DEFAULT '',
    principal_id bigint NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
    valid_from timestamptz,
    valid_to timestamptz,
    created_by bigint REFERENCES principals (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);

CREATE INDEX identity_mappings_lookup ON identity_mappings (kind, value, host);

-- One version of a model's prices, as a LiteLLM table entry.
CREATE TABLE prices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_key text NOT NULL,
    valid_from timestamptz,
    valid_to timestamptz,
    entry jsonb NOT NULL,
    source text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);

CREATE INDEX prices_model_key ON prices (model_key, valid_from);

-- The tier of each priced model; premium models need a grant.
CREATE TABLE model_tiers (
    model_key text PRIMARY KEY,
    tier text NOT NULL CHECK (tier IN ('standard', 'premium')),
    set_by bigint REFERENCES principals (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One batch of raw usage.
CREATE TABLE imports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uploader_id bigint NOT NULL REFERENCES principals (id),
    claimed boolean NOT NULL DEFAULT false,
    host text NOT NULL DEFAULT '',
    os_user text NOT NULL DEFAULT '',
    format text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error text NOT NULL DEFAULT '',
    bytes bigint NOT NULL DEFAULT 0,
    bytes_read bigint NOT NULL DEFAULT 0,
    files bigint NOT NULL DEFAULT 0,
    lines bigint NOT NULL DEFAULT 0,
    events bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    updated bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);

CREATE INDEX imports_uploader_id ON imports (uploader_id, created_at DESC);

-- The files of an import, as listed in its raw batch.
CREATE TABLE import_files (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    name text NOT NULL,
    bytes bigint NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- The raw batch of an import: one S2 stream of its framed files, in
-- chunks.
CREATE TABLE import_chunks (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- The chunks are compressed already: no second compression by TOAST.
ALTER TABLE import_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- A line that could not be read, kept with its place and reason.
CREATE TABLE import_rejects (
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    file text NOT NULL,
    line integer NOT NULL,
    reason text NOT NULL
);

CREATE INDEX import_rejects_import_id ON import_rejects (import_id, file, line);

-- One model call, normalised, priced and attributed. This is the hot write
-- path, so it has no foreign keys (each would fire a trigger per row): the
-- import job writes the ids of rows it has just read in the same
-- transaction, and principals, prices and imports are never deleted.
CREATE TABLE usage_events (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    import_id bigint NOT NULL,
    source_format text NOT NULL,
    source_file text NOT NULL,
    source_line integer NOT NULL,
    dedupe_key text NOT NULL,
    rank smallint NOT NULL,
    occurred_at timestamptz NOT NULL,
    day date NOT NULL,
    month date NOT NULL,
    provider text NOT NULL,
    model_reported text NOT NULL,
    model_key text,
    service_tier text NOT NULL DEFAULT '',
    speed text NOT NULL DEFAULT '',
    inference_geo text NOT NULL DEFAULT '',
    region text NOT NULL DEFAULT '',
    input_uncached bigint NOT NULL,
    cache_read bigint NOT NULL,
    cache_write_5m bigint NOT NULL,
    cache_write_1h bigint NOT NULL,
    output bigint NOT NULL,
    reasoning bigint NOT NULL,
    requests bigint NOT NULL,
    web_search_requests bigint NOT NULL,
    web_fetch_requests bigint NOT NULL,
    flags integer NOT NULL,
    cost numeric,
    cache_read_cost numeric,
    price_id bigint,
    evidence jsonb NOT NULL,
    session_id text NOT NULL DEFAULT '',
    host text NOT NULL DEFAULT '',
    os_user text NOT NULL DEFAULT '',
    cwd text NOT NULL DEFAULT '',
    uploader_id bigint,
    principal_id bigint,
    attribution text CHECK (attribution IN (
        'direct', 'mapped', 'rule', 'claimed', 'assigned')),
    attributed_by bigint,
    attributed_at timestamptz,
    CHECK ((principal_id IS NULL) = (attribution IS NULL)),
    CHECK ((cost IS NULL) = (model_key IS NULL)),
    CHECK ((cache_read_cost IS NULL) = (cost IS NULL))
);

CREATE UNIQUE INDEX usage_events_dedupe_key ON usage_events (dedupe_key);
CREATE INDEX usage_events_import_id ON usage_events (import_id);
CREATE INDEX usage_events_principal ON usage_events (principal_id, day);
CREATE INDEX usage_events_day ON usage_events (day);
CREATE INDEX usage_events_session ON usage_events (session_id) WHERE session_id <> '';
CREATE INDEX usage_events_unattributed ON usage_events (month)
    WHERE principal_id IS NULL;

COMMENT ON COLUMN usage_events.day IS 'The day of occurred_at in the billing time zone.';
COMMENT ON COLUMN usage_events.month IS 'The first day of the billing month of day.';

-- The natural keys of a stored call besides its dedupe key; copies that share
-- any key are one call. No foreign key, as for usage_events.
CREATE TABLE usage_event_keys (
    key text PRIMARY KEY,
    event_id bigint NOT NULL
);

CREATE INDEX usage_event_keys_event_id ON usage_event_keys (event_id);

-- Spend per day, principal and model, kept current by every import.
CREATE TABLE usage_daily (
    day date NOT NULL,
    month date NOT NULL,
    principal_id bigint NOT NULL DEFAULT 0,
    model text NOT NULL,
    priced boolean NOT NULL,
    events bigint NOT NULL,
    input_uncached bigint NOT NULL,
    cache_read bigint NOT NULL,
    cache_write_5m bigint NOT NULL,
    cache_write_1h bigint NOT NULL,
    output bigint NOT NULL,
    cost numeric NOT NULL,
    cache_read_cost numeric NOT NULL,
    PRIMARY KEY (day, principal_id, model, priced)
);

CREATE INDEX usage_daily_month ON usage_daily (month, principal_id);

COMMENT ON COLUMN usage_daily.principal_id IS '0 for spend that no principal owns.';

-- The append-only record of every state change.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES principals (id),
    actor text NOT NULL,
    action text NOT NULL,
    subject text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_at ON audit_log (at DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_refuse_change;
DROP TABLE usage_daily;
DROP TABLE usage_event_keys;
DROP TABLE usage_events;
DROP TABLE import_rejects;
DROP TABLE import_chunks;
DROP TABLE import_files;
DROP TABLE imports;
DROP TABLE model_tiers;
DROP TABLE prices;
DROP TABLE identity_mappings;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE principals;
