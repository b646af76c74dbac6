package memory

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// mappedUser returns user i with every attribute of the Juno Journey
// mapping filled, with realistic sharing: a few departments, cities and
// managers, unique names and ids.
func mappedUser(i int) *scim.User {
	active := true
	cities := []string{"London", "Leeds", "Manchester", "Bristol", "Glasgow"}
	depts := []string{"Engineering", "Sales", "Finance", "Support", "Marketing", "Legal"}
	return &scim.User{
		UserName:    fmt.Sprintf("Test_User_%08d@contoso.onmicrosoft.com", i),
		ExternalID:  fmt.Sprintf("0a21f0f2-8d2a-4f8e-bf98-%012d", i),
		DisplayName: fmt.Sprintf("Ada Lovelace %d", i), Title: "Senior Analyst", PreferredLanguage: "en-GB", Active: &active,
		Name: &scim.Name{GivenName: "Ada", FamilyName: fmt.Sprintf("Lovelace%d", i), MiddleName: "King",
			Formatted: fmt.Sprintf("Ada King Lovelace%d", i)},
		Emails: []scim.MultiValue{{Type: "work", Value: fmt.Sprintf("ada.lovelace%d@contoso.com", i), Primary: true}},
		Addresses: []scim.Address{{Type: "work", Country: "GB", Region: "England", Locality: cities[i%len(cities)],
			PostalCode: fmt.Sprintf("W1 %dAA", i%10), Formatted: "1 Main St, " + cities[i%len(cities)], StreetAddress: "1 Main St"}},
		PhoneNumbers: []scim.MultiValue{{Type: "work", Value: fmt.Sprintf("+44 20 7946 %04d", i%10000)},
			{Type: "mobile", Value: fmt.Sprintf("07700 9%05d", i%100000)}, {Type: "fax", Value: "020 7946 0001"}},
		Enterprise: &scim.EnterpriseUser{Department: depts[i%len(depts)], EmployeeNumber: strconv.Itoa(100000 + i),
			CostCenter: "CC-" + strconv.Itoa(i%50), Division: "R&D", Organization: "Contoso Ltd",
			Manager: &scim.Manager{Value: fmt.Sprintf("9b1c7a4e-4f5e-4d2b-8c1a-%012d", i%500)}},
	}
}

// benchUsers returns SCIMKIT_BENCH_USERS, or def.
func benchUsers(def int) int {
	if v, err := strconv.Atoi(os.Getenv("SCIMKIT_BENCH_USERS")); err == nil && v > 0 {
		return v
	}
	return def
}

// rss returns the process's resident set size in bytes, or 0 where
// /proc/self/status does not tell it.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// BenchmarkFootprint reports the live heap per fully mapped user after
// loading SCIMKIT_BENCH_USERS users (default 100,000), and on Linux the
// growth of the process's resident set per user, which includes what the
// collector has not yet returned (GOGC lets the heap grow to about twice
// the live heap). Run with
//
//	SCIMKIT_BENCH_USERS=1000000 go test -run '^$' -bench Footprint -benchtime 1x ./store/memory
func BenchmarkFootprint(b *testing.B) {
	n := benchUsers(100_000)
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rss0 := rss()
		s := New()
		for i := range n {
			if _, err := s.CreateUser(ctx, "t", mappedUser(i)); err != nil {
				b.Fatal(err)
			}
		}
		rss1 := rss()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-bytes/user")
		if rss0 > 0 {
			b.ReportMetric(float64(rss1-rss0)/float64(n), "rss-bytes/user")
		}
		runtime.KeepAlive(s)
	}
}

// BenchmarkGroupFootprint reports the live heap per membership for
// SCIMKIT_BENCH_USERS users (default 100,000) in groups of 150, each user
// in three groups, the members sent as Entra ID sends them (value only).
func BenchmarkGroupFootprint(b *testing.B) {
	const perUser, size = 3, 150
	n := benchUsers(100_000)
	ctx := context.Background()
	for b.Loop() {
		s := New()
		ids := make([]string, n)
		for i := range n {
			u, err := s.CreateUser(ctx, "t", &scim.User{UserName: strconv.Itoa(i)})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = u.ID
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		groups := n * perUser / size
		for g := range groups {
			ms := make([]scim.Member, size)
			for j := range ms {
				// The groups take the users in turn, wrapping around
				// perUser times.
				ms[j] = scim.Member{Value: ids[(g*size+j)%n]}
			}
			if _, err := s.CreateGroup(ctx, "t", &scim.Group{DisplayName: fmt.Sprint("Group ", g), Members: ms}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(groups*size), "heap-bytes/membership")
		runtime.KeepAlive(s)
	}
}
