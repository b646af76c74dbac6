package filter

import (
	"testing"

	"github.com/scimkit/scim/schema"
)

const complexFilter = `userType eq "Employee" and (emails[type eq "work" and value co "@example.com"] or ` +
	`not (meta.lastModified lt "2011-05-13T04:42:34Z")) and ` +
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`

func BenchmarkParse(b *testing.B) {
	for _, bb := range []struct{ name, in string }{
		{"userName", `userName eq "bjensen@example.com"`},
		{"entra", `emails[type eq "work"].value eq "bjensen@example.com"`},
		{"escaped", `displayName eq "B\u00e4rbel \"Babs\" Jensen"`},
		{"complex", complexFilter},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bb.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolve(b *testing.B) {
	rt := schema.User()
	e, err := Parse(complexFilter)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve(e, rt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	rt := testUser(b)
	doc := decode(b, aliceJSON)
	for _, bb := range []struct{ name, in string }{
		{"userName", `userName eq "ALICE@example.com"`},
		{"entra", `emails[type eq "work"].value eq "alice@example.com"`},
		{"contains", `name.familyName co "ÜLL"`},
		{"dateTime", `meta.lastModified gt "2011-05-13T04:42:34Z"`},
		{"complex", complexFilter},
	} {
		b.Run(bb.name, func(b *testing.B) {
			f := mustResolve(b, bb.in, rt)
			b.ReportAllocs()
			for b.Loop() {
				Match(f, doc)
			}
		})
	}
}
