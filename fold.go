package scim

import "github.com/scimkit/scim/filter"

// FoldUserName returns the key on which userName identity is decided:
// two userNames name one person exactly when their keys are equal. The
// uniqueness check, the stores' userName indexes and every filter on
// userName (eq, ne, co, sw, ew and the orderings) compare these keys.
//
// The profile is PRECIS UsernameCaseMapped (RFC 8265 section 3.3):
// fullwidth and halfwidth forms map to their ordinary forms ("ｆｕｌｌ"
// is "full"), case maps (here by Unicode simple case folding, so the
// Kelvin sign is k, long s is s and final sigma is σ), and the result is
// in Normalization Form C (NFC "josé" and NFD "jose"+U+0301 are one
// key). It is filter.FoldIdentity.
//
// What the profile refuses (controls, bidi and other format characters,
// zero-width characters, symbols and compatibility characters, leading,
// trailing or doubled spaces) is refused as a userName with 400
// invalidValue before it reaches a store; the README's "Behaviour worth
// knowing" lists the choices.
//
// The bundled stores keep a unique index on this key per tenant; the SQL
// stores store it in its own column under a UNIQUE (tenant, key)
// constraint, so that the database, not the process, enforces uniqueness.
// The key depends on the Unicode tables that computed it and on this
// profile; the SQL stores recompute it when either changes.
func FoldUserName(s string) string { return filter.FoldIdentity(s) }

// UserNameProfile names the profile FoldUserName implements. A store that
// persists the keys records it, with the Unicode version, and recomputes
// the keys when either changes; it changes whenever the keys would.
const UserNameProfile = "PRECIS UsernameCaseMapped (RFC 8265), simple case folding, NFC, v1"
