package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scim/filter"
)

// Bulk (RFC 7644 section 3.7). Each operation is served as the request it
// stands for would be on its own: an internal request, with the
// operation's data as its body and its version as If-Match, goes through
// the same create, replace, patch and delete code into an in-memory
// recorder, so validation, body and PATCH limits, BeforeWrite hooks,
// events and ETags are those of the single request. The Bulk request's
// tenant and context (authentication, request info) are every
// operation's.

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	// bulkIDPrefix marks a reference to the resource an operation of the
	// same request creates (section 3.7.2).
	bulkIDPrefix = "bulkId:"
)

// bulkOp is one operation of a BulkRequest.
type bulkOp struct {
	index   int // position in the request
	method  string
	bulkID  string
	version string
	path    string
	data    any   // nil when absent
	deps    []int // indexes of the operations whose bulkIds it references
	err     error // a fault found before it runs
	// offCycle: found to be on no bulkId cycle (see breakCycle).
	offCycle bool
}

// bulkResult is one entry of a BulkResponse.
type bulkResult struct {
	Location string          `json:"location,omitempty"`
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`

	// served: the operation was served as a request of its own, which
	// made its provisioning log record; scimType is an unserved
	// operation's.
	served   bool
	scimType string
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

// bulk serves POST /Bulk.
func (q *request) bulk() {
	b, err := q.readBulk()
	if err != nil {
		q.fail(err)
		return
	}
	ops, failOnErrors, err := parseBulk(b, q.s.cfg.BulkMaxOperations)
	if err != nil {
		q.fail(err)
		return
	}
	results := q.runBulk(ops, failOnErrors)
	writeJSON(q.w, http.StatusOK, bulkResponse{Schemas: []string{bulkResponseURN}, Operations: results})
}

// readBulk reads the Bulk body within BulkMaxPayloadBytes, which stands in
// for MaxBodyBytes here.
func (q *request) readBulk() ([]byte, error) {
	if err := mediaTypeError(q.r); err != nil {
		return nil, err
	}
	limit := q.s.cfg.BulkMaxPayloadBytes
	b, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The size of the bulk operation exceeds the maxPayloadSize (" + strconv.FormatInt(limit, 10) + ")."}
		}
		return nil, Errorf(InvalidSyntax, "The request body could not be read.")
	}
	return b, nil
}

// parseBulk decodes a BulkRequest and checks it as a whole: at most
// maxOps operations, bulkIds unique, failOnErrors a positive integer
// (0 when absent). Faults of one operation are kept in its err, to be
// answered in its own entry.
func parseBulk(b []byte, maxOps int) ([]*bulkOp, int, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, 0, Errorf(InvalidSyntax, "The request body is empty; a BulkRequest object is required.")
	}
	body, err := decodeObject(b)
	if err != nil {
		return nil, 0, err
	}
	if s, ok := field(body, "schemas"); ok && !hasString(s, bulkRequestURN) {
		return nil, 0, Errorf(InvalidSyntax, "schemas must list %s.", bulkRequestURN)
	}
	failOnErrors := 0
	if v, ok := field(body, "failOnErrors"); ok && v != nil {
		n, err := positiveInt(v)
		if err != nil {
			return nil, 0, Errorf(InvalidValue, "failOnErrors must be a positive integer.")
		}
		failOnErrors = n
	}
	raw, _ := field(body, "Operations")
	list, ok := raw.([]any)
	if !ok {
		return nil, 0, Errorf(InvalidSyntax, "A BulkRequest needs an Operations array.")
	}
	if len(list) > maxOps {
		return nil, 0, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The bulk request has " + strconv.Itoa(len(list)) + " operations; the maxOperations is " + strconv.Itoa(maxOps) + "."}
	}
	ops := make([]*bulkOp, len(list))
	byBulkID := map[string]int{}
	for i, v := range list {
		op := &bulkOp{index: i}
		ops[i] = op
		m, ok := v.(map[string]any)
		if !ok {
			op.err = Errorf(InvalidSyntax, "Each operation must be a JSON object.")
			continue
		}
		op.method, op.err = stringField(m, "method", op.err)
		op.bulkID, op.err = stringField(m, "bulkId", op.err)
		op.version, op.err = stringField(m, "version", op.err)
		op.path, op.err = stringField(m, "path", op.err)
		op.data, _ = field(m, "data")
		op.method = strings.ToUpper(op.method)
		if op.bulkID != "" {
			if _, dup := byBulkID[op.bulkID]; dup {
				return nil, 0, Errorf(InvalidValue, "The bulkId %q is used by two operations; each must be unique.", op.bulkID)
			}
			byBulkID[op.bulkID] = i
		}
	}
	for _, op := range ops {
		if op.err != nil {
			continue
		}
		op.err = op.check()
		for _, ref := range op.refs() {
			j, ok := byBulkID[ref]
			switch {
			case !ok:
				op.err = Errorf(InvalidValue, "The bulkId %q is not defined by a POST in this request.", ref)
			case ops[j].method != http.MethodPost:
				op.err = Errorf(InvalidValue, "The bulkId %q is not that of a POST in this request.", ref)
			}
			if op.err != nil {
				break
			}
			op.deps = append(op.deps, j)
		}
	}
	return ops, failOnErrors, nil
}

// check refuses what no single request could be: a method other than
// POST, PUT, PATCH or DELETE, a POST without a bulkId or data.
func (op *bulkOp) check() error {
	switch op.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if op.data == nil {
			return Errorf(InvalidSyntax, "A %s operation needs data.", op.method)
		}
	case http.MethodDelete:
	default:
		return Errorf(InvalidSyntax, "The method of an operation must be POST, PUT, PATCH or DELETE.")
	}
	if op.method == http.MethodPost && op.bulkID == "" {
		return Errorf(InvalidSyntax, "A POST operation needs a bulkId.")
	}
	if strings.HasPrefix(op.bulkID, bulkIDPrefix) || op.bulkID != "" && strings.ContainsAny(op.bulkID, "/?#") {
		return Errorf(InvalidValue, "A bulkId must not start with %q nor hold '/', '?' or '#'.", bulkIDPrefix)
	}
	if !strings.HasPrefix(op.path, "/") {
		return Errorf(InvalidSyntax, "The path of an operation must start with '/', e.g. /Users.")
	}
	return nil
}

// refs returns the bulkIds op references, in its path, as any string
// value of its data that is "bulkId:<id>" and, for a PATCH, as any such
// string literal in the value filter of one of its operations' paths,
// each once.
func (op *bulkOp) refs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if id, ok := strings.CutPrefix(s, bulkIDPrefix); ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, seg := range strings.Split(op.path, "/") {
		if u, err := url.PathUnescape(seg); err == nil {
			add(u)
		}
	}
	walkStrings(op.data, add)
	if op.method == http.MethodPatch {
		patchPaths(op.data, func(p string) string {
			filterRefs(p, func(ref string) string { add(bulkIDPrefix + ref); return "" })
			return p // found, not rewritten
		})
	}
	return out
}

// patchPaths sets the path of each operation of the PatchOp data to f of
// it. Paths that are not strings are left to the PATCH to refuse.
func patchPaths(data any, f func(string) string) {
	m, _ := data.(map[string]any)
	ops, _ := field(m, "Operations")
	list, _ := ops.([]any)
	for _, o := range list {
		om, _ := o.(map[string]any)
		for k, v := range om {
			if s, ok := v.(string); ok && strings.EqualFold(k, "path") {
				om[k] = f(s)
			}
		}
	}
}

// filterRefs returns the PATCH path p with each string literal
// "bulkId:<id>" of its value filter replaced by f(id), or p as it is when
// it has none. The path is parsed, not searched, so that an escaped
// literal ("bulkId:u\u0031") is found and a quote inside another literal
// is not taken for one; a path that does not parse is left to the PATCH
// to refuse.
func filterRefs(p string, f func(id string) string) string {
	fp, err := filter.ParsePath(p)
	if err != nil || fp.Filter == nil {
		return p
	}
	found := false
	fp.Filter = filter.Rewrite(fp.Filter, func(c *filter.Compare) filter.Expr {
		s, _ := c.Value.(string)
		id, ok := strings.CutPrefix(s, bulkIDPrefix)
		if !ok {
			return c
		}
		found = true
		out := *c
		out.Value = f(id)
		return &out
	})
	if !found {
		return p
	}
	return fp.String()
}

// walkStrings calls f with every string value (not key) in v.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}

// resolve returns v with every "bulkId:<id>" string value replaced by the
// id created for it.
func resolve(v any, ids map[string]string) any {
	switch x := v.(type) {
	case string:
		if id, ok := strings.CutPrefix(x, bulkIDPrefix); ok {
			if got, ok := ids[id]; ok {
				return got
			}
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e, ids)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(e, ids)
		}
		return out
	}
	return v
}

// runBulk runs ops in dependency order, each after the operations whose
// bulkIds it references, else in request order; an operation whose
// dependency failed fails too. A cycle of POSTs is resolved as section
// 3.7.1 asks (see bulk_cycle.go); operations left in a cycle that cannot
// be resolved get 409. After failOnErrors errors (when not 0), or when
// the client has gone, it stops. The results are in request order, for
// the operations that ran.
func (q *request) runBulk(ops []*bulkOp, failOnErrors int) []bulkResult {
	results := make([]*bulkResult, len(ops))
	ids := map[string]string{} // bulkId -> id created
	var pending []*bulkDeferred
	errs := 0
	done := func(op *bulkOp, r bulkResult) bool {
		if !r.served {
			q.logUnserved(op, r)
		}
		results[op.index] = &r
		if st, _ := strconv.Atoi(r.Status); st >= 400 {
			errs++
		}
		return failOnErrors > 0 && errs >= failOnErrors
	}
	first := 0 // the first operation not run
loop:
	for first < len(ops) && q.r.Context().Err() == nil {
		// The first operation in request order whose dependencies have
		// run goes next, so that what the request orders stays ordered.
		var next *bulkOp
		for _, op := range ops[first:] {
			if results[op.index] == nil && depsDone(op, results) {
				next = op
				break
			}
		}
		var d *bulkDeferred
		if next == nil {
			// What is left waits on itself: a cycle, or operations
			// waiting on one. One POST of a cycle is created without
			// the references, which are added once they resolve.
			next, d = q.breakCycle(ops, results)
		}
		if next != nil {
			r := q.runOp(next, ids, results)
			if d != nil && r.Status == strconv.Itoa(http.StatusCreated) {
				d.id = ids[next.bulkID]
				pending = append(pending, d)
			}
			if done(next, r) {
				break loop
			}
		} else {
			for _, op := range ops {
				if results[op.index] != nil {
					continue
				}
				if done(op, errResult(op, &Error{Status: http.StatusConflict, Detail: "The operation is part of, or waits on, a circular bulkId reference that cannot be resolved: each operation in the cycle holds its reference in a required attribute."})) {
					break loop
				}
			}
		}
		// Left-out references whose bulkIds have now run are added.
		kept := pending[:0]
		for _, d := range pending {
			if !depsDone(&bulkOp{deps: d.waits}, results) {
				kept = append(kept, d)
				continue
			}
			if r, ok := q.completeDeferred(d, ids, results); !ok {
				if done(d.op, r) {
					pending = nil
					break loop
				}
			} else {
				results[d.op.index] = &r
			}
		}
		pending = kept
		for first < len(ops) && results[first] != nil {
			first++
		}
	}
	// Stopped with references still left out: those resources go again.
	for _, d := range pending {
		r := q.abandonDeferred(d, "the Bulk request stopped before the referenced operations ran")
		results[d.op.index] = &r
	}
	out := make([]bulkResult, 0, len(ops))
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

func depsDone(op *bulkOp, results []*bulkResult) bool {
	for _, j := range op.deps {
		if results[j] == nil {
			return false
		}
	}
	return true
}

// runOp runs one operation whose dependencies have run.
func (q *request) runOp(op *bulkOp, ids map[string]string, results []*bulkResult) bulkResult {
	if op.err != nil {
		return errResult(op, op.err)
	}
	for _, j := range op.deps {
		if st, _ := strconv.Atoi(results[j].Status); st >= 400 {
			return errResult(op, Errorf(InvalidValue, "The operation references the bulkId of an operation that failed."))
		}
	}
	res, id, err := q.bulkTarget(op, ids)
	if err != nil {
		return errResult(op, err)
	}
	var body []byte
	if op.data != nil {
		data := resolve(op.data, ids)
		if op.method == http.MethodPatch {
			patchPaths(data, func(p string) string {
				return filterRefs(p, func(ref string) string { return ids[ref] }) // the dependency succeeded
			})
		}
		if body, err = json.Marshal(data); err != nil {
			return errResult(op, Errorf(InvalidSyntax, "The operation's data could not be read."))
		}
	}
	rec, err := q.serveInternal(q.r.Context(), res, op.method, id, "", body, op.version)
	if err != nil {
		return errResult(op, err)
	}
	out := bulkResult{Method: op.method, BulkID: op.bulkID, Status: strconv.Itoa(rec.status), served: true}
	if rec.status >= 400 {
		out.Response = rec.body.Bytes()
		return out
	}
	out.Version = rec.header.Get("ETag")
	if op.method == http.MethodPost {
		var doc struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(rec.body.Bytes(), &doc) == nil && doc.ID != "" {
			ids[op.bulkID] = doc.ID
			id = doc.ID
		}
	}
	out.Location = rec.header.Get("Location")
	if out.Location == "" && id != "" {
		out.Location = q.base + "/" + strings.Trim(res.Type.Endpoint, "/") + "/" + url.PathEscape(id)
	}
	return out
}

// serveInternal serves method on res (on the resource id when not "")
// as the same request on its own would be, with body (nil for none) and
// ifMatch as If-Match when not "", into a recorder.
func (q *request) serveInternal(ctx context.Context, res *Resource, method, id, query string, body []byte, ifMatch string) (*recorder, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, "/", rd)
	if err != nil {
		return nil, err
	}
	r.URL = &url.URL{Path: "/" + strings.Trim(res.Type.Endpoint, "/"), RawQuery: query}
	if id != "" {
		r.URL.Path += "/" + id
	}
	r.Header.Set("Content-Type", "application/scim+json")
	if ifMatch != "" {
		r.Header.Set("If-Match", ifMatch)
	}
	rec := &recorder{header: http.Header{}}
	start := time.Now()
	lr := &LogRecord{Time: start, Tenant: q.tenant, RequestID: q.log.RequestID, Client: q.log.Client, Method: method,
		Op: methodOp(method), ResourceType: res.Type.Name, ResourceID: boundedUTF8(id, maxLoggedID)}
	sub := &request{s: q.s, w: rec, r: r, tenant: q.tenant, base: q.base, log: lr, changes: q.changes}
	if method == http.MethodPost {
		sub.create(res)
	} else {
		sub.one(res, id)
	}
	lr.Status, lr.Duration = rec.status, time.Since(start)
	q.s.logOperation(ctx, "scim bulk operation", lr)
	return rec, nil
}

// logUnserved records an operation refused before it could be served
// as a request of its own, from its entry r.
func (q *request) logUnserved(op *bulkOp, r bulkResult) {
	lr := &LogRecord{Time: time.Now(), Tenant: q.tenant, RequestID: q.log.RequestID, Client: q.log.Client,
		Method: op.method, Op: methodOp(op.method), SCIMType: r.scimType}
	if op.method == http.MethodGet || op.method == http.MethodHead {
		lr.Op = "" // no Bulk operation reads
	}
	lr.Status, _ = strconv.Atoi(r.Status)
	segs := strings.Split(strings.Trim(op.path, "/"), "/")
	if res := q.s.byPath[strings.ToLower(segs[0])]; res != nil {
		lr.ResourceType = res.Type.Name
	}
	if len(segs) == 2 {
		lr.ResourceID = boundedUTF8(segs[1], maxLoggedID)
	}
	q.s.logOperation(q.r.Context(), "scim bulk operation", lr)
}

// bulkTarget resolves an operation's path to a resource type and, but
// for a POST, a resource id (a bulkId resolved): what the path of the
// same request alone would name, else 404.
func (q *request) bulkTarget(op *bulkOp, ids map[string]string) (*Resource, string, error) {
	notFound := &Error{Status: http.StatusNotFound, Detail: "No such endpoint for a bulk operation; use /<ResourceType> for POST and /<ResourceType>/<id> for PUT, PATCH and DELETE."}
	if strings.ContainsAny(op.path, "?#") {
		return nil, "", Errorf(InvalidSyntax, "The path of a bulk operation takes no query.")
	}
	segs := strings.Split(strings.Trim(op.path, "/"), "/")
	res := q.s.byPath[strings.ToLower(segs[0])]
	want := 2
	if op.method == http.MethodPost {
		want = 1
	}
	if res == nil || len(segs) != want {
		return nil, "", notFound
	}
	if want == 1 {
		return res, "", nil
	}
	id, err := url.PathUnescape(segs[1])
	if err != nil || id == "" || id == ".search" {
		return nil, "", notFound
	}
	if ref, ok := strings.CutPrefix(id, bulkIDPrefix); ok {
		id = ids[ref] // the dependency succeeded, so it is there
	}
	return res, id, nil
}

// errResult is the entry of an operation that failed with err.
func errResult(op *bulkOp, err error) bulkResult {
	se := asError(err)
	b, mErr := json.Marshal(se)
	if mErr != nil {
		b = nil
	}
	return bulkResult{Method: op.method, BulkID: op.bulkID, Status: strconv.Itoa(se.Status), Response: b, scimType: se.ScimType}
}

// recorder is the in-memory http.ResponseWriter an operation is served
// into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// field returns the value of m's key name, compared case-insensitively
// as SCIM attribute names are.
func field(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// stringField reads an optional string member of m; prev, when not nil,
// is kept as the first fault.
func stringField(m map[string]any, name string, prev error) (string, error) {
	v, ok := field(m, name)
	if !ok || v == nil {
		return "", prev
	}
	s, isStr := v.(string)
	if !isStr && prev == nil {
		prev = Errorf(InvalidSyntax, "The %s of an operation must be a string.", name)
	}
	return s, prev
}

func hasString(v any, want string) bool {
	list, _ := v.([]any)
	for _, e := range list {
		if s, _ := e.(string); strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}

// positiveInt reads a JSON number that is an integer of at least 1.
func positiveInt(v any) (int, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	i, err := strconv.Atoi(string(n))
	if err != nil || i < 1 {
		return 0, errors.New("not a positive integer")
	}
	return i, nil
}
