package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretsTransport: the transport records bearer tokens, header
// values and passwords in bodies, and Leaks finds them in log lines.
func TestSecretsTransport(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hs.Close()
	var s Secrets
	s.Add("given-secret", "short")
	c := &http.Client{Transport: s.Transport(http.DefaultTransport)}
	for _, body := range []string{
		`{"userName":"u","PassWord":"placeholder1"}`,
		`{"Operations":[{"op":"replace","path":"password","value":"patched-pw"},{"op":"replace","value":{"name":{"password":"nested-pw"}}}]}`,
		`not json password`,
	} {
		req, _ := http.NewRequest("POST", hs.URL, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer the-token")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	want := []string{"Bearer the-token", "given-secret", "nested-pw", "patched-pw", "placeholder1", "the-token"}
	if diff := cmp.Diff(want, s.List()); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	lines, found := s.Leaks("ok line\nlevel=INFO token=the-token\nshort\n")
	if !cmp.Equal(lines, []string{"level=INFO token=the-token"}) || !cmp.Equal(found, []string{"the-token"}) {
		t.Errorf("Leaks: %q %q", lines, found)
	}
}
