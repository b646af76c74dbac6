package memory

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// roundTrip packs u, unpacks the result and fails t unless it equals u.
func roundTrip(t *testing.T, name string, u *scim.User) {
	t.Helper()
	s := packUser(u)
	var got scim.User
	if err := unpackUser(s, &got); err != nil {
		t.Fatalf("%s: unpackUser(packUser(u)): %v", name, err)
	}
	if d := cmp.Diff(u, &got); d != "" {
		t.Errorf("%s: unpackUser(packUser(u)) (-want +got):\n%s", name, d)
	}
	reused, err := unpackReuse(s, dirtyScratch(t))
	if err != nil {
		t.Fatalf("%s: unpackReuse(packUser(u)): %v", name, err)
	}
	if d := cmp.Diff(u, reused); d != "" {
		t.Errorf("%s: unpackReuse(packUser(u)) after another user (-want +got):\n%s", name, d)
	}
	userName, externalID, created, lastModified := userHead(s)
	head := []any{userName, externalID, created, lastModified}
	want := []any{u.UserName, u.ExternalID, u.Meta.Created, u.Meta.LastModified}
	if d := cmp.Diff(want, head); d != "" {
		t.Errorf("%s: userHead (-want +got):\n%s", name, d)
	}
}

// fullUser returns a user with every field set, by reflection.
func fullUser() *scim.User {
	var u scim.User
	n := 0
	fill(reflect.ValueOf(&u).Elem(), &n)
	return &u
}

