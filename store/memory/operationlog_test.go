package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/storetest"
)

func TestOperationLogContract(t *testing.T) {
	storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
		return memory.NewOperationLog(memory.OperationLogOptions{}), nil
	})
}

// TestOperationLogRetention checks that each tenant keeps its newest
// MaxRowsPerTenant records and none older than MaxAge.
func TestOperationLogRetention(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	l := memory.NewOperationLog(memory.OperationLogOptions{MaxRowsPerTenant: 3, MaxAge: time.Hour, Now: func() time.Time { return now }})
	for i := range 7 {
		l.LogOperation(ctx, scim.LogRecord{Time: now.Add(time.Duration(i) * time.Minute), Tenant: "a", RequestID: fmt.Sprint(i)})
	}
	l.LogOperation(ctx, scim.LogRecord{Time: now.Add(-2 * time.Hour), Tenant: "b", RequestID: "old"})
	l.LogOperation(ctx, scim.LogRecord{Time: now, Tenant: "b", RequestID: "new"})
	for _, tc := range []struct {
		tenant string
		want   []string
	}{{"a", []string{"6", "5", "4"}}, {"b", []string{"new"}}} {
		p, err := l.QueryLog(ctx, scim.LogQuery{Tenant: tc.tenant})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Records {
			got = append(got, r.RequestID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("tenant %s (-want +got):\n%s", tc.tenant, diff)
		}
	}
}
