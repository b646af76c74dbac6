package memory

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
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

// BenchmarkFootprint reports the live heap per fully mapped user after
// loading SCIMKIT_BENCH_USERS users (default 100,000). Run with
//
//	SCIMKIT_BENCH_USERS=1000000 go test -run '^$' -bench Footprint -benchtime 1x ./store/memory
func BenchmarkFootprint(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("SCIMKIT_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New()
		for i := range n {
			if _, err := s.CreateUser(ctx, "t", mappedUser(i)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-bytes/user")
		runtime.KeepAlive(s)
	}
}
