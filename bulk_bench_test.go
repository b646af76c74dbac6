package scim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

// bulkBenchN is the number of creates one op of the Bulk benchmarks makes.
const bulkBenchN = 1000

// bulkBenchStores opens the stores the Bulk benchmarks run on, by name;
// PostgreSQL (a schema of its own) is skipped unless SCIMKIT_TEST_POSTGRES
// is set.
func bulkBenchStores() map[string]func(b *testing.B) scim.Store {
	return map[string]func(b *testing.B) scim.Store{
		"memory": func(*testing.B) scim.Store { return memory.New() },
		"sqlite": func(b *testing.B) scim.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "scim.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(b *testing.B) scim.Store {
			s, err := sqlstore.Open(context.Background(), pgtest.DB(b, pgtest.SchemaDSN(b)), sqlstore.Postgres)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// bulkBenchServer is a Server on store that logs nothing.
func bulkBenchServer(b *testing.B, store scim.Store) *scim.Server {
	srv, err := scim.NewServer(scim.Config{Store: store, Auth: scim.StaticToken("t", "tok"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// bulkBenchUsers returns the bulkBenchN user bodies of one round and the
// BulkRequest creating them.
func bulkBenchUsers(round int) (users []string, bulk string) {
	users = make([]string, bulkBenchN)
	ops := make([]string, bulkBenchN)
	for i := range users {
		users[i] = bulkUser(fmt.Sprintf("r%d-u%d@contoso.com", round, i))
		ops[i] = bulkPost(fmt.Sprint("u", i), "/Users", users[i])
	}
	return users, bulkBody(0, ops...)
}

// checkBulkCreated fails b unless every operation of a Bulk answer was
// a 201.
func checkBulkCreated(b *testing.B, out string) {
	if strings.Count(out, `"status":"201"`) != bulkBenchN {
		b.Fatalf("not every create succeeded: %.500s", out)
	}
}

// BenchmarkBulkCreate compares 1,000 user creates sent as one Bulk
// request with the same creates sent as 1,000 POST /Users, through the
// whole Server without a network; one op is 1,000 creates.
func BenchmarkBulkCreate(b *testing.B) {
	stores := bulkBenchStores()
	for _, name := range []string{"memory", "sqlite"} {
		for _, mode := range []string{"bulk", "single"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				srv := bulkBenchServer(b, stores[name](b))
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
					users, bulk := bulkBenchUsers(round)
					round++
					if mode == "single" {
						for _, u := range users {
							do("POST", "/Users", u, 201)
						}
						continue
					}
					checkBulkCreated(b, do("POST", "/Bulk", bulk, 200))
				}
			})
		}
	}
}

// BenchmarkBulkCreateHTTP is BenchmarkBulkCreate over a real socket: an
// HTTP server on 127.0.0.1 and a keep-alive client, so that the 999
// round trips a Bulk saves are in the measure. One op is 1,000 creates:
// one Bulk request, 1,000 sequential POSTs, or 1,000 POSTs from 4
// concurrent clients (250 each) on 4 kept-alive connections.
func BenchmarkBulkCreateHTTP(b *testing.B) {
	stores := bulkBenchStores()
	for _, name := range []string{"memory", "sqlite", "postgres"} {
		for _, mode := range []string{"bulk", "posts", "posts-c4"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				ts := httptest.NewServer(bulkBenchServer(b, stores[name](b)))
				b.Cleanup(ts.Close)
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
				b.Cleanup(client.CloseIdleConnections)
				// do may run on other goroutines than the benchmark's, so
				// it reports with Errorf, and its callers stop.
				do := func(path, body string, want int) (string, bool) {
					r, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return "", false
					}
					r.Header.Set("Authorization", "Bearer tok")
					r.Header.Set("Content-Type", "application/scim+json")
					resp, err := client.Do(r)
					if err != nil {
						b.Error(err)
						return "", false
					}
					defer resp.Body.Close()
					out, err := io.ReadAll(resp.Body) // all of it, so the connection is reused
					if err != nil || resp.StatusCode != want {
						b.Errorf("%d %v %.500s", resp.StatusCode, err, out)
						return "", false
					}
					return string(out), true
				}
				posts := func(users []string, from, step int) bool {
					for i := from; i < len(users); i += step {
						if _, ok := do("/Users", users[i], 201); !ok {
							return false
						}
					}
					return true
				}
				round := 0
				for b.Loop() {
					users, bulk := bulkBenchUsers(round)
					round++
					ok := true
					switch mode {
					case "bulk":
						var out string
						if out, ok = do("/Bulk", bulk, 200); ok {
							checkBulkCreated(b, out)
						}
					case "posts":
						ok = posts(users, 0, 1)
					case "posts-c4":
						var wg sync.WaitGroup
						for w := range 4 {
							wg.Go(func() { posts(users, w, 4) })
						}
						wg.Wait()
					}
					if !ok || b.Failed() {
						b.FailNow()
					}
				}
			})
		}
	}
}
