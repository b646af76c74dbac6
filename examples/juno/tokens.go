package main

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/scimkit/scim"
)

// tokenStore keeps customers' SCIM tokens (their digests) in Juno's
// scim_tokens table: a scim.TokenStore for scim.Tokens, and a
// scim.TokenPruner that deletes the OAuth access tokens that expired.
type tokenStore struct{ db *sql.DB }

var _ scim.TokenPruner = (*tokenStore)(nil)

const tokenColumns = `customer_id, id, digest, label, created_at, expires_at, last_used, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (scim.Token, error) {
	var t scim.Token
	var created, expires, used, revoked int64
	err := row.Scan(&t.Tenant, &t.ID, &t.Digest, &t.Label, &created, &expires, &used, &revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromNanos(created), fromNanos(expires), fromNanos(used), fromNanos(revoked)
	return t, err
}

func (s *tokenStore) AddToken(ctx context.Context, t scim.Token) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO scim_tokens (`+tokenColumns+`) VALUES (?,?,?,?,?,?,?,?)`,
		t.Tenant, t.ID, t.Digest, t.Label, nanos(t.Created), nanos(t.Expires), nanos(t.LastUsed), nanos(t.Revoked))
	if isUnique(err) {
		return scim.ErrConflict
	}
	return err
}

func (s *tokenStore) TokenByDigest(ctx context.Context, digest string) (scim.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM scim_tokens WHERE digest = ?`, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return t, scim.ErrNotFound
	}
	return t, err
}

func (s *tokenStore) ListTokens(ctx context.Context, tenant string) ([]scim.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM scim_tokens WHERE customer_id = ? ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []scim.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *tokenStore) RevokeToken(ctx context.Context, tenant, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE scim_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE customer_id = ? AND id = ?`, nanos(at), tenant, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return scim.ErrNotFound
	}
	return nil
}

func (s *tokenStore) TouchToken(ctx context.Context, tenant, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE scim_tokens SET last_used = ? WHERE customer_id = ? AND id = ? AND last_used < ?`,
		nanos(at), tenant, id, nanos(at))
	return err
}

// PruneTokens deletes the tokens with idPrefix that expired by before.
// The prefix is compared as a string, not with LIKE, where '_' and '%'
// are wildcards.
func (s *tokenStore) PruneTokens(ctx context.Context, idPrefix string, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM scim_tokens WHERE substr(id, 1, length(?1)) = ?1 AND expires_at <> 0 AND expires_at <= ?2`,
		idPrefix, nanos(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
