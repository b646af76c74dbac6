package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

// BenchmarkOperationLog measures the request path with no provisioning
// log, with the in-memory one and with the SQLite one (on a database of
// its own, the users in memory), for Entra's lookup and a user PATCH:
// what recording a LogRecord and computing changed names cost a request.
// The SQLite log's writes happen in the background; dropped/op reports
// records its full buffer dropped.
func BenchmarkOperationLog(b *testing.B) {
	sinks := []struct {
		name string
		open func(b *testing.B) (scim.LogSink, func() int64)
	}{
		{"off", func(*testing.B) (scim.LogSink, func() int64) { return nil, nil }},
		{"memory", func(*testing.B) (scim.LogSink, func() int64) {
			return memory.NewOperationLog(memory.OperationLogOptions{}), nil
		}},
		{"sqlite", func(b *testing.B) (scim.LogSink, func() int64) {
			db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(filepath.Join(b.TempDir(), "oplog.db")))
			if err != nil {
				b.Fatal(err)
			}
			l, err := sqlstore.OpenOperationLog(context.Background(), db, sqlstore.SQLite, sqlstore.OperationLogOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { l.Close(); db.Close() })
			return l, func() int64 { return l.Stats().Dropped }
		}},
	}
	for _, sk := range sinks {
		b.Run(sk.name, func(b *testing.B) {
			st := memory.New()
			ctx := context.Background()
			var names, ids []string
			for i := range 1000 {
				u, err := st.CreateUser(ctx, "t", &scim.User{UserName: fmt.Sprintf("user%04d@contoso.com", i), Active: new(true)})
				if err != nil {
					b.Fatal(err)
				}
				names, ids = append(names, u.UserName), append(ids, u.ID)
			}
			sink, dropped := sk.open(b)
			srv, err := scim.NewServer(scim.Config{Store: st, Auth: scim.StaticToken("t", "tok"), OperationLog: sink,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			do := func(method, target, body string, want int) {
				r := httptest.NewRequest(method, target, strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer tok")
				r.Header.Set("Content-Type", "application/scim+json")
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != want {
					b.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
				}
			}
			b.Run("lookup", func(b *testing.B) {
				i := 0
				for b.Loop() {
					do("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+names[i%len(names)]+`"`), "", http.StatusOK)
					i++
				}
			})
			b.Run("patch", func(b *testing.B) {
				i := 0
				for b.Loop() {
					do("PATCH", "/Users/"+ids[i%len(ids)], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"T`+fmt.Sprint(i)+`"}]}`, http.StatusOK)
					i++
				}
			})
			if dropped != nil {
				b.ReportMetric(float64(dropped()), "dropped")
			}
		})
	}
}
