package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/scimkit/scim"
)

// The Store keeps scim.Clients' OAuth clients in scim_oauth_clients and
// their secrets (digests only) in scim_oauth_client_secrets, so that
// every instance sharing the database authenticates them.

var _ scim.ClientStore = (*Store)(nil)

const secretCols = "client_id, id, digest, created_ns, expires_ns, revoked_ns"

// secretArgs returns the row of secret s of clientID.
func secretArgs(clientID string, s scim.ClientSecret) ([]any, error) {
	args := []any{clientID, s.ID, s.Digest}
	for _, tm := range []time.Time{s.Created, s.Expires, s.Revoked} {
		ns, err := tokenNS(tm)
		if err != nil {
			return nil, err
		}
		args = append(args, ns)
	}
	if args[3] == nil {
		return nil, errors.New("sqlstore: ClientSecret.Created is zero")
	}
	return args, nil
}

// AddClient implements scim.ClientStore in one transaction; the unique
// keys on the client id and on (client_id, id) decide conflicts.
func (s *Store) AddClient(ctx context.Context, c scim.Client) error {
	created, err := tokenNS(c.Created)
	if err != nil {
		return err
	}
	if created == nil {
		return errors.New("sqlstore: Client.Created is zero")
	}
	rows := make([][]any, len(c.Secrets))
	for i, sec := range c.Secrets {
		if rows[i], err = secretArgs(c.ID, sec); err != nil {
			return err
		}
	}
	return s.write(ctx, func(ctx context.Context, tx *tx) error {
		_, err := tx.exec(ctx, "INSERT INTO scim_oauth_clients (id, tenant, label, created_ns) VALUES (?, ?, ?, ?)",
			c.ID, c.Tenant, c.Label, created)
		for _, args := range rows {
			if err != nil {
				break
			}
			_, err = tx.exec(ctx, "INSERT INTO scim_oauth_client_secrets ("+secretCols+") VALUES (?, ?, ?, ?, ?, ?)", args...)
		}
		if s.d.isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

// scanSecret reads a row of secretCols.
func scanSecret(scan func(dest ...any) error) (clientID string, sec scim.ClientSecret, err error) {
	var created int64
	var expires, revoked sql.NullInt64
	if err := scan(&clientID, &sec.ID, &sec.Digest, &created, &expires, &revoked); err != nil {
		return "", scim.ClientSecret{}, err
	}
	sec.Created = time.Unix(0, created).UTC()
	sec.Expires, sec.Revoked = fromNS(expires), fromNS(revoked)
	return clientID, sec, nil
}

// ClientByID implements scim.ClientStore: the client and its secrets, read
// in one transaction so that they agree.
func (s *Store) ClientByID(ctx context.Context, id string) (scim.Client, error) {
	var out []scim.Client
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.clients(ctx, t, "c.id = ?", id)
		return err
	})
	if err == nil && len(out) == 0 {
		err = scim.ErrNotFound
	}
	if err != nil {
		return scim.Client{}, err
	}
	return out[0], nil
}

// ListClients implements scim.ClientStore.
func (s *Store) ListClients(ctx context.Context, tenant string) ([]scim.Client, error) {
	var out []scim.Client
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = s.clients(ctx, t, "c.tenant = ?", tenant)
		return err
	})
	return out, err
}

// clients returns the clients matching where (on scim_oauth_clients c)
// with their secrets, in ClientStore's order: one query for the clients,
// one for all their secrets.
func (s *Store) clients(ctx context.Context, t *tx, where string, arg any) ([]scim.Client, error) {
	rows, err := t.query(ctx, "SELECT c.id, c.tenant, c.label, c.created_ns FROM scim_oauth_clients c WHERE "+where+
		" ORDER BY c.created_ns, c.id", arg)
	if err != nil {
		return nil, err
	}
	out := []scim.Client{}
	index := map[string]int{}
	for rows.Next() {
		var c scim.Client
		var created int64
		if err := rows.Scan(&c.ID, &c.Tenant, &c.Label, &created); err != nil {
			rows.Close()
			return nil, err
		}
		c.Created = time.Unix(0, created).UTC()
		index[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = t.query(ctx, "SELECT "+secretCols+" FROM scim_oauth_client_secrets WHERE client_id IN (SELECT c.id FROM scim_oauth_clients c WHERE "+where+
		") ORDER BY client_id, created_ns, id", arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		clientID, sec, err := scanSecret(rows.Scan)
		if err != nil {
			return nil, err
		}
		if i, ok := index[clientID]; ok {
			out[i].Secrets = append(out[i].Secrets, sec)
		}
	}
	return out, rows.Err()
}

// AddClientSecret implements scim.ClientStore. Clients are never
// deleted, so the client found stays while the secret is added.
func (s *Store) AddClientSecret(ctx context.Context, tenant, clientID string, sec scim.ClientSecret) error {
	args, err := secretArgs(clientID, sec)
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *tx) error {
		var one int
		err := tx.queryRow(ctx, "SELECT 1 FROM scim_oauth_clients WHERE id = ? AND tenant = ?", clientID, tenant).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return scim.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, "INSERT INTO scim_oauth_client_secrets ("+secretCols+") VALUES (?, ?, ?, ?, ?, ?)", args...)
		if s.d.isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

// RevokeClientSecret implements scim.ClientStore. COALESCE keeps the first
// revocation time.
func (s *Store) RevokeClientSecret(ctx context.Context, tenant, clientID, secretID string, at time.Time) error {
	ns, err := tokenNS(at)
	if err != nil {
		return err
	}
	return s.updateOne(ctx, `UPDATE scim_oauth_client_secrets SET revoked_ns = COALESCE(revoked_ns, ?)
		WHERE client_id = ? AND id = ? AND EXISTS (SELECT 1 FROM scim_oauth_clients WHERE id = ? AND tenant = ?)`,
		ns, clientID, secretID, clientID, tenant)
}
