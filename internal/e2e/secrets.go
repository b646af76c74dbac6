package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// MinSecretLen is the shortest secret Secrets checks for: shorter test
// tokens ("tok") are words that log lines contain for other reasons.
const MinSecretLen = 6

// Secrets collects the secrets a test binary sends: the ones it is given
// and, through Transport, every Authorization header value and bearer
// token, HTTP Basic password, client_secret or password in a form body,
// and every password in a JSON request body (a "password" member at
// any depth, or the value of a PATCH operation whose path is password).
type Secrets struct {
	mu  sync.Mutex
	set map[string]bool
}

// Add records secrets.
func (s *Secrets) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = map[string]bool{}
	}
	for _, v := range secrets {
		if v = strings.TrimSpace(v); len(v) >= MinSecretLen {
			s.set[v] = true
		}
	}
}

// List returns the secrets recorded, sorted.
func (s *Secrets) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for v := range s.set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Leaks returns the lines of text that contain a recorded secret, each
// with the secret it contains.
func (s *Secrets) Leaks(text string) (lines, secrets []string) {
	list := s.List()
	for _, line := range strings.Split(text, "\n") {
		for _, v := range list {
			if strings.Contains(line, v) {
				lines, secrets = append(lines, line), append(secrets, v)
				break
			}
		}
	}
	return lines, secrets
}

// Transport returns next recording the secrets of every request it sends.
func (s *Secrets) Transport(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		s.record(r)
		return next.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (s *Secrets) record(r *http.Request) {
	for _, a := range r.Header.Values("Authorization") {
		s.Add(a)
		if scheme, cred, ok := strings.Cut(a, " "); ok {
			s.Add(cred)
			if strings.EqualFold(scheme, "Basic") {
				s.addBasic(cred)
			}
		}
	}
	if r.GetBody == nil {
		return
	}
	body, err := r.GetBody()
	if err != nil {
		return
	}
	defer body.Close()
	b, _ := io.ReadAll(io.LimitReader(body, 8<<20))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(b)); err == nil {
			s.Add(form["client_secret"]...)
			s.Add(form["password"]...)
		}
		return
	}
	d := json.NewDecoder(bytes.NewReader(b))
	var v any
	if d.Decode(&v) == nil {
		s.Add(passwords(v)...)
	}
}

// addBasic records the password of HTTP Basic credentials, as sent and
// form-decoded (RFC 6749 section 2.3.1).
func (s *Secrets) addBasic(cred string) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return
	}
	if _, pw, ok := strings.Cut(string(raw), ":"); ok {
		s.Add(pw)
		if dec, err := url.QueryUnescape(pw); err == nil {
			s.Add(dec)
		}
	}
}

// passwords returns the password values in a decoded JSON value.
func passwords(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.EqualFold(k, "password") {
				if p, ok := x.(string); ok {
					out = append(out, p)
				}
			}
			if p, ok := x.(string); ok && strings.EqualFold(k, "path") && strings.EqualFold(p, "password") {
				for k2, val := range v {
					if s, ok := val.(string); ok && strings.EqualFold(k2, "value") {
						out = append(out, s)
					}
				}
			}
			out = append(out, passwords(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, passwords(x)...)
		}
	}
	return out
}
