package scim_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// Refuse userNames outside the domains a customer has verified: the
// identity provider gets a 400 it shows its admin, and nothing is stored.
func ExampleConfig_beforeWrite() {
	verified := map[string][]string{"acme": {"acme.example"}} // tenant -> domains
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		BeforeWrite: func(ctx context.Context, w scim.Write) error {
			name, ok := w.New["userName"].(string)
			if !ok || w.ResourceType != "User" {
				return nil
			}
			_, domain, _ := strings.Cut(name, "@")
			for _, d := range verified[w.Tenant] {
				if strings.EqualFold(domain, d) {
					return nil
				}
			}
			return scim.Errorf(scim.InvalidValue, "userName %q is not in a domain this customer has verified.", name)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	for _, userName := range []string{"ada@acme.example", "eve@elsewhere.example"} {
		req, _ := http.NewRequest("POST", app.URL+"/Users", strings.NewReader(`{"userName":"`+userName+`"}`))
		req.Header.Set("Authorization", "Bearer s3cret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(userName, res.StatusCode, strings.Contains(string(body), "not in a domain"))
	}
	// Output:
	// ada@acme.example 201 false
	// eve@elsewhere.example 400 true
}

// Let Entra's app roles arrive in roles, but only the ones the host
// knows; userType and entitlements stay the host's own and are ignored
// on input.
func ExampleConfig_writablePrivileges() {
	known := map[string]bool{"viewer": true, "editor": true}
	srv, err := scim.NewServer(scim.Config{
		Store:              memory.New(),
		Auth:               scim.StaticToken("acme", "s3cret"),
		Logger:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		WritablePrivileges: []string{"roles"},
		BeforeWrite: func(ctx context.Context, w scim.Write) error {
			roles, _ := w.New["roles"].([]any)
			for _, r := range roles {
				v, _ := r.(map[string]any)["value"].(string)
				if !known[v] {
					return scim.Errorf(scim.InvalidValue, "Unknown role; known roles are viewer and editor.")
				}
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	for _, body := range []string{
		`{"userName":"ada@acme.example","roles":[{"value":"editor"}],"userType":"Admin"}`,
		`{"userName":"eve@acme.example","roles":[{"value":"admin"}]}`,
	} {
		req, _ := http.NewRequest("POST", app.URL+"/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, strings.Contains(string(out), `"editor"`), strings.Contains(string(out), "Admin"))
	}
	// Output:
	// 201 true false
	// 400 false false
}
