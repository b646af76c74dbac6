package scim

import "github.com/scimkit/scim/filter"

// FoldUserName returns the key on which userName uniqueness is enforced:
// FoldUserName(a) == FoldUserName(b) exactly when strings.EqualFold(a, b),
// which is also how filters compare userName (it is not caseExact), so a
// "userName eq" lookup on the key finds exactly the users a filter
// matches.
//
// Each rune becomes one fixed member of its Unicode simple case folding
// orbit; ASCII folds to lower case and invalid UTF-8 bytes to U+FFFD. It
// is filter.Fold, named for its role here.
//
// The bundled stores keep a unique index on this key per tenant; the SQL
// stores store it in its own column under a UNIQUE (tenant, key)
// constraint, so that the database, not the process, enforces uniqueness.
// The key depends on the Unicode tables of the Go release that computed
// it; a store that persists it should recompute it after an upgrade that
// changes them.
func FoldUserName(s string) string { return filter.Fold(s) }
