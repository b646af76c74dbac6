package scim

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzBaseURL parses requests with any target, Host and X-Forwarded-*
// headers: from an untrusted peer the base URL is always the local
// address and the mount prefix; from a trusted one it is an http or https
// URL with a plain host. Either way it is safe to put in a URL, a header
// and a JSON document, and the mount prefix is the one parsing the target
// gives.
func FuzzBaseURL(f *testing.F) {
	f.Add("/scim/v2/Users", "evil.example", "https", "evil.example")
	f.Add("http://evil.example/scim/v2/Users?x=1", "h", "http, https", "a, b")
	f.Add("/scim/%76%32/Users", `x"y`, "javascript", "<script>")
	f.Add("/scim/v2/Users/a%2Fb", "[::1]:80", "", "")
	f.Add("/a/./scim/v2//Users/~x?y=%zz", "h", "", "")
	srv := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}}
	local := net.TCPAddrFromAddrPort(netip.MustParseAddrPort("10.0.0.5:8080"))
	f.Fuzz(func(t *testing.T, target, host, proto, fwdHost string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nX-Forwarded-Proto: " + proto +
			"\r\nX-Forwarded-Host: " + fwdHost + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/scim/v2")
		if !ok {
			return
		}
		r.URL.Path, r.URL.RawPath = rest, "" // as http.StripPrefix does
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		if got, want := mountPrefix(r), parsedMountPrefix(r); got != want {
			t.Fatalf("mountPrefix(%q, path %q) = %q, parsed %q", r.RequestURI, r.URL.Path, got, want)
		}
		for _, peer := range []string{"203.0.113.9:5000", "192.0.2.7:5000"} {
			r.RemoteAddr = peer
			got := srv.baseURL(r)
			u, err := url.Parse(got)
			if err != nil || strings.ContainsAny(got, "\"<>\\ \t\r\n'`") {
				t.Fatalf("peer %s: base URL %q is not a clean URL", peer, got)
			}
			if peer[0] == '2' { // untrusted
				if u.Scheme != "http" || u.Host != "10.0.0.5:8080" {
					t.Fatalf("untrusted peer: base URL %q, want http://10.0.0.5:8080/...", got)
				}
			} else if (u.Scheme != "http" && u.Scheme != "https") || !validHost(u.Host) || u.RawQuery != "" || u.Fragment != "" {
				t.Fatalf("trusted peer: base URL %q", got)
			}
		}
	})
}

// TestValidHost lists what a trusted Host or X-Forwarded-Host may be.
func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{
		"scim.example.com": true, "scim.example.com:8443": true, "10.0.0.5:8080": true, "[::1]": true, "[::1]:80": true,
		"": false, ":A": false, ":80": false, "a:b:c": false, "host:": true, "host:port": false, "[::1": false,
		"::1": false, "a b": false, "a/b": false, "a@b": false, strings.Repeat("a", 256): false,
	} {
		if got := validHost(h); got != want {
			t.Errorf("validHost(%q) = %v, want %v", h, got, want)
		}
	}
}
