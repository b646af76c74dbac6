package idpsim

import (
	"strings"
	"testing"
)

func TestParseTenantURL(t *testing.T) {
	for _, tc := range []struct {
		in, base string
		flag     bool
		err      string
	}{
		{in: "http://scim.example:8443/scim/v2", base: "http://scim.example:8443/scim/v2"},
		{in: "https://app.example.com/scim/v2/", base: "https://app.example.com/scim/v2"},
		{in: "https://app.example.com/scim/v2?aadOptscim062020", base: "https://app.example.com/scim/v2", flag: true},
		{in: " https://app.example.com/scim/v2/?aadOptscim062020= ", base: "https://app.example.com/scim/v2", flag: true},
		{in: "https://app.example.com/scim/v2?", base: "https://app.example.com/scim/v2"},
		{in: "https://app.example.com/scim/v2#frag", base: "https://app.example.com/scim/v2"},
		{in: "https://app.example.com/scim/v2?tenant=a", err: `unexpected query parameter "tenant"`},
		{in: "app.example.com/scim/v2", err: "want http(s)://host/path"},
		{in: "ftp://x/y", err: "want http(s)://host/path"},
		{in: "http://[::1", err: "tenant URL"},
	} {
		base, flag, err := ParseTenantURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || base != tc.base || flag != tc.flag {
			t.Errorf("%q: got %q, %t, %v; want %q, %t", tc.in, base, flag, err, tc.base, tc.flag)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		err  bool
	}{
		{"entra-legacy", EntraLegacy, false},
		{"Entra-Flag", EntraFlag, false},
		{"okta", Okta, false},
		{"onelogin", 0, true},
		{"", 0, true},
	} {
		got, err := ParseMode(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: got %v, %v", tc.in, got, err)
		}
		if err == nil && got.String() != strings.ToLower(tc.in) {
			t.Errorf("%q: String() = %q", tc.in, got.String())
		}
	}
	if got := Mode(9).String(); got != "Mode(9)" {
		t.Errorf("unknown mode String() = %q", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"no url", Config{Users: 1}, "base URL"},
		{"negative", Config{BaseURL: "http://x", Users: -1}, "negative"},
		{"members beyond users", Config{BaseURL: "http://x", Users: 3, Groups: 1, Members: 4}, "cannot exceed"},
		{"bad mode", Config{BaseURL: "http://x", Mode: 7}, "unknown mode"},
		{"ok", Config{BaseURL: "http://x", Users: 3, Groups: 1, Members: 3}, ""},
	} {
		err := tc.cfg.validate()
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if tc.cfg.Concurrency != 4 || tc.cfg.Timeout == 0 || tc.cfg.Log == nil {
				t.Errorf("%s: defaults not applied: %+v", tc.name, tc.cfg)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}
