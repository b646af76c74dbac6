package scim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The token endpoint speaks OAuth 2.0 (RFC 6749 sections 3.2, 4.4 and
// 5), not SCIM: its errors are RFC 6749 section 5.2 JSON, written here
// rather than by asError.

const (
	// maxTokenRequest bounds a token request body; a real one is about
	// 150 bytes.
	maxTokenRequest = 8 << 10
	// maxClientID and maxClientSecret bound the credentials looked at;
	// longer ones cannot be any Clients made.
	maxClientID            = 128
	maxClientSecret        = 512
	grantClientCredentials = "client_credentials"
)

// oauthError is an error response of RFC 6749 section 5.2. Descriptions
// are fixed text: never a request's value.
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e *oauthError) Error() string { return "oauth: " + e.code + ": " + e.desc }

func invalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

var (
	errInvalidClient = &oauthError{http.StatusUnauthorized, "invalid_client",
		"Client authentication failed: unknown client, wrong, revoked or expired secret, or no credentials."}
	errUnsupportedGrant = &oauthError{http.StatusBadRequest, "unsupported_grant_type",
		"Only grant_type=client_credentials is supported."}
	errInvalidScope = &oauthError{http.StatusBadRequest, "invalid_scope",
		"The scope is not a space-separated list of RFC 6749 scope tokens."}
	errTokenUnavailable = &oauthError{http.StatusServiceUnavailable, "temporarily_unavailable",
		"The token could not be issued; try again shortly."}
)

// tokenRequest is a parsed client credentials token request.
type tokenRequest struct {
	clientID, secret string
	scope            string
}

// ServeHTTP serves the token endpoint: a POST with an
// application/x-www-form-urlencoded body holding
// grant_type=client_credentials and an optional scope. The client
// authenticates with HTTP Basic (RFC 6749 section 2.3.1, id and secret
// form-urlencoded before base64) or with client_id and client_secret in
// the body, not both. The answer is JSON with access_token, token_type
// "Bearer", expires_in and scope, or an RFC 6749 section 5.2 error:
// invalid_request (400) for a malformed request, unsupported_grant_type
// (400) for another grant, invalid_scope (400), and invalid_client (401,
// with WWW-Authenticate: Basic) for a failed client authentication.
// invalid_grant is never answered: in this grant the client's credentials
// are the grant, so their failure is invalid_client. Every answer carries
// Cache-Control: no-store.
func (c *Clients) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if r.Method != http.MethodPost {
		h.Set("Allow", http.MethodPost)
		writeOAuthError(w, &oauthError{http.StatusMethodNotAllowed, "invalid_request", "The token endpoint takes POST only."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenRequest))
	if err != nil {
		writeOAuthError(w, invalidRequest("The request body is unreadable or larger than 8 KiB."))
		return
	}
	req, oerr := parseTokenRequest(r.Header.Get("Content-Type"), r.Header.Values("Authorization"), r.URL.RawQuery, body)
	if oerr != nil {
		c.refuse(w, r, oerr, "")
		return
	}
	token, t, err := c.grant(r.Context(), req.clientID, req.secret)
	switch {
	case errors.Is(err, errClientAuth):
		c.refuse(w, r, errInvalidClient, req.clientID)
		return
	case err != nil:
		c.logger().Error("scim: issuing an OAuth access token", "client", req.clientID, "err", err)
		h.Set("Retry-After", "5")
		writeOAuthError(w, errTokenUnavailable)
		return
	}
	expiresIn := int64(t.Expires.Sub(c.now()).Round(time.Second) / time.Second)
	writeOAuthJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Scope       string `json:"scope"`
	}{token, "Bearer", max(expiresIn, 1), c.scope()})
}

// refuse answers e and logs it for the host (the client id is public).
func (c *Clients) refuse(w http.ResponseWriter, r *http.Request, e *oauthError, clientID string) {
	c.logger().Info("scim: token request refused", "error", e.code, "client", clientID, "remote", r.RemoteAddr)
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth", charset="UTF-8"`)
	}
	writeOAuthError(w, e)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	writeOAuthJSON(w, e.status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.code, e.desc})
}

func writeOAuthJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // plain strings and numbers: cannot fail
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// parseTokenRequest parses a token request from its Content-Type, its
// Authorization header values, its query and its body.
func parseTokenRequest(contentType string, authorization []string, rawQuery string, body []byte) (tokenRequest, *oauthError) {
	var req tokenRequest
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return req, invalidRequest("The body must be application/x-www-form-urlencoded.")
	}
	// Credentials in the URI would end up in logs (RFC 6749 section 2.3.1).
	if q, err := url.ParseQuery(rawQuery); err != nil || q.Has("client_secret") {
		return req, invalidRequest("Parameters belong in the body; a client secret must never be in the URI.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return req, invalidRequest("The body is not valid form encoding.")
	}
	// RFC 6749 section 3.1: no parameter more than once; an empty one is
	// omitted.
	param := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, vs := range form {
		if len(vs) > 1 {
			return req, invalidRequest("A parameter is repeated.")
		}
		if hasControl(vs[0]) {
			return req, invalidRequest("A parameter holds control characters.")
		}
	}
	switch grant := param("grant_type"); {
	case grant == "":
		return req, invalidRequest("grant_type is missing.")
	case grant != grantClientCredentials:
		return req, errUnsupportedGrant
	}
	req.scope = param("scope")
	if !validScope(req.scope) {
		return req, errInvalidScope
	}
	bodyID, bodySecret := param("client_id"), param("client_secret")
	switch len(authorization) {
	case 0:
		req.clientID, req.secret = bodyID, bodySecret
	case 1:
		id, secret, ok := basicCredentials(authorization[0])
		if !ok {
			return req, errInvalidClient
		}
		// RFC 6749 section 2.3: one authentication method per request.
		if bodySecret != "" {
			return req, invalidRequest("The client authenticated both with HTTP Basic and in the body; use one.")
		}
		if bodyID != "" && bodyID != id {
			return req, invalidRequest("client_id in the body differs from the HTTP Basic one.")
		}
		req.clientID, req.secret = id, secret
	default:
		return req, invalidRequest("More than one Authorization header.")
	}
	if req.clientID == "" || req.secret == "" || len(req.clientID) > maxClientID || len(req.secret) > maxClientSecret {
		return tokenRequest{}, errInvalidClient
	}
	return req, nil
}

// basicCredentials decodes an HTTP Basic Authorization value whose user
// and password are form-urlencoded (RFC 6749 section 2.3.1).
func basicCredentials(h string) (id, secret string, ok bool) {
	scheme, enc, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Basic") || len(enc) > 2*(maxClientID+maxClientSecret) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if id, err = url.QueryUnescape(rawID); err != nil {
		return "", "", false
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", false
	}
	if hasControl(id) || hasControl(secret) {
		return "", "", false
	}
	return id, secret, true
}

// hasControl reports whether s holds an ASCII control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// validScope reports whether s is empty or a space-separated list of
// scope tokens (RFC 6749 section 3.3: %x21 / %x23-5B / %x5D-7E).
func validScope(s string) bool {
	if s == "" {
		return true
	}
	for _, tok := range strings.Split(s, " ") {
		if tok == "" {
			return false
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return false
			}
		}
	}
	return true
}
