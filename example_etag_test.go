package scim_test

import (
	"context"
	"crypto/sha256"
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

// call sends a request with the example's token and returns the status
// and the response's ETag, if any.
func call(app *httptest.Server, method, path, body string, hdr map[string]string) string {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, app.URL+path, rd)
	req.Header.Set("Authorization", "Bearer s3cret")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return strings.TrimSpace(fmt.Sprint(res.StatusCode, " ", res.Header.Get("ETag")))
}

// Write only over the version read: the second PUT names a version that
// is no longer current and changes nothing.
func Example_ifMatch() {
	users := memory.New()
	u, err := users.CreateUser(context.Background(), "acme", &scim.User{UserName: "ada@acme.example"})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := scim.NewServer(scim.Config{
		Store:  users,
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	_, tag, _ := strings.Cut(call(app, "GET", "/Users/"+u.ID, "", nil), " ")
	fmt.Println(tag)
	put := `{"userName":"ada.lovelace@acme.example"}`
	fmt.Println(call(app, "PUT", "/Users/"+u.ID, put, map[string]string{"If-Match": tag}))
	fmt.Println(call(app, "PUT", "/Users/"+u.ID, put, map[string]string{"If-Match": tag}))
	fmt.Println(call(app, "GET", "/Users/"+u.ID, "", map[string]string{"If-None-Match": `W/"2"`}))
	// Output:
	// W/"1"
	// 200 W/"2"
	// 412
	// 304 W/"2"
}

// Serve /Me from the user an access token was issued to (here a map the
// host's token service fills).
func ExampleConfig_me() {
	users := memory.New()
	u, err := users.CreateUser(context.Background(), "acme", &scim.User{UserName: "ada@acme.example"})
	if err != nil {
		log.Fatal(err)
	}
	issuedTo := map[string]string{"s3cret": u.ID} // access token -> user id
	srv, err := scim.NewServer(scim.Config{
		Store:  users,
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Me: func(r *http.Request, tenant string) (string, error) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if id, ok := issuedTo[token]; ok {
				return id, nil
			}
			return "", scim.ErrNotFound
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	fmt.Println(call(app, "GET", "/Me", "", nil))
	// Output: 200 W/"1"
}

// Hash the passwords an identity provider sends in the host's own
// system; scimkit keeps none of them.
func ExampleConfig_changePassword() {
	hashes := map[string][32]byte{} // user id -> hash (use bcrypt or argon2 in production)
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ChangePassword: func(ctx context.Context, tenant, userID, password string) error {
			if len(password) < 12 {
				return scim.Errorf(scim.InvalidValue, "The password must have at least 12 characters.")
			}
			hashes[userID] = sha256.Sum256([]byte(password))
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(srv)
	defer app.Close()
	fmt.Println(call(app, "POST", "/Users", `{"userName":"ada@acme.example","password":"correct horse battery"}`, nil))
	fmt.Println(len(hashes))
	// Output:
	// 201 W/"1"
	// 1
}
