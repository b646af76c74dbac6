package main

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/scimkit/scim"
)

// clientStore keeps customers' OAuth 2.0 clients in Juno's oauth_clients
// and their secrets' digests in oauth_client_secrets: the scim.ClientStore
// of scim.Clients, which serves Juno's token endpoint.
type clientStore struct{ db *sql.DB }

var _ scim.ClientStore = (*clientStore)(nil)

const secretColumns = `client_id, id, digest, created_at, expires_at, revoked_at`

func (s *clientStore) AddClient(ctx context.Context, c scim.Client) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_clients (id, customer_id, label, created_at) VALUES (?,?,?,?)`,
			c.ID, c.Tenant, c.Label, nanos(c.Created))
		for _, sec := range c.Secrets {
			if err != nil {
				break
			}
			err = insertSecret(ctx, tx, c.ID, sec)
		}
		if isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

func insertSecret(ctx context.Context, tx *sql.Tx, clientID string, sec scim.ClientSecret) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO oauth_client_secrets (`+secretColumns+`) VALUES (?,?,?,?,?,?)`,
		clientID, sec.ID, sec.Digest, nanos(sec.Created), nanos(sec.Expires), nanos(sec.Revoked))
	return err
}

func (s *clientStore) ClientByID(ctx context.Context, id string) (scim.Client, error) {
	var c scim.Client
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, customer_id, label, created_at FROM oauth_clients WHERE id = ?`, id).
		Scan(&c.ID, &c.Tenant, &c.Label, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, scim.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.Created = fromNanos(created)
	err = s.secrets(ctx, func(_ string, sec scim.ClientSecret) { c.Secrets = append(c.Secrets, sec) },
		`WHERE client_id = ?`, id)
	return c, err
}

func (s *clientStore) ListClients(ctx context.Context, tenant string) ([]scim.Client, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, customer_id, label, created_at FROM oauth_clients WHERE customer_id = ?
		ORDER BY created_at, id`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []scim.Client{}
	at := map[string]int{}
	for rows.Next() {
		var c scim.Client
		var created int64
		if err := rows.Scan(&c.ID, &c.Tenant, &c.Label, &created); err != nil {
			return nil, err
		}
		c.Created = fromNanos(created)
		at[c.ID] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	err = s.secrets(ctx, func(clientID string, sec scim.ClientSecret) {
		if i, ok := at[clientID]; ok {
			out[i].Secrets = append(out[i].Secrets, sec)
		}
	}, `WHERE client_id IN (SELECT id FROM oauth_clients WHERE customer_id = ?)`, tenant)
	return out, err
}

// secrets calls add with each secret that where selects, oldest first.
func (s *clientStore) secrets(ctx context.Context, add func(clientID string, sec scim.ClientSecret), where string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+secretColumns+` FROM oauth_client_secrets `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var clientID string
		var sec scim.ClientSecret
		var created, expires, revoked int64
		if err := rows.Scan(&clientID, &sec.ID, &sec.Digest, &created, &expires, &revoked); err != nil {
			return err
		}
		sec.Created, sec.Expires, sec.Revoked = fromNanos(created), fromNanos(expires), fromNanos(revoked)
		add(clientID, sec)
	}
	return rows.Err()
}

func (s *clientStore) AddClientSecret(ctx context.Context, tenant, clientID string, sec scim.ClientSecret) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM oauth_clients WHERE id = ? AND customer_id = ?`, clientID, tenant).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err == nil {
			err = insertSecret(ctx, tx, clientID, sec)
		}
		if isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

func (s *clientStore) RevokeClientSecret(ctx context.Context, tenant, clientID, secretID string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE oauth_client_secrets SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE client_id = ? AND id = ? AND client_id IN (SELECT id FROM oauth_clients WHERE customer_id = ?)`,
		nanos(at), clientID, secretID, tenant)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return scim.ErrNotFound
	}
	return nil
}
