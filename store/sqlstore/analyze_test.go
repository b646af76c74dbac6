package sqlstore

import (
	"fmt"
	"testing"

	"github.com/scimkit/scim"
)

// TestStatisticsRefreshed checks that the store analyzes its own tables as
// they grow: with autovacuum off (or not yet round), a lookup prepared on
// an empty table keeps a plan that reads every user of the tenant.
func TestStatisticsRefreshed(t *testing.T) {
	t.Parallel()
	s := newPostgres(t)
	ctx := t.Context()

	// Nothing has changed: nothing to analyze.
	done, err := s.refreshStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 0 {
		t.Errorf("fresh store analyzed %v", done)
	}

	// Writes past the threshold get the tables analyzed in the background.
	// The counters behind the check reach pg_stat_user_tables a little
	// after each commit, so keep writing until the check sees them.
	analyzed := func() bool {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_user_tables
			WHERE relid = to_regclass('scim_users') AND last_analyze IS NOT NULL`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	created := 0
	for ; created < 20*statsCheckEvery && !analyzed(); created++ {
		u := &scim.User{UserName: fmt.Sprintf("user%d@example.com", created), Emails: []scim.MultiValue{{Value: fmt.Sprintf("u%d@example.com", created), Type: "work"}}}
		if _, err := s.CreateUser(ctx, "t", u); err != nil {
			t.Fatal(err)
		}
		if created%statsCheckEvery == statsCheckEvery-1 {
			s.stats.wg.Wait() // let the check started by this write finish
		}
	}
	if !analyzed() {
		t.Fatalf("scim_users not analyzed after %d creates", created)
	}

	// Right after an ANALYZE nothing is due; the direct call agrees.
	s.stats.wg.Wait()
	if _, err := s.db.ExecContext(ctx, "ANALYZE scim_users"); err != nil {
		t.Fatal(err)
	}
	done, err = s.refreshStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range done {
		if d == "scim_users" {
			t.Errorf("scim_users analyzed again with no change since: %v", done)
		}
	}
	var tuples float64
	if err := s.db.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = to_regclass('scim_users')`).Scan(&tuples); err != nil {
		t.Fatal(err)
	}
	if tuples < float64(created)/2 {
		t.Errorf("reltuples %v after %d creates", tuples, created)
	}
	t.Logf("analyzed after %d creates; reltuples %v", created, tuples)
}
