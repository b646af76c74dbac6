package scim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

// BenchmarkBulkCreate compares 1,000 user creates sent as one Bulk
// request with the same creates sent as 1,000 POST /Users, through the
// whole Server without a network; one op is 1,000 creates.
func BenchmarkBulkCreate(b *testing.B) {
	const n = 1000
	stores := map[string]func(b *testing.B) scim.Store{
		"memory": func(*testing.B) scim.Store { return memory.New() },
		"sqlite": func(b *testing.B) scim.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "scim.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
	for _, name := range []string{"memory", "sqlite"} {
		for _, mode := range []string{"bulk", "single"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				srv, err := scim.NewServer(scim.Config{Store: stores[name](b), Auth: scim.StaticToken("t", "tok"),
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					b.Fatal(err)
				}
				do := func(method, path, body string, want int) string {
					r := httptest.NewRequest(method, path, strings.NewReader(body))
					r.Header.Set("Authorization", "Bearer tok")
					r.Header.Set("Content-Type", "application/scim+json")
					w := httptest.NewRecorder()
					srv.ServeHTTP(w, r)
					if w.Code != want {
						b.Fatalf("%d %.500s", w.Code, w.Body)
					}
					return w.Body.String()
				}
				round := 0
				for b.Loop() {
					users := make([]string, n)
					for i := range users {
						users[i] = bulkUser(fmt.Sprintf("r%d-u%d@contoso.com", round, i))
					}
					round++
					if mode == "single" {
						for _, u := range users {
							do("POST", "/Users", u, 201)
						}
						continue
					}
					ops := make([]string, n)
					for i, u := range users {
						ops[i] = bulkPost(fmt.Sprint("u", i), "/Users", u)
					}
					if out := do("POST", "/Bulk", bulkBody(0, ops...), 200); strings.Count(out, `"status":"201"`) != n {
						b.Fatalf("not every create succeeded: %.500s", out)
					}
				}
			})
		}
	}
}
