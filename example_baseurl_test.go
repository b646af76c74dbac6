package scim_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// A reverse proxy on the same machine (127.0.0.1) terminates TLS for
// scim.example.com: its X-Forwarded-Proto and X-Forwarded-Host give the
// URLs in responses. The same headers from any other address are
// ignored. With one public URL, setting Config.BaseURL is simpler.
func ExampleConfig_trustedProxies() {
	srv, err := scim.NewServer(scim.Config{
		Store:          memory.New(),
		Auth:           scim.StaticToken("acme", "example-token"),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(http.StripPrefix("/scim/v2", srv))
	defer app.Close()

	req, _ := http.NewRequest("GET", app.URL+"/scim/v2/ServiceProviderConfig", nil)
	req.Header.Set("Authorization", "Bearer example-token")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "scim.example.com")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var spc struct{ Meta struct{ Location string } }
	if err := json.NewDecoder(res.Body).Decode(&spc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(spc.Meta.Location)
	// Output: https://scim.example.com/scim/v2/ServiceProviderConfig
}
