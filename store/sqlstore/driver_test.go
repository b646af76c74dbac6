package sqlstore

// The tests open SQLite through the driver a host would import.
import _ "modernc.org/sqlite"
