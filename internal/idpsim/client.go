package idpsim

import (
	"bytes"
	"context"
	"fmt"
	"github.com/scimkit/scim/internal/measure"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// reqKind classifies a request for the latency report.
type reqKind int

const (
	kLookup reqKind = iota // GET with a filter (including reference checks)
	kCreate
	kGet
	kPatchUser
	kPatchGroup
	kPut
	kDelete
	kList // paged listing without a filter (Okta's import)
	numKinds
)

var kindNames = [numKinds]string{"lookup", "create", "get", "patch-user", "patch-group", "put", "delete", "list"}

// kindStats are the counters of one request kind.
type kindStats struct {
	hist   measure.Histogram
	errors atomic.Uint64 // no response, or a 5xx
}

// maxResponseBytes bounds a response body read into memory.
const maxResponseBytes = 64 << 20

// newClient returns an HTTP client whose transport keeps a connection per
// worker alive, so the simulator never pays a handshake per request.
func newClient(conc int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * conc,
		MaxIdleConnsPerHost:   2 * conc,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// response is a fully read response.
type response struct {
	method string
	path   string // relative to the base URL, with the query
	status int
	ctype  string
	body   []byte

	doc     map[string]any
	docErr  error
	decoded bool
}

// json decodes the body as one JSON object, numbers as json.Number.
func (r *response) json() (map[string]any, error) {
	if !r.decoded {
		r.decoded = true
		v, err := parseJSON(r.body)
		if err != nil {
			r.docErr = fmt.Errorf("body is not JSON: %v", err)
		} else if m, ok := v.(map[string]any); !ok {
			r.docErr = errNotObject
		} else {
			r.doc = m
		}
	}
	return r.doc, r.docErr
}

// String names the request for failure details.
func (r *response) String() string { return r.method + " " + r.path }

// errorDetail extracts the SCIM error detail from an error response.
func (r *response) errorDetail() string {
	doc, err := r.json()
	if err != nil {
		b := r.body
		if len(b) > 200 {
			b = b[:200]
		}
		return strings.TrimSpace(string(b))
	}
	d, _ := doc["detail"].(string)
	if st, _ := doc["scimType"].(string); st != "" {
		d = st + ": " + d
	}
	return d
}

// send makes one request and records its latency under kind. path is
// relative to the base URL and already encoded.
func (s *simulation) send(ctx context.Context, kind reqKind, method, path string, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Authorization", "Bearer "+s.cfg.Token)
	if s.cfg.Mode == Okta {
		h.Set("Accept", "application/scim+json; charset=utf-8")
		h.Set("User-Agent", "Okta SCIM Client 1.0.0")
		if body != nil {
			h.Set("Content-Type", "application/json")
		}
	} else {
		// Entra has been seen without a User-Agent; an empty value makes
		// net/http send none.
		h.Set("User-Agent", "")
		if body != nil {
			h.Set("Content-Type", "application/scim+json")
		}
	}
	st := &s.kinds[kind]
	start := time.Now()
	resp, err := s.client.Do(req)
	var b []byte
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
	}
	d := time.Since(start)
	st.hist.Record(d)
	s.requests.Add(1)
	if err != nil {
		st.errors.Add(1)
		if s.cfg.Verbose {
			s.log.printf("%s %s -> error %v (%s)", method, path, err, fmtDur(d))
		}
		return nil, err
	}
	if resp.StatusCode >= 500 {
		st.errors.Add(1)
	}
	r := &response{method: method, path: path, status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
	if s.cfg.Verbose {
		s.log.printf("%s %s -> %d (%s)", method, path, r.status, fmtDur(d))
	}
	return r, nil
}

// filterQuery encodes a filter as the IdP does: Entra with + for spaces,
// Okta with %20.
func (s *simulation) filterQuery(f string) string {
	q := url.QueryEscape(f)
	if s.cfg.Mode == Okta {
		q = strings.ReplaceAll(q, "+", "%20")
	}
	return "filter=" + q
}

// quoteFilter quotes a filter comparison value.
func quoteFilter(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// userLookupPath is the matching query for a userName.
func (s *simulation) userLookupPath(userName string) string {
	return s.userMatchPath("userName", userName)
}

// userMatchPath is the matching query for a user attribute.
func (s *simulation) userMatchPath(attr, value string) string {
	p := "/Users?" + s.filterQuery(attr+" eq "+quoteFilter(value))
	if s.cfg.Mode == Okta {
		p += "&startIndex=1&count=100"
	}
	return p
}

// groupLookupPath is the matching query for a group displayName.
func (s *simulation) groupLookupPath(name string) string {
	return s.groupMatchPath("displayName", name)
}

// groupMatchPath is the matching query for a group attribute.
func (s *simulation) groupMatchPath(attr, value string) string {
	if s.cfg.Mode == Okta {
		return "/Groups?" + s.filterQuery(attr+" eq "+quoteFilter(value)) + "&startIndex=1&count=100"
	}
	return "/Groups?excludedAttributes=members&" + s.filterQuery(attr+" eq "+quoteFilter(value))
}

// referencePath is Entra's query for whether user id already has manager
// mgr.
func (s *simulation) referencePath(id, mgr string) string {
	return "/Users?" + s.filterQuery("id eq "+quoteFilter(id)+" and manager eq "+quoteFilter(mgr)) + "&attributes=id"
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
