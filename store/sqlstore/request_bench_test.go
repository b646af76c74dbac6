package sqlstore

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
)

// requestUserJSON is a POST /Users body with the whole mapping Entra ID
// sends; %d makes it unique.
const requestUserJSON = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],` +
	`"externalId":"ext-%[1]d","userName":"req.user.%[1]d@contoso.com","active":true,"displayName":"Ada Lovelace %[1]d",` +
	`"title":"Senior Analyst","preferredLanguage":"en-GB","emails":[{"primary":true,"type":"work","value":"ada%[1]d@contoso.com"}],` +
	`"addresses":[{"type":"work","country":"GB","region":"England","locality":"London","postalCode":"W1 1AA","formatted":"1 Main St, London","streetAddress":"1 Main St"}],` +
	`"name":{"givenName":"Ada","familyName":"Lovelace%[1]d","middleName":"King","formatted":"Ada King Lovelace%[1]d"},` +
	`"phoneNumbers":[{"type":"work","value":"+44 20 7946 0000"},{"type":"mobile","value":"07700 900000"}],` +
	`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering","employeeNumber":"%[1]d","costCenter":"CC-1","division":"R&D","organization":"Contoso Ltd"}}`

// BenchmarkRequests measures Entra ID's requests through a Server on each
// SQL store, in process, at concurrency 8: where the CPU goes per request
// kind (go test -cpuprofile), apart from the network and the client.
func BenchmarkRequests(b *testing.B) {
	for _, d := range []Dialect{SQLite, Postgres} {
		b.Run(d.String(), func(b *testing.B) {
			s := newStore(b, d)
			srv, err := scim.NewServer(scim.Config{Store: s, Auth: scim.StaticToken("t", "tok"),
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			serve := func(method, target, body string, want int) string {
				r := httptest.NewRequest(method, target, strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer tok")
				if body != "" {
					r.Header.Set("Content-Type", "application/scim+json")
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, r)
				if w.Code != want {
					panic(fmt.Sprintf("%s %s: %d %s", method, target, w.Code, w.Body))
				}
				return w.Header().Get("Location")
			}
			const users = 1000
			ids := make([]string, users)
			for i := range ids {
				loc := serve("POST", "/Users", fmt.Sprintf(requestUserJSON, i), http.StatusCreated)
				ids[i] = loc[strings.LastIndexByte(loc, '/')+1:]
			}
			var next atomic.Int64
			next.Store(users)
			kinds := []struct {
				name string
				req  func(n int64)
			}{
				{"get", func(n int64) { serve("GET", "/Users/"+ids[n%users], "", http.StatusOK) }},
				{"lookup", func(n int64) {
					serve("GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq "req.user.%d@contoso.com"`, n%users)), "", http.StatusOK)
				}},
				{"patch", func(n int64) {
					v := "False"
					if (n/users)%2 == 1 {
						v = "True"
					}
					serve("PATCH", "/Users/"+ids[n%users], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"`+v+`"}]}`, http.StatusOK)
				}},
				{"create", func(int64) {
					serve("POST", "/Users", fmt.Sprintf(requestUserJSON, next.Add(1)), http.StatusCreated)
				}},
			}
			for _, k := range kinds {
				b.Run(k.name, func(b *testing.B) {
					var n atomic.Int64
					var b0, w0 int64
					if s.w != nil {
						b0, w0 = s.w.stats()
					}
					b.SetParallelism((8 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							k.req(n.Add(1) - 1)
						}
					})
					if s.w != nil {
						b1, w1 := s.w.stats()
						if b1 > b0 {
							b.ReportMetric(float64(w1-w0)/float64(b1-b0), "writes/commit")
						}
					}
				})
			}
		})
	}
}
