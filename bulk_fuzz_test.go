package scim_test

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// FuzzBulk sends arbitrary Bulk bodies through the whole HTTP pipeline
// to a memory store: no answer is a 5xx, a 200 is a BulkResponse whose
// entries have a method and a status, and no operation's answer is a
// 5xx either.
func FuzzBulk(f *testing.F) {
	for _, body := range []string{
		bulkBody(0, bulkPost("g", "/Groups", bulkGroup("G", "bulkId:u")), bulkPost("u", "/Users", bulkUser("u@example.com"))),
		bulkBody(1, bulkPost("a", "/Groups", bulkGroup("A", "bulkId:b")), bulkPost("b", "/Groups", bulkGroup("B", "bulkId:a"))),
		bulkBody(2, `{"method":"PATCH","path":"/Users/bulkId:u","version":"W/\"1\"","data":`+e2e.PatchBody(`{"op":"replace","path":"active","value":false}`)+`}`, bulkPost("u", "/Users", bulkUser("v@example.com"))),
		bulkBody(0, `{"method":"DELETE","path":"/Users/bulkId:x"}`, `{"method":"PUT","path":"/Groups/%2e%2e","data":{}}`, `{"method":"post","bulkId":"bulkId:x","path":"Users","data":[]}`),
		bulkBody(0, bulkPost("a", "/Users", advManaged("a@example.com", "bulkId:b")), bulkPost("b", "/Users", advManaged("b@example.com", "bulkId:a")), bulkPost("s", "/Users", advManaged("s@example.com", "bulkId:s"))),
		bulkBody(0, bulkPost("a", "/Users", `{"userName":"bulkId:b","nickName":"bulkId:a","urn:x":{"y":"bulkId:b"}}`), bulkPost("b", "/Users", bulkUser("bulkId:a"))),
		bulkBody(0, `{"method":"PATCH","path":"/Groups/bulkId:g","data":`+e2e.PatchBody(`{"op":"remove","path":"members[value eq \"bulkId:u\" or value eq \"bulkId:u\\u0031\"]"}`)+`}`,
			bulkPost("g", "/Groups", bulkGroup("G", "bulkId:u")), bulkPost("u", "/Users", bulkUser("u@example.com")), bulkPost("u1", "/Users", bulkUser("u1@example.com"))),
		bulkBody(0, `{"method":"PATCH","path":"/Users/bulkId:a","data":`+e2e.PatchBody(`{"op":"replace","path":"emails[value eq \"bulkId:b\"].display","value":"x"},{"op":"remove","PATH":"members[value eq \"bulkId:nope\""}`)+`}`,
			bulkPost("a", "/Users", advManaged("a@example.com", "bulkId:b")), bulkPost("b", "/Users", advManaged("b@example.com", "bulkId:a"))),
		`{"Operations":[1,"x",null,{"method":7}],"failOnErrors":1e3}`,
		`{"operations":[{"METHOD":"POST","BULKID":"q","PATH":"/users","DATA":{"userName":"q"}}]}`,
	} {
		f.Add([]byte(body))
	}
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("a", tokenA), Logger: slog.New(slog.DiscardHandler), BulkMaxOperations: 50})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/Bulk", strings.NewReader(string(body)))
		r.Header.Set("Authorization", "Bearer "+tokenA)
		r.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if w.Code != 200 {
			return
		}
		var resp struct {
			Schemas    []string
			Operations []struct {
				Method, Status string
				Response       json.RawMessage
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Schemas) != 1 {
			t.Fatalf("not a BulkResponse: %v %s", err, w.Body)
		}
		for _, op := range resp.Operations {
			if op.Status == "" || op.Status[0] == '5' {
				t.Fatalf("operation status %q: %s", op.Status, w.Body)
			}
		}
	})
}
