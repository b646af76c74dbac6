package scim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzCursorDecode feeds the cursor decoder arbitrary text: it never
// panics, accepts only what the codec made (anything else is 400
// invalidCursor), and gives back the position that was encoded.
func FuzzCursorDecode(f *testing.F) {
	c, err := newCursorCodec([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	bind := cursorBinding("t", "User", `userName sw "a"`, "username", false)
	keys := []SortKey{{}, {kind: sortString, s: "ada@x"}, {kind: sortInt, i: -3}, {kind: sortFloat, f: 1.5},
		{kind: sortTime, t: now.Add(-time.Nanosecond)}, {kind: sortBool, b: true}}
	for i, k := range keys {
		f.Add(c.encode(bind, Position{Key: k, Seq: int64(i * 1000)}))
	}
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := c.decode(s, bind)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Status != 400 || e.ScimType != InvalidCursor && e.ScimType != ExpiredCursor {
				t.Fatalf("decode(%q): %v, want a 400 invalidCursor or expiredCursor", s, err)
			}
			return
		}
		again, err := c.decode(c.encode(bind, p), bind)
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", p, err)
		}
		if d := cmp.Diff(p, again, cmp.Comparer(func(a, b SortKey) bool { return a.Compare(b) == 0 && a.kind == b.kind })); d != "" {
			t.Fatalf("round trip (-first +again):\n%s", d)
		}
		if _, err := c.decode(s, cursorBinding("t2", "User", `userName sw "a"`, "username", false)); err == nil {
			t.Fatalf("decode(%q) for another tenant succeeded", s)
		}
	})
}

// TestCursorCodec checks the round trip of each kind of key, and that
// a cursor expires after the timeout and not before.
func TestCursorCodec(t *testing.T) {
	c, err := newCursorCodec(nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	bind := cursorBinding("t", "Group", "", "", false)
	for _, tt := range []struct {
		name string
		key  SortKey
		age  time.Duration
		want string // scimType, "" for success
	}{
		{"missing", SortKey{}, 0, ""},
		{"string", SortKey{kind: sortString, s: "émile"}, time.Minute, ""},
		{"int", SortKey{kind: sortInt, i: -1 << 62}, 0, ""},
		{"float", SortKey{kind: sortFloat, f: -0.25}, 0, ""},
		{"time", SortKey{kind: sortTime, t: now.Add(-time.Hour + 7)}, 0, ""},
		{"bool", SortKey{kind: sortBool}, 0, ""},
		{"expired", SortKey{}, time.Minute + time.Second, ExpiredCursor},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := c.encode(bind, Position{Key: tt.key, Seq: 42})
			saved := now
			now = now.Add(tt.age)
			defer func() { now = saved }()
			p, err := c.decode(s, bind)
			if tt.want != "" {
				if e, ok := err.(*Error); !ok || e.ScimType != tt.want {
					t.Fatalf("decode: %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if p.Seq != 42 || p.Key.Compare(tt.key) != 0 || p.Key.kind != tt.key.kind {
				t.Errorf("decode: %+v, want key %+v seq 42", p, tt.key)
			}
		})
	}
}

// TestCursorKey: a CursorKey too short to sign with is refused (NewServer
// returns the error); nil means a random key.
func TestCursorKey(t *testing.T) {
	for _, tt := range []struct {
		key []byte
		ok  bool
	}{{nil, true}, {[]byte("0123456789abcdef"), true}, {[]byte("short"), false}, {[]byte{}, false}} {
		if _, err := newCursorCodec(tt.key, 0); (err == nil) != tt.ok {
			t.Errorf("CursorKey %q: err %v, want ok %v", tt.key, err, tt.ok)
		}
	}
}
