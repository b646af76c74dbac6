package scim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// TestBaseURL checks that a client's Host, X-Forwarded-* headers and
// absolute-form request target change no URL in a response (Location,
// meta.location, members' $ref) unless it comes from a trusted proxy,
// and that Config.BaseURL overrides everything.
func TestBaseURL(t *testing.T) {
	const (
		local = "10.0.0.5:8080" // the address the connection arrived on
		proxy = "192.0.2.7:41000"
		other = "203.0.113.9:52000"
	)
	trusted := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	tests := []struct {
		name    string
		baseURL string
		proxies []netip.Prefix
		remote  string
		target  string // request target; relative to the mount unless absolute
		hdr     map[string]string
		noLocal bool // served without an http.Server's local address
		want    string
	}{
		{name: "plain", remote: other, want: "http://" + local + "/scim/v2"},
		{name: "forged Host", remote: other, hdr: map[string]string{"Host": "evil.example"}, want: "http://" + local + "/scim/v2"},
		{name: "forged X-Forwarded-Proto", remote: other, hdr: map[string]string{"X-Forwarded-Proto": "https"}, want: "http://" + local + "/scim/v2"},
		{name: "forged X-Forwarded-Host", remote: other, hdr: map[string]string{"X-Forwarded-Host": "evil.example"}, want: "http://" + local + "/scim/v2"},
		{name: "absolute-form target", remote: other, target: "http://evil.example/scim/v2/Groups", want: "http://" + local + "/scim/v2"},
		{name: "absolute-form target with other path", remote: other, target: "https://evil.example:443/scim/v2/Groups", want: "http://" + local + "/scim/v2"},
		{name: "headers from an untrusted peer", proxies: trusted, remote: other,
			hdr:  map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Host": "evil.example"},
			want: "http://" + local + "/scim/v2"},
		{name: "no local address", remote: other, noLocal: true, hdr: map[string]string{"Host": "evil.example"}, want: "/scim/v2"},

		{name: "trusted proxy: X-Forwarded-*", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "scim.example.com"},
			want: "https://scim.example.com/scim/v2"},
		{name: "trusted proxy: Host", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Proto": "https", "Host": "scim.example.com:8443"},
			want: "https://scim.example.com:8443/scim/v2"},
		{name: "trusted proxy: the last value counts", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.example, scim.example.com"},
			want: "https://scim.example.com/scim/v2"},
		{name: "trusted proxy: a host that is not a host", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Host": `x"/><script>`, "Host": "a b"},
			want: "http://" + local + "/scim/v2"},
		{name: "trusted proxy: other scheme", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "scim.example.com"},
			want: "http://scim.example.com/scim/v2"},
		{name: "trusted proxy: RemoteAddr without a port", proxies: trusted, remote: "192.0.2.7",
			hdr:  map[string]string{"X-Forwarded-Host": "scim.example.com"},
			want: "http://scim.example.com/scim/v2"},
		{name: "trusted proxy: IPv4-mapped IPv6 peer", proxies: trusted, remote: "[::ffff:192.0.2.7]:41000",
			hdr:  map[string]string{"X-Forwarded-Host": "scim.example.com"},
			want: "http://scim.example.com/scim/v2"},
		{name: "everyone trusted", proxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}, remote: other,
			target: "http://forwarded.example/scim/v2/Groups", want: "http://forwarded.example/scim/v2"},

		{name: "BaseURL", baseURL: "https://app.example.com/scim/v2/", proxies: trusted, remote: proxy,
			hdr:  map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example", "Host": "evil.example"},
			want: "https://app.example.com/scim/v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := scim.NewServer(scim.Config{
				Store:          memory.New(),
				Auth:           scim.StaticToken("t", "baseurl-test-token"),
				BaseURL:        tc.baseURL,
				TrustedProxies: tc.proxies,
			})
			if err != nil {
				t.Fatal(err)
			}
			h := http.StripPrefix("/scim/v2", srv)
			do := func(target, body string, hdr map[string]string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", target, strings.NewReader(body))
				req.RemoteAddr = tc.remote
				req.TLS = nil // a plain connection, whatever the target says
				if !tc.noLocal {
					req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey,
						net.TCPAddrFromAddrPort(netip.MustParseAddrPort(local))))
				}
				req.Header.Set("Authorization", "Bearer baseurl-test-token")
				req.Header.Set("Content-Type", "application/scim+json")
				for k, v := range hdr {
					if k == "Host" {
						req.Host = v
					} else {
						req.Header.Set(k, v)
					}
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					t.Fatalf("POST %s: %d %s", target, rec.Code, rec.Body)
				}
				return rec
			}
			user := do("/scim/v2/Users", `{"userName":"ada@example.com"}`, nil)
			var u struct{ ID string }
			if err := json.Unmarshal(user.Body.Bytes(), &u); err != nil {
				t.Fatal(err)
			}
			target := tc.target
			if target == "" {
				target = "/scim/v2/Groups"
			}
			rec := do(target, fmt.Sprintf(`{"displayName":"G","members":[{"value":%q}]}`, u.ID), tc.hdr)
			var g struct {
				ID      string
				Meta    struct{ Location string }
				Members []struct {
					Ref string `json:"$ref"`
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &g); err != nil {
				t.Fatal(err)
			}
			if got, want := rec.Header().Get("Location"), tc.want+"/Groups/"+g.ID; got != want {
				t.Errorf("Location = %q, want %q", got, want)
			}
			if got, want := g.Meta.Location, tc.want+"/Groups/"+g.ID; got != want {
				t.Errorf("meta.location = %q, want %q", got, want)
			}
			if len(g.Members) != 1 || g.Members[0].Ref != tc.want+"/Users/"+u.ID {
				t.Errorf("members = %+v, want one with $ref %q", g.Members, tc.want+"/Users/"+u.ID)
			}
		})
	}
}

// TestBaseURLOverTheWire sends a forged Host and an absolute-form request
// target through a real listener: the URLs name the listener's address.
func TestBaseURLOverTheWire(t *testing.T) {
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("t", "secret")})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	app := httptest.NewServer(mux)
	defer app.Close()
	addr := strings.TrimPrefix(app.URL, "http://")
	for _, target := range []string{"/scim/v2/ServiceProviderConfig", "http://evil.example/scim/v2/ServiceProviderConfig"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nAuthorization: Bearer secret\r\nConnection: close\r\n\r\n", target)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		var spc struct{ Meta struct{ Location string } }
		err = json.NewDecoder(res.Body).Decode(&spc)
		res.Body.Close()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := app.URL + "/scim/v2/ServiceProviderConfig"; spc.Meta.Location != want {
			t.Errorf("GET %s: meta.location = %q, want %q", target, spc.Meta.Location, want)
		}
	}
}
