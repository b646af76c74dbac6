package scim_test

import (
	"context"
	"fmt"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// A store pages by keyset: each page's Last, passed back as After, gives
// the next page, whatever was created or deleted in between. The server
// does this for cursor paging (cursor and nextCursor, RFC 9865).
func ExampleQuery_after() {
	ctx := context.Background()
	s := memory.New()
	for _, name := range []string{"ada", "bob", "cy", "dee", "eve"} {
		if _, err := s.CreateUser(ctx, "t", &scim.User{UserName: name}); err != nil {
			panic(err)
		}
	}
	q := scim.Query{Keyset: true, Count: 2}
	for {
		page, err := s.ListUsers(ctx, "t", q)
		if err != nil {
			panic(err)
		}
		var names []string
		for _, u := range page.Resources {
			names = append(names, u.UserName)
		}
		fmt.Println(names)
		if len(page.Resources) < q.Count {
			break
		}
		q.After = page.Last
	}
	// Output:
	// [ada bob]
	// [cy dee]
	// [eve]
}
