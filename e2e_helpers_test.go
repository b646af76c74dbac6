package scim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventtest"
	"github.com/scimkit/scim/store/memory"
)

const (
	tokenA = "scim_test_token_tenant_a"
	tokenB = "scim_test_token_tenant_b"
)

// harness is a Server with a memory store mounted at /scim/v2 on an
// httptest server, with two tenants and a captured log.
type harness struct {
	t    *testing.T
	srv  *httptest.Server
	base string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var ts scim.Tokens
	for tenant, tok := range map[string]string{"a": tokenA, "b": tokenB} {
		if err := ts.Add(scim.Token{Tenant: tenant, Digest: scim.TokenDigest(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	// Every scenario also checks the events it makes: each one continues
	// its resource's stream (see eventtest.Replay).
	rec := eventtest.NewRecorder()
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   &ts,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Events: rec.Handle,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if st := srv.EventStats(); st.Dropped > 0 {
			t.Errorf("events dropped: %+v", st)
		}
		_, problems := eventtest.Replay(rec.Events())
		for _, p := range problems {
			t.Errorf("event stream: %s", p)
		}
	})
	return &harness{t: t, srv: hs, base: hs.URL + "/scim/v2", logs: logs}
}

// resp is a decoded response.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// do sends a request as tenant a. body may be "" for none.
func (h *harness) do(method, path, body string) resp {
	h.t.Helper()
	return h.doAs(tokenA, method, path, body, nil)
}

func (h *harness) doAs(token, method, path, body string, hdr map[string]string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(b)}
	if len(b) > 0 {
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			h.t.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
		if err := json.Unmarshal(b, &out.Body); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, b)
		}
	}
	return out
}

// must asserts the status and returns the response.
func (h *harness) must(status int, method, path, body string) resp {
	h.t.Helper()
	r := h.do(method, path, body)
	if r.Status != status {
		h.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, status, r.Raw)
	}
	return r
}

// createUser posts a user body and returns its id.
func (h *harness) createUser(body string) string {
	h.t.Helper()
	r := h.must(201, "POST", "/Users", body)
	id, _ := r.Body["id"].(string)
	if id == "" {
		h.t.Fatalf("no id in %s", r.Raw)
	}
	return id
}

func (h *harness) createGroup(body string) string {
	h.t.Helper()
	r := h.must(201, "POST", "/Groups", body)
	id, _ := r.Body["id"].(string)
	if id == "" {
		h.t.Fatalf("no id in %s", r.Raw)
	}
	return id
}

// path returns the value at a dotted path of keys (numbers index lists).
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// memberIDs returns the member values of a group document.
func memberIDs(g map[string]any) []string {
	var ids []string
	for _, m := range path(g, "members").([]any) {
		ids = append(ids, path(m, "value").(string))
	}
	return ids
}

func userBody(userName string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName + `","active":true}`
}
