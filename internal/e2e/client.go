// Package e2e is the HTTP side of the end-to-end tests: a client that
// sends SCIM requests with a bearer token and decodes the answers, and
// the request bodies identity providers send. The root package's tests
// and scimtest share it.
package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Client sends requests to a SCIM endpoint and fails T on transport
// errors, on answers that are not JSON objects, and on a Content-Type
// other than application/scim+json.
type Client struct {
	T     *testing.T
	Base  string // URL of the mount point, e.g. http://127.0.0.1:1234/scim/v2
	Token string // the bearer token Do sends
}

// Serve mounts h at /scim/v2 on a test server bound to 127.0.0.1 that
// closes when t ends, and returns a Client of it that sends token.
func Serve(t *testing.T, h http.Handler, token string) *Client {
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &Client{T: t, Base: hs.URL + "/scim/v2", Token: token}
}

// Resp is a decoded response.
type Resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// Do sends a request with c.Token. body may be "" for none.
func (c *Client) Do(method, path, body string) Resp {
	c.T.Helper()
	return c.DoAs(c.Token, method, path, body, nil)
}

// DoAs sends a request with token ("" for none) and the headers hdr (an
// empty value deletes the header, e.g. the default User-Agent).
func (c *Client) DoAs(token, method, path, body string, hdr map[string]string) Resp {
	c.T.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatal(err)
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
		c.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := Resp{Status: res.StatusCode, Header: res.Header, Raw: string(b)}
	if len(b) > 0 {
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			c.T.Errorf("%s %s: Content-Type %q, want application/scim+json", method, path, ct)
		}
		if err := json.Unmarshal(b, &out.Body); err != nil {
			c.T.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, b)
		}
	}
	return out
}

// Must sends a request with c.Token, fails unless the answer has status,
// and returns it.
func (c *Client) Must(status int, method, path, body string) Resp {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status != status {
		c.T.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, status, r.Raw)
	}
	return r
}

// CreateUser posts a user body and returns its id.
func (c *Client) CreateUser(body string) string {
	c.T.Helper()
	return c.create("/Users", body)
}

// CreateGroup posts a group body and returns its id.
func (c *Client) CreateGroup(body string) string {
	c.T.Helper()
	return c.create("/Groups", body)
}

func (c *Client) create(endpoint, body string) string {
	c.T.Helper()
	r := c.Must(201, "POST", endpoint, body)
	id, _ := r.Body["id"].(string)
	if id == "" {
		c.T.Fatalf("no id in %s", r.Raw)
	}
	return id
}

// Path returns the value at a path of keys into decoded JSON: strings
// name object members, ints index lists; nil when absent.
func Path(v any, keys ...any) any {
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

// MemberIDs returns the member values of a group document.
func MemberIDs(g map[string]any) []string {
	var ids []string
	list, _ := Path(g, "members").([]any)
	for _, m := range list {
		ids = append(ids, Path(m, "value").(string))
	}
	return ids
}
