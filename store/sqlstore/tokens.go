package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/scimkit/scim"
)

// The Store keeps scim.Tokens' bearer tokens in scim_tokens, so that they
// survive restarts and every instance sharing the database sees them.

var _ scim.TokenStore = (*Store)(nil)

const tokenCols = "id, tenant, digest, label, created_ns, expires_ns, last_used_ns, revoked_ns"

// Times are kept as Unix nanoseconds, which reach from 1677 to 2262.
var (
	minTokenTime = time.Unix(0, math.MinInt64)
	maxTokenTime = time.Unix(0, math.MaxInt64)
)

// tokenNS returns t as Unix nanoseconds, or nil (NULL) for the zero time.
func tokenNS(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTokenTime) || t.After(maxTokenTime) {
		return nil, fmt.Errorf("sqlstore: token time %s is outside the years 1678 to 2261 the store keeps", t.UTC().Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

func fromNS(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return time.Unix(0, ns.Int64).UTC()
}

// AddToken implements scim.TokenStore. The unique indexes on digest and on
// (tenant, id) decide between concurrent adds.
func (s *Store) AddToken(ctx context.Context, t scim.Token) error {
	args := []any{t.Tenant, t.ID, t.Digest, t.Label}
	for _, tm := range []time.Time{t.Created, t.Expires, t.LastUsed, t.Revoked} {
		ns, err := tokenNS(tm)
		if err != nil {
			return err
		}
		args = append(args, ns)
	}
	if args[4] == nil {
		return errors.New("sqlstore: Token.Created is zero")
	}
	return s.write(ctx, func(ctx context.Context, tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO scim_tokens
			(tenant, id, digest, label, created_ns, expires_ns, last_used_ns, revoked_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if s.d.isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

// scanToken reads a row of tokenCols.
func scanToken(scan func(dest ...any) error) (scim.Token, error) {
	var t scim.Token
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := scan(&t.ID, &t.Tenant, &t.Digest, &t.Label, &created, &expires, &used, &revoked); err != nil {
		return scim.Token{}, err
	}
	t.Created = time.Unix(0, created).UTC()
	t.Expires, t.LastUsed, t.Revoked = fromNS(expires), fromNS(used), fromNS(revoked)
	return t, nil
}

// TokenByDigest implements scim.TokenStore with one lookup of the unique
// digest index.
func (s *Store) TokenByDigest(ctx context.Context, digest string) (scim.Token, error) {
	t, err := scanToken(s.single().queryRow(ctx, "SELECT "+tokenCols+" FROM scim_tokens WHERE digest = ?", digest).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return scim.Token{}, scim.ErrNotFound
	}
	return t, err
}

// ListTokens implements scim.TokenStore.
func (s *Store) ListTokens(ctx context.Context, tenant string) ([]scim.Token, error) {
	rows, err := s.single().query(ctx, "SELECT "+tokenCols+" FROM scim_tokens WHERE tenant = ? ORDER BY created_ns, id", tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []scim.Token{}
	for rows.Next() {
		t, err := scanToken(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken implements scim.TokenStore. COALESCE keeps the first
// revocation time in one statement.
func (s *Store) RevokeToken(ctx context.Context, tenant, id string, at time.Time) error {
	ns, err := tokenNS(at)
	if err != nil {
		return err
	}
	return s.updateOne(ctx, "UPDATE scim_tokens SET revoked_ns = COALESCE(revoked_ns, ?) WHERE tenant = ? AND id = ?", ns, tenant, id)
}

// updateOne runs the UPDATE q, which matches at most one row, and returns
// scim.ErrNotFound when it matches none.
func (s *Store) updateOne(ctx context.Context, q string, args ...any) error {
	return s.write(ctx, func(ctx context.Context, tx *tx) error {
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = scim.ErrNotFound
		}
		return err
	})
}

// TouchToken implements scim.TokenStore. The condition in the UPDATE keeps
// LastUsed from moving back when instances touch one token at once.
func (s *Store) TouchToken(ctx context.Context, tenant, id string, at time.Time) error {
	ns, err := tokenNS(at)
	if err != nil || ns == nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *tx) error {
		_, err := tx.exec(ctx, `UPDATE scim_tokens SET last_used_ns = ?
			WHERE tenant = ? AND id = ? AND (last_used_ns IS NULL OR last_used_ns < ?)`, ns, tenant, id, ns)
		return err
	})
}

var _ scim.TokenPruner = (*Store)(nil)

// PruneTokens implements scim.TokenPruner. The partial index on expires_ns
// (migration 9) finds the expired rows without reading the others.
func (s *Store) PruneTokens(ctx context.Context, idPrefix string, before time.Time) (int, error) {
	ns, err := tokenNS(before)
	if err != nil || ns == nil {
		return 0, err
	}
	var n int64
	err = s.write(ctx, func(ctx context.Context, tx *tx) error {
		res, err := tx.exec(ctx, `DELETE FROM scim_tokens
			WHERE expires_ns IS NOT NULL AND expires_ns <= ? AND substr(id, 1, ?) = ?`, ns, len(idPrefix), idPrefix)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
