package sqlstore

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/jsonx"
)

// userRow is a users row as read: the stored document and the columns the
// store owns.
type userRow struct {
	id                string
	created, modified int64 // Unix nanoseconds
	version           int64
	doc               []byte
	seq               int64 // creation order, for keyset paging
}

// encodeUser returns the document stored for u: its JSON form without
// id, meta and groups, which live in columns and other tables.
func encodeUser(u *scim.User) ([]byte, error) {
	c := *u // shallow: only read by Marshal
	c.ID, c.Groups, c.Meta = "", nil, scim.Meta{}
	return json.Marshal(&c)
}

// user decodes r into a caller-owned User with groups.
func (r *userRow) user(groups []scim.GroupRef) (*scim.User, error) {
	u, err := decodeUser(r.doc)
	if err != nil {
		return nil, err
	}
	u.ID = r.id
	u.Groups = groups
	u.Meta = meta(r.created, r.modified, r.version)
	return u, nil
}

// written returns the user r holds, u being the user whose encoding is
// r.doc: what r.user returns, without decoding r.doc where storedUser can
// tell it.
func (r *userRow) written(u *scim.User, groups []scim.GroupRef) (*scim.User, error) {
	c, ok := storedUser(u, r.doc)
	if !ok {
		return r.user(groups)
	}
	c.ID = r.id
	c.Groups = groups
	c.Meta = meta(r.created, r.modified, r.version)
	return c, nil
}

// decodeUser decodes a stored user document: straight into the User
// (readUser) when it has encodeUser's shape, else parseUser.
func decodeUser(doc []byte) (*scim.User, error) {
	if u, ok := readUser(doc); ok {
		return u, nil
	}
	return parseUser(doc)
}

// parseUser decodes any user document in one pass of jsonx and a walk of
// its result (scim.UserFromDoc), several times faster than encoding/json
// with the User's own UnmarshalJSON; anything that walk refuses (a
// duplicate key, a value of the wrong type) is decoded by encoding/json.
// It is readUser's reference.
func parseUser(doc []byte) (*scim.User, error) {
	if v, err := jsonx.Parse(doc, jsonx.Options{RejectDuplicateKeys: true}); err == nil {
		if m, ok := v.(map[string]any); ok {
			if u, err := scim.UserFromDoc(m); err == nil {
				return u, nil
			}
		}
	}
	u := new(scim.User)
	if err := json.Unmarshal(doc, u); err != nil {
		return nil, err
	}
	return u, nil
}

// storedUser returns what decoding doc, encodeUser's encoding of u, would
// give, without decoding it: a deep copy of u in which an empty list is
// nil, as the JSON round trip leaves it. ok is false when the copy could
// differ from the round trip: for host extensions (whose values decode
// as JSON types) and for text that was not UTF-8 (which encoding/json
// replaced with U+FFFD).
func storedUser(u *scim.User, doc []byte) (out *scim.User, ok bool) {
	if len(u.Extensions) > 0 || bytes.Contains(doc, []byte(`\ufffd`)) {
		return nil, false
	}
	c := *u
	c.ID, c.Groups, c.Meta, c.Extensions = "", nil, scim.Meta{}, nil
	if u.Name != nil {
		n := *u.Name
		c.Name = &n
	}
	if u.Active != nil {
		a := *u.Active
		c.Active = &a
	}
	if u.Enterprise != nil {
		e := *u.Enterprise
		if e.Manager != nil {
			m := *e.Manager
			e.Manager = &m
		}
		c.Enterprise = &e
	}
	for _, l := range []*[]scim.MultiValue{&c.Emails, &c.PhoneNumbers, &c.IMs, &c.Photos, &c.Entitlements, &c.Roles, &c.X509Certificates} {
		*l = cloneList(*l)
	}
	c.Addresses = cloneList(c.Addresses)
	return &c, true
}

// cloneList copies l; nil when empty, as encoding/json's omitempty and
// decoding leave it.
func cloneList[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return slices.Clone(l)
}

func meta(created, modified, version int64) scim.Meta {
	return scim.Meta{
		Created:      nsTime(created),
		LastModified: nsTime(modified),
		Version:      strconv.FormatInt(version, 10),
	}
}

func nsTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// matchDoc returns the JSON form of r with groups, exactly as
// scim.UserDoc returns it for r.user(groups), without building the User:
// filters evaluated in Go decode every candidate, and this is one JSON
// pass instead of three.
func (r *userRow) matchDoc(groups []scim.GroupRef) (map[string]any, error) {
	v, err := jsonx.Parse(r.doc, jsonx.Options{})
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, errors.New("sqlstore: stored user is not a JSON object")
	}
	m["id"] = r.id
	m["meta"] = map[string]any{
		"created":      nsTime(r.created).Format(time.RFC3339Nano),
		"lastModified": nsTime(r.modified).Format(time.RFC3339Nano),
		"version":      strconv.FormatInt(r.version, 10),
	}
	delete(m, "groups")
	if len(groups) > 0 {
		gs := make([]any, len(groups))
		for i, g := range groups {
			e := map[string]any{"value": g.Value}
			if g.Display != "" {
				e["display"] = g.Display
			}
			if g.Type != "" {
				e["type"] = g.Type
			}
			gs[i] = e
		}
		m["groups"] = gs
	}
	return m, nil
}

// decodeGroupRefs decodes the [[id, displayName], ...] a groups
// aggregate returns.
func decodeGroupRefs(b []byte) ([]scim.GroupRef, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(b, &pairs); err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	refs := make([]scim.GroupRef, len(pairs))
	for i, p := range pairs {
		refs[i] = scim.GroupRef{Value: p[0], Display: p[1], Type: "direct"}
	}
	return refs, nil
}

// decodeMembers decodes the [[value, display, type], ...] a members
// aggregate returns.
func decodeMembers(b []byte) ([]scim.Member, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var triples [][3]string
	if err := json.Unmarshal(b, &triples); err != nil {
		return nil, err
	}
	if len(triples) == 0 {
		return nil, nil
	}
	ms := make([]scim.Member, len(triples))
	for i, t := range triples {
		ms[i] = scim.Member{Value: t[0], Display: t[1], Type: t[2]}
	}
	return ms, nil
}

// jsonList encodes values as a JSON array: lists reach SQL as one bound
// parameter that json_each / jsonb_array_elements unpack, whatever their
// length.
func jsonList[T any](vs []T) string {
	b, err := json.Marshal(vs)
	if err != nil {
		panic("sqlstore: cannot encode a list: " + err.Error())
	}
	return string(b)
}

// newID returns a random (version 4) UUID in lower case. Ids are their
// own case fold, which lets a case-insensitive comparison with an id
// (members.value eq "...") compare the folded literal with the stored id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// storable reports whether s can be a bound text parameter on every
// dialect: PostgreSQL text holds neither NUL nor invalid UTF-8. An id or
// literal that is not storable can match nothing stored.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func parseVersion(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != v {
		return -1 // matches no stored version
	}
	return n
}
