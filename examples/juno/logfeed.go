package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/scimkit/scim"
)

// logFeed writes one provisioning log record per SCIM request, from the
// request, the response and the change events the request caused.
type logFeed struct {
	log  *memLog
	auth scim.Authenticator
	// pending holds events that came before their request's record (they
	// are delivered concurrently with the response), under log.mu.
	pending map[string][]scim.Event
}

// maxPending bounds pending: events of requests whose record never comes
// (a client that went away) are dropped past it.
const maxPending = 1000

type tenantKey struct{}

// Authenticate notes the tenant for the record.
func (f *logFeed) Authenticate(r *http.Request) (string, error) {
	t, err := f.auth.Authenticate(r)
	if p, ok := r.Context().Value(tenantKey{}).(*string); ok && err == nil {
		*p = t
	}
	return t, err
}

// recorder keeps the status and, for errors, the body of a response.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int) {
	r.status = s
	r.ResponseWriter.WriteHeader(s)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.status >= 400 && r.body.Len() < 4096 {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

func (f *logFeed) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tenant string
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), tenantKey{}, &tenant)))
		if tenant == "" {
			return // unauthenticated: no tenant to log it for
		}
		lr := logRecord{
			Time: start.UTC(), Tenant: tenant, RequestID: w.Header().Get("X-Request-Id"), Client: r.UserAgent(),
			Method: r.Method, Status: rec.status, Duration: time.Since(start), Outcome: "success",
		}
		lr.Op, lr.ResourceType, lr.ResourceID = classify(r.Method, r.URL.Path)
		if lr.Op == "create" && rec.status == http.StatusCreated {
			lr.ResourceID = path.Base(w.Header().Get("Location"))
		}
		if rec.status >= 400 {
			lr.Outcome = "failure"
			var e struct {
				SCIMType string `json:"scimType"`
			}
			json.Unmarshal(rec.body.Bytes(), &e)
			lr.SCIMType = e.SCIMType
		}
		f.log.mu.Lock()
		defer f.log.mu.Unlock()
		f.log.add(lr)
		evs := f.pending[lr.RequestID]
		delete(f.pending, lr.RequestID)
		for _, e := range evs {
			f.apply(e)
		}
	})
}

// classify names a SCIM request's operation and resource.
func classify(method, p string) (op, rtype, id string) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch parts[0] {
	case "Users":
		rtype = "User"
	case "Groups":
		rtype = "Group"
	case "Bulk":
		return "bulk", "", ""
	case "Me":
		return "me", "User", ""
	case "ServiceProviderConfig", "Schemas", "ResourceTypes":
		return "discovery", "", ""
	case ".search":
		return "search", "", ""
	}
	if len(parts) > 1 {
		id = parts[1]
	}
	switch {
	case id == ".search":
		return "search", rtype, ""
	case method == http.MethodPost:
		return "create", rtype, ""
	case method == http.MethodPut:
		return "replace", rtype, id
	case method == http.MethodPatch:
		return "patch", rtype, id
	case method == http.MethodDelete:
		return "delete", rtype, id
	case id != "":
		return "get", rtype, id
	}
	return "list", rtype, ""
}

// event adds what an event says changed to its request's record.
func (f *logFeed) event(e scim.Event) {
	f.log.mu.Lock()
	defer f.log.mu.Unlock()
	if !f.apply(e) && e.RequestID != "" {
		if f.pending == nil || len(f.pending) >= maxPending {
			f.pending = map[string][]scim.Event{}
		}
		f.pending[e.RequestID] = append(f.pending[e.RequestID], e)
	}
}

// apply adds e to its record, reporting whether there was one.
func (f *logFeed) apply(e scim.Event) bool {
	for i := len(f.log.recs) - 1; i >= 0; i-- {
		r := &f.log.recs[i]
		if r.RequestID != e.RequestID || r.Tenant != e.Tenant || (r.ResourceID != "" && r.ResourceID != e.ResourceID) {
			continue
		}
		r.ResourceID = e.ResourceID
		for _, c := range e.Changes {
			r.Changed = append(r.Changed, c.Attribute)
		}
		switch e.Kind {
		case scim.MembersAdded:
			r.MembersAdded = append(r.MembersAdded, e.Members...)
		case scim.MembersRemoved:
			r.MembersRemoved = append(r.MembersRemoved, e.Members...)
		}
		return true
	}
	return false
}
