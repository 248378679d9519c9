-- name: CreateLoginState :exec
INSERT INTO login_states (state_hash, binding_hash, nonce, code_verifier, next,
    created_at, expires_at)
VALUES (@state_hash, @binding_hash, @nonce, @code_verifier, @next,
    @created_at, @expires_at);

-- name: DeleteExpiredLoginStates :execrows
DELETE FROM login_states WHERE expires_at <= @now;

-- name: DeleteLoginState :one
DELETE FROM login_states
WHERE state_hash = @state_hash AND binding_hash = @binding_hash
RETURNING *;
