-- +goose Up

-- One sign-in in progress: the OIDC state (hashed), the nonce and PKCE
-- verifier it was started with, and the browser it is bound to. A row is
-- deleted when its callback arrives, so a state works once.
CREATE TABLE login_states (
    state_hash bytea PRIMARY KEY,
    binding_hash bytea NOT NULL,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    next text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX login_states_expires_at ON login_states (expires_at);

COMMENT ON TABLE login_states IS 'Sign-ins started and not yet finished.';

-- +goose Down
DROP TABLE login_states;
