// Package idpsim is the provisioning simulator shared by the entrasim
// command and package scimtest: it provisions generated users and groups
// into a SCIM endpoint exactly as Microsoft Entra ID (legacy or
// aadOptscim062020 form) or Okta would, verifies every write by reading it
// back, and reports per object and operation, with request latencies.
package idpsim

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Mode selects the identity provider whose requests are replayed.
type Mode int

const (
	// EntraLegacy is Entra ID's default PATCH form: capitalised ops, one op
	// per attribute with an explicit path, "True"/"False" strings, member
	// removal by a value list.
	EntraLegacy Mode = iota
	// EntraFlag is Entra ID with ?aadOptscim062020 in the Tenant URL:
	// lowercase ops, booleans, path-less folded replaces with dotted and URN
	// keys, member removal by members[value eq "id"].
	EntraFlag
	// Okta is Okta's SCIM 2.0 client: paged lookups, GET then PUT for
	// profile updates, path-less PATCH for (de)activation, no user deletes,
	// Group Push.
	Okta
)

var modeNames = [...]string{"entra-legacy", "entra-flag", "okta"}

// String returns the flag spelling of m.
func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode parses a -mode value.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if strings.EqualFold(s, n) {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown mode %q (want entra-legacy, entra-flag or okta)", s)
}

// entra reports whether m is one of the Entra forms.
func (m Mode) entra() bool { return m == EntraLegacy || m == EntraFlag }

// idp names the identity provider of m, for failure reasons.
func (m Mode) idp() string {
	if m == Okta {
		return "Okta"
	}
	return "Entra"
}

// FlagParam is the Tenant URL query parameter that switches Entra ID to its
// RFC-compliant PATCH form.
const FlagParam = "aadOptscim062020"

// ParseTenantURL splits a Tenant URL as an admin pastes it into Entra into
// the base URL requests are made under (no query, no trailing slash) and
// whether it carried ?aadOptscim062020. Other query parameters are an
// error: Entra's behaviour with them is undocumented.
func ParseTenantURL(raw string) (base string, flag bool, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false, fmt.Errorf("tenant URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", false, fmt.Errorf("tenant URL %q: want http(s)://host/path", raw)
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return "", false, fmt.Errorf("tenant URL query: %w", err)
		}
		for k := range q {
			if k != FlagParam {
				return "", false, fmt.Errorf("tenant URL: unexpected query parameter %q (only %s is known)", k, FlagParam)
			}
		}
		flag = q.Has(FlagParam)
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return strings.TrimRight(u.String(), "/"), flag, nil
}

// Config configures a simulation run. Zero values of the numeric fields
// other than Users, Groups and Members mean the documented defaults.
type Config struct {
	// BaseURL is the endpoint, e.g. http://127.0.0.1:8080/scim/v2, without
	// a query (see ParseTenantURL).
	BaseURL string
	// FlagInURL records that the Tenant URL carried ?aadOptscim062020; it is
	// noted in the report and never sent.
	FlagInURL bool
	// Token is the bearer token (Entra's Secret Token).
	Token string
	// Mode is the identity provider replayed.
	Mode Mode
	// Users, Groups and Members (per group, drawn from the users) size the
	// initial cycle.
	Users, Groups, Members int
	// Concurrency is the number of requests in flight at most. Default 4.
	Concurrency int
	// Seed makes the generated data and the incremental changes
	// reproducible.
	Seed uint64
	// Cycles is the number of incremental cycles after the initial one.
	Cycles int
	// Timeout bounds each request. Default 30s.
	Timeout time.Duration
	// PID, when positive, is the server process whose memory is reported
	// (Linux /proc).
	PID int
	// Log receives the provisioning log and the summary. Nil discards.
	Log io.Writer
	// Quiet logs only failed operations.
	Quiet bool
	// Verbose logs every request with its status and latency.
	Verbose bool
	// Progress draws a progress bar on Log (only for a terminal).
	Progress bool
	// Client, when set, sends the requests; otherwise a client with a
	// transport tuned for Concurrency is used.
	Client *http.Client
}

func (c *Config) validate() error {
	switch {
	case c.BaseURL == "":
		return errors.New("a base URL is required")
	case c.Users < 0 || c.Groups < 0 || c.Members < 0 || c.Cycles < 0:
		return errors.New("users, groups, members and cycles must not be negative")
	case c.Groups > 0 && c.Members > c.Users:
		return fmt.Errorf("members per group (%d) cannot exceed users (%d)", c.Members, c.Users)
	case c.Mode < EntraLegacy || c.Mode > Okta:
		return fmt.Errorf("unknown mode %d", c.Mode)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}