// dirtyScratch returns scratch storage that has decoded a user with every
// field set, so that a field the next decode leaves out shows up if the
// scratch keeps it.
func dirtyScratch(t testing.TB) *unpackScratch {
	sc := new(unpackScratch)
	if _, err := unpackReuse(packUser(fullUser()), sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestPackEveryField fills every field of scim.User by reflection, so that
// a field added to the model later without support in the packed encoding
// fails here.
func TestPackEveryField(t *testing.T) {
	var u scim.User
	n := 0
	fill(reflect.ValueOf(&u).Elem(), &n)
	roundTrip(t, "every field", &u)
	roundTrip(t, "every field, again", &u) // into scratch that had the same shape

	// The same with every bool false and every string empty but one per
	// struct, so that each tag is also seen on its own.
	for i := range n {
		var v scim.User
		k := 0
		fillOnly(reflect.ValueOf(&v).Elem(), &k, i)
		roundTrip(t, "one field", &v)
	}
}

// fillOnly is fill that sets only the string or bool it reaches as the
// target-th, and every pointer and slice on the way, so that nested
// structs are present but empty.
func fillOnly(v reflect.Value, n *int, target int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		if *n == target {
			v.SetString("only")
		}
	case reflect.Bool:
		v.SetBool(*n == target)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillOnly(v.Elem(), n, target)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillOnly(v.Index(0), n, target)
	case reflect.Map: // scim.Extensions
		if *n == target {
			v.Set(reflect.ValueOf(scim.Extensions{"urn:example:ext": {"only": "only"}}))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if *n == target {
				v.Set(reflect.ValueOf(time.Unix(int64(*n), 0).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			fillOnly(v.Field(i), n, target)
		}
	default:
		panic("fillOnly: unhandled kind " + v.Kind().String())
	}
}

func TestPackEdgeCases(t *testing.T) {
	long := strings.Repeat("long value ", 10_000) // a multi-byte length
	tests := []struct {
		name string
		u    scim.User
	}{
		{"zero", scim.User{}},
		{"userName only", scim.User{UserName: "alice"}},
		{"inactive", scim.User{UserName: "a", Active: ptr(false)}},
		{"active", scim.User{UserName: "a", Active: ptr(true)}},
		{"empty structs", scim.User{
			Name:       &scim.Name{},
			Enterprise: &scim.EnterpriseUser{Manager: &scim.Manager{}},
		}},
		{"empty enterprise without manager", scim.User{Enterprise: &scim.EnterpriseUser{}}},
		{"empty lists", scim.User{
			Emails: []scim.MultiValue{}, PhoneNumbers: []scim.MultiValue{}, IMs: []scim.MultiValue{},
			Photos: []scim.MultiValue{}, Addresses: []scim.Address{}, Entitlements: []scim.MultiValue{},
			Roles: []scim.MultiValue{}, X509Certificates: []scim.MultiValue{}, Groups: []scim.GroupRef{},
		}},
		{"empty elements", scim.User{
			Emails: []scim.MultiValue{{}, {}}, Addresses: []scim.Address{{}}, Groups: []scim.GroupRef{{}},
		}},
		{"primary only", scim.User{
			Emails: []scim.MultiValue{{Primary: true}}, Addresses: []scim.Address{{Primary: true}},
		}},
		{"unicode", scim.User{
			UserName: "Ærøskøbing@例え.jp", DisplayName: "Zoë 🙂 Ünïcødé", ExternalID: "\x00\xff\xfe",
			Name:      &scim.Name{GivenName: "Σίσυφος", FamilyName: "ß\u0301"},
			Addresses: []scim.Address{{Locality: "Łódź", Country: "PL", Primary: true}},
		}},
		{"long", scim.User{
			UserName: long, Title: long,
			Emails:     []scim.MultiValue{{Value: long, Type: "work"}},
			Enterprise: &scim.EnterpriseUser{Manager: &scim.Manager{DisplayName: long}},
		}},
		{"many elements", scim.User{Emails: make([]scim.MultiValue, 300)}},
		{"times", scim.User{Meta: scim.Meta{
			Created:      time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), // just after the zero time
			LastModified: time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		}}},
		{"before 1970", scim.User{Meta: scim.Meta{
			Created:      time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC),
			LastModified: time.Unix(0, 0).UTC(),
		}}},
		{"store meta", scim.User{UserName: "a", Meta: scim.Meta{
			Created: time.Now().UTC(), LastModified: time.Now().UTC(), Version: "7",
			ResourceType: "User", Location: "https://example.com/Users/1",
		}}},
	}
	for _, tt := range tests {
		roundTrip(t, tt.name, &tt.u)
	}
}

// TestPackTimeExact checks that a time the store stamps (UTC, no monotonic
// reading) comes back identical, not only equal: storetest compares what
// reads return with what writes returned.
func TestPackTimeExact(t *testing.T) {
	ts := now(time.Time{})
	var got scim.User
	if err := unpackUser(packUser(&scim.User{Meta: scim.Meta{Created: ts}}), &got); err != nil {
		t.Fatal(err)
	}
	if got.Meta.Created != ts || got.Meta.Created.Location() != time.UTC {
		t.Errorf("Created = %#v, want %#v", got.Meta.Created, ts)
	}

	// A time in another zone keeps its instant and comes back in UTC.
	paris := time.Date(2025, 6, 1, 12, 0, 0, 42, time.FixedZone("CEST", 2*60*60))
	if err := unpackUser(packUser(&scim.User{Meta: scim.Meta{Created: paris}}), &got); err != nil {
		t.Fatal(err)
	}
	if want := paris.UTC(); got.Meta.Created != want {
		t.Errorf("Created = %v, want %v", got.Meta.Created, want)
	}
}

// TestUnpackCorrupt checks that malformed input is refused, not trusted.
func TestUnpackCorrupt(t *testing.T) {
	valid := packUser(mappedUser(7))
	huge := binary.AppendUvarint([]byte{tagEmails}, 1<<60)
	tests := map[string]string{
		"unknown tag":          "\xff",
		"tag zero":             "\x00",
		"tags out of order":    string([]byte{tagTitle, 1, 'x', tagUserName, 1, 'y'}),
		"repeated tag":         string([]byte{tagTitle, 1, 'x', tagTitle, 1, 'y'}),
		"string past the end":  string([]byte{tagUserName, 5, 'a'}),
		"truncated varint":     string([]byte{tagUserName, 0x80}),
		"varint overflow":      string([]byte{tagUserName, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}),
		"bad active":           string([]byte{tagActive, 2}),
		"missing active":       string([]byte{tagActive}),
		"nanoseconds too big":  string(binary.AppendUvarint([]byte{tagCreated, 0}, 1_000_000_000)),
		"huge list":            string(huge),
		"list past the end":    string([]byte{tagEmails, 3, 0, 0}),
		"unterminated struct":  string([]byte{tagName, tagNameGivenName, 1, 'x'}),
		"struct tags reversed": string([]byte{tagName, tagNameGivenName, 1, 'x', tagNameFormatted, 1, 'y', 0}),
		"unknown struct tag":   string([]byte{tagEnterprise, 99, 0}),
		"truncated":            valid[:len(valid)-1],
	}
	for name, s := range tests {
		var u scim.User
		if err := unpackUser(s, &u); err == nil {
			t.Errorf("%s: unpackUser(%q) succeeded: %+v", name, s, u)
		}
	}
}

// FuzzPack checks that any user survives packing, and that unpacking any
// bytes neither panics nor accepts what it cannot pack back.
func FuzzPack(f *testing.F) {
	f.Add(packUserBytes(mappedUser(1)))
	f.Add(packUserBytes(fullUser()))
	f.Add([]byte{})
	f.Add([]byte("\x01\x05alice\x02\x03ext\x0f\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Arbitrary bytes: whatever unpacks packs back no longer, and
		// unpacks to the same user again; decoding into used scratch
		// storage agrees.
		var u scim.User
		err := unpackUser(string(data), &u)
		reused, rerr := unpackReuse(string(data), dirtyScratch(t))
		if (err == nil) != (rerr == nil) {
			t.Fatalf("unpackUser: %v; unpackReuse: %v", err, rerr)
		}
		if err == nil {
			if d := cmp.Diff(&u, reused); d != "" {
				t.Errorf("unpackReuse differs from unpackUser (-unpackUser +unpackReuse):\n%s", d)
			}
			s := packUser(&u)
			if len(s) > len(data) {
				t.Errorf("repacked %d bytes into %d", len(data), len(s))
			}
			var again scim.User
			if err := unpackUser(s, &again); err != nil {
				t.Fatalf("unpackUser(packUser(unpackUser(data))): %v", err)
			}
			if d := cmp.Diff(&u, &again); d != "" {
				t.Errorf("repacked user differs (-first +second):\n%s", d)
			}
		}

		// A user built from the bytes round-trips.
		var v scim.User
		build(reflect.ValueOf(&v).Elem(), &fuzzBytes{b: data})
		var got scim.User
		if err := unpackUser(packUser(&v), &got); err != nil {
			t.Fatalf("unpackUser(packUser(v)): %v", err)
		}
		if d := cmp.Diff(&v, &got); d != "" {
			t.Errorf("unpackUser(packUser(v)) (-want +got):\n%s", d)
		}
	})
}

func packUserBytes(u *scim.User) []byte { return []byte(packUser(u)) }

// fuzzBytes hands out fuzz input; past its end it yields zeros.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzBytes) bytes(n int) []byte {
	n = min(n, len(f.b))
	s := f.b[:n]
	f.b = f.b[n:]
	return s
}

// build fills v from the fuzz input by reflection, so that it reaches
// every field of scim.User, present and absent, with any bytes.
func build(v reflect.Value, in *fuzzBytes) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(string(in.bytes(int(in.byte()))))
	case reflect.Bool:
		v.SetBool(in.byte()&1 == 1)
	case reflect.Pointer:
		if in.byte()&1 == 1 {
			v.Set(reflect.New(v.Type().Elem()))
			build(v.Elem(), in)
		}
	case reflect.Slice:
		switch c := in.byte() % 5; c {
		case 0: // nil
		default:
			n := int(c - 1)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				build(v.Index(i), in)
			}
		}
	case reflect.Map: // scim.Extensions
		if c := in.byte() % 3; c > 0 {
			e := scim.Extensions{}
			for i := range int(c) {
				val := strings.ToValidUTF8(string(in.bytes(int(in.byte()))), "?")
				e[fmt.Sprintf("urn:example:ext%d", i)] = map[string]any{"s": val, "n": json.Number("12"), "l": []any{val, true}}
			}
			v.Set(reflect.ValueOf(e))
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			var b [12]byte
			copy(b[:], in.bytes(12))
			sec := int64(binary.LittleEndian.Uint64(b[:8]))
			nsec := int64(binary.LittleEndian.Uint32(b[8:]) % 1_000_000_000)
			loc := time.UTC
			if b[0]&1 == 1 {
				loc = time.FixedZone("", int(int8(b[1]))*15*60)
			}
			if b[2]&3 != 0 { // a quarter stay zero, as absent times are
				v.Set(reflect.ValueOf(time.Unix(sec, nsec).In(loc)))
			}
			return
		}
		for i := range v.NumField() {
			build(v.Field(i), in)
		}
	default:
		panic("build: unhandled kind " + v.Kind().String())
	}
}

// BenchmarkPack and BenchmarkUnpack measure the cost of a fully mapped
// user on every write and read.
func BenchmarkPack(b *testing.B) {
	u := mappedUser(42)
	b.ReportAllocs()
	for b.Loop() {
		packUser(u)
	}
}

func BenchmarkUnpackReuse(b *testing.B) {
	s := packUser(mappedUser(42))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	var sc unpackScratch
	for b.Loop() {
		if _, err := unpackReuse(s, &sc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnpack(b *testing.B) {
	s := packUser(mappedUser(42))
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		var u scim.User
		if err := unpackUser(s, &u); err != nil {
			b.Fatal(err)
		}
	}
}
