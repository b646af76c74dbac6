package memory_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/memory"
)

// The lookup an identity provider sends before it creates a user, answered
// straight from the store.
func Example() {
	ctx := context.Background()
	s := memory.New()

	alice, err := s.CreateUser(ctx, "acme", &scim.User{
		UserName:   "alice@example.com",
		ExternalID: "8f3c0a7e",
		Emails:     []scim.MultiValue{{Value: "alice@example.com", Type: "work", Primary: true}},
	})
	if err != nil {
		log.Fatal(err)
	}

	// A store receives filters parsed and resolved against the schema.
	f, err := filter.Parse(`userName eq "ALICE@example.com"`)
	if err != nil {
		log.Fatal(err)
	}
	if f, err = filter.Resolve(f, schema.User()); err != nil {
		log.Fatal(err)
	}
	page, err := s.ListUsers(ctx, "acme", scim.Query{Filter: f, StartIndex: 1, Count: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.TotalResults, page.Resources[0].ID == alice.ID)

	// userName is unique per tenant, case-insensitively.
	_, err = s.CreateUser(ctx, "acme", &scim.User{UserName: "ALICE@EXAMPLE.COM"})
	fmt.Println(errors.Is(err, scim.ErrConflict))
	_, err = s.CreateUser(ctx, "globex", &scim.User{UserName: "ALICE@EXAMPLE.COM"})
	fmt.Println(err)
	// Output:
	// 1 true
	// true
	// <nil>
}

// Group membership changes reach the store as deltas, so concurrent
// changes to other members are never lost.
func ExampleStore_PatchGroup() {
	ctx := context.Background()
	s := memory.New()
	alice, _ := s.CreateUser(ctx, "acme", &scim.User{UserName: "alice"})
	bob, _ := s.CreateUser(ctx, "acme", &scim.User{UserName: "bob"})
	g, _ := s.CreateGroup(ctx, "acme", &scim.Group{DisplayName: "Engineering", Members: []scim.Member{{Value: alice.ID}}})

	_, err := s.PatchGroup(ctx, "acme", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
		{Kind: scim.AddMembers, Members: []scim.Member{{Value: bob.ID, Display: "bob"}}},
		{Kind: scim.RemoveMembers, Members: []scim.Member{{Value: alice.ID}}},
	}}, g.Meta.Version)
	if err != nil {
		log.Fatal(err)
	}
	g, _ = s.GetGroup(ctx, "acme", g.ID, scim.GetOptions{})
	fmt.Println(len(g.Members), g.Members[0].Display)
	bob, _ = s.GetUser(ctx, "acme", bob.ID)
	fmt.Println(bob.Groups[0].Display)
	// Output:
	// 1 bob
	// Engineering
}
