package scim

import (
	"strings"
	"unicode/utf8"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// userNameClass is the PRECIS IdentifierClass with the mappings of
// UsernameCaseMapped (RFC 8265 section 3.3) but without its Bidi Rule:
// that rule refuses a right-to-left local part before an ASCII domain
// ("שלום@example.com"), while the class alone already refuses every bidi
// control (U+202E and the like).
var userNameClass = precis.NewIdentifier(precis.FoldWidth, precis.LowerCase(), precis.Norm(norm.NFC))

// checkUserNameChange checks a core userName of doc that is new or
// differs from old's against the profile. One stored before the profile
// existed stays usable: the identity provider can still update or
// deactivate that user without renaming it.
func checkUserNameChange(rt *schema.ResourceType, old, doc map[string]any) error {
	a := rt.Schema.Attr("userName")
	if a == nil || a.Type != schema.String {
		return nil
	}
	name, ok := doc[a.Name].(string)
	if !ok || old != nil && old[a.Name] == name {
		return nil
	}
	if why := checkUserName(name); why != "" {
		return Errorf(InvalidValue, "Attribute %q %s.", a.Name, why)
	}
	return nil
}

// checkUserName reports why s is not a userName under the profile of
// FoldUserName, or "" when it is one. Following RFC 8265 section 3.5,
// a userName may be userparts separated by single spaces (identity
// providers send display-name-like userNames such as "Jane Doe"); each
// userpart must be in the class. The reason never quotes s.
func checkUserName(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	w := width.Fold.String(s) // an ideographic space is a space
	if strings.HasPrefix(w, " ") || strings.HasSuffix(w, " ") {
		return "has leading or trailing spaces"
	}
	for part := range strings.SplitSeq(w, " ") {
		if part == "" {
			return "has consecutive spaces"
		}
		if _, err := userNameClass.String(foldDisallowed(part)); err != nil {
			return "contains a character a user name may not contain (a control, format, zero-width, symbol or compatibility character)"
		}
	}
	return ""
}

// foldDisallowed replaces each rune the class refuses by its simple case
// folding form when that one is allowed, so that the long s (a
// compatibility character) counts as the s it folds to, as its key does.
func foldDisallowed(s string) string {
	allowed := userNameClass.Allowed()
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf || allowed.Contains(r) {
			return r
		}
		if f, _ := utf8.DecodeRuneInString(filter.Fold(string(r))); allowed.Contains(f) {
			return f
		}
		return r
	}, s)
}
