package oplog

import (
	"errors"
	"math"
	"testing"

	"github.com/scimkit/scim"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, p := range []Position{{0, 0}, {1, 1}, {-1, 5}, {1764262800123456789, 42}, {math.MaxInt64, math.MaxInt64}, {math.MinInt64, 0}} {
		got, err := Decode(Encode(p))
		if err != nil || got != p {
			t.Errorf("Decode(Encode(%+v)) = %+v, %v", p, got, err)
		}
	}
}

func TestCursorRefused(t *testing.T) {
	good := Encode(Position{TimeNS: 1764262800123456789, Seq: 7})
	for _, s := range []string{"", "x", "AQ", "AgIC", good + "A", good[:len(good)-1], "====", "AQID\x00", "AQ-_", good + good} {
		if _, err := Decode(s); !errors.Is(err, scim.ErrLogCursor) {
			t.Errorf("Decode(%q): %v, want ErrLogCursor", s, err)
		}
	}
}

// FuzzDecodeCursor checks that any string either decodes to a position
// that encodes back to it, or is ErrLogCursor; never a crash.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(Encode(Position{TimeNS: 1764262800123456789, Seq: 7}))
	f.Add(Encode(Position{}))
	f.Add("AQ")
	f.Add("not a cursor")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Decode(s)
		if err != nil {
			if !errors.Is(err, scim.ErrLogCursor) {
				t.Fatalf("Decode(%q): %v, want ErrLogCursor", s, err)
			}
			return
		}
		if p.Seq < 0 {
			t.Fatalf("Decode(%q) = %+v: negative seq", s, p)
		}
		if got := Encode(p); got != s {
			t.Fatalf("Decode(%q) = %+v, which encodes as %q", s, p, got)
		}
	})
}
