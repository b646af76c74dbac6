package main

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/scimkit/scim/store/sqlstore"
)

// The provisioning log lives in Juno's own database: sqlstore's
// OperationLog adds its scim_oplog tables beside Juno's, so the log
// survives restarts and backups take it along. The SCIM server hands it
// one record per operation (Config.OperationLog), which it writes in the
// background; the admin page reads it as a scim.LogReader.

// The provisioning log's default retention: a quarter of a year, enough
// to answer for a whole access review, and at most 100,000 records per
// customer (some tens of megabytes), so that one noisy identity provider
// cannot fill the disk.
const (
	defaultLogMaxAge  = 90 * 24 * time.Hour
	defaultLogMaxRows = 100_000
)

// logOptions is the provisioning log's configuration: c's retention, zero
// meaning the defaults and a negative value no limit.
func logOptions(c appConfig, logger *slog.Logger) sqlstore.OperationLogOptions {
	return sqlstore.OperationLogOptions{
		MaxAge:           max(cmp.Or(c.LogMaxAge, defaultLogMaxAge), 0),
		MaxRowsPerTenant: max(cmp.Or(c.LogMaxRows, defaultLogMaxRows), 0),
		Logger:           logger,
	}
}
