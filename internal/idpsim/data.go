package idpsim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Schema and message URNs.
const (
	userURN    = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN   = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entURN     = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	msGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	patchURN   = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	listURN    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	errorURN   = "urn:ietf:params:scim:api:messages:2.0:Error"
	managerKey = entURN + ":manager"
)

// mix hashes a seed and three values (splitmix64 finaliser per step): the
// one source of generated data, so that values depend only on their
// coordinates and never on scheduling.
func mix(seed, a, b, c uint64) uint64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for _, v := range [3]uint64{a, b, c} {
		h += v + 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

func pick(list []string, h uint64) string { return list[h%uint64(len(list))] }

// Value lists. Non-ASCII names, a newline in formatted addresses and
// punctuated phone numbers test that values are stored exactly as sent.
var (
	givenNames  = []string{"Adele", "Zoë", "José", "Åsa", "Łukasz", "Renée", "Megan", "Nestor", "Søren", "Ngọc", "Isaiah", "Amélie", "Diego", "Chloé", "Jürgen", "Lidia"}
	familyNames = []string{"Vance", "Müller", "García", "Nguyễn", "O'Brien", "Kowalski", "Lindqvist", "Dubois", "Wilke", "Sørensen", "Tanaka", "Holt", "Brückner", "da Silva"}
	asciiGiven  = []string{"adele", "alex", "diego", "grady", "henrietta", "isaiah", "johanna", "lee", "lidia", "lynne", "megan", "miriam", "nestor", "patti", "pradeep", "raul"}
	asciiFamily = []string{"vance", "wilber", "siciliani", "archie", "mueller", "langer", "lambert", "gu", "holloway", "robinson", "bowen", "graham", "wilke", "fernandez", "gupta", "razon"}
	titles      = []string{"Engineer", "Senior Engineer", "Product Manager", "Designer", "Sales Lead", "Support Specialist", "Director, R&D", "Analyst", "Recruiter", "CFO"}
	languages   = []string{"en-US", "de-DE", "fr-FR", "pt-BR", "ja-JP", "nb-NO", "es-ES", "pl-PL"}
	countries   = []string{"US", "DE", "FR", "BR", "JP", "NO", "ES", "PL"}
	regions     = []string{"WA", "Bayern", "Île-de-France", "São Paulo", "Tōkyō-to", "Troms", "Cataluña", "Mazowieckie"}
	localities  = []string{"Redmond", "München", "Paris", "São Paulo", "Chiyoda", "Tromsø", "Barcelona", "Warszawa"}
	streets     = []string{"Microsoft Way", "Leopoldstraße", "Rue de Rivoli", "Avenida Paulista", "Marunouchi", "Storgata", "Carrer de Mallorca", "ul. Marszałkowska"}
	departments = []string{"Engineering", "Sales", "Marketing", "Finance", "Human Resources", "Support", "Legal", "Research & Development"}
	divisions   = []string{"Cloud", "Devices", "Consumer", "Enterprise", "Public Sector"}
	orgs        = []string{"Contoso Ltd.", "Fabrikam, Inc.", "Northwind Traders", "Woodgrove Bank"}
	groupBases  = []string{"Engineering", "Sales", "All Staff", "Managers", "Juno Learners", "Onboarding", "Finance", "Support Tier 2"}
)

// attrKind says where an attribute lives in a User resource.
type attrKind uint8

const (
	simple attrKind = iota // a top-level string attribute
	sub                    // a sub-attribute of a complex attribute: name.givenName
	typed                  // a sub-attribute of the element of a given type: emails[type eq "work"].value
	ext                    // an enterprise extension attribute
)

// attrDef is one string attribute of the Juno Journey mapping (userName,
// externalId, active and manager are handled apart).
type attrDef struct {
	path   string // Entra's target attribute path, as sent in PATCH
	kind   attrKind
	parent string // complex or multi-valued attribute
	typ    string // element type, for typed
	name   string // attribute or sub-attribute name
	absent uint64 // percent of users created without it
	gen    func(h uint64) string
}

func typedDef(parent, typ, name string, absent uint64, gen func(uint64) string) attrDef {
	return attrDef{path: parent + `[type eq "` + typ + `"].` + name, kind: typed, parent: parent, typ: typ, name: name, absent: absent, gen: gen}
}

func subDef(parent, name string, absent uint64, gen func(uint64) string) attrDef {
	return attrDef{path: parent + "." + name, kind: sub, parent: parent, name: name, absent: absent, gen: gen}
}

func extDef(name string, absent uint64, gen func(uint64) string) attrDef {
	return attrDef{path: entURN + ":" + name, kind: ext, name: name, absent: absent, gen: gen}
}

func simpleDef(name string, absent uint64, gen func(uint64) string) attrDef {
	return attrDef{path: name, kind: simple, name: name, absent: absent, gen: gen}
}

func fromList(list []string) func(uint64) string {
	return func(h uint64) string { return pick(list, h) }
}

func fullName(h uint64) string { return pick(givenNames, h) + " " + pick(familyNames, h>>17) }

// attrs is the Juno Journey mapping, in the order Entra sends it.
var attrs = [...]attrDef{
	simpleDef("displayName", 0, fullName),
	simpleDef("title", 10, fromList(titles)),
	simpleDef("preferredLanguage", 0, fromList(languages)),
	typedDef("emails", "work", "value", 0, func(h uint64) string {
		return fmt.Sprintf("%s.%s%d@contoso.example", pick(asciiGiven, h), pick(asciiFamily, h>>11), h>>40%10000)
	}),
	typedDef("addresses", "work", "country", 0, fromList(countries)),
	typedDef("addresses", "work", "region", 5, fromList(regions)),
	typedDef("addresses", "work", "locality", 0, fromList(localities)),
	typedDef("addresses", "work", "postalCode", 5, func(h uint64) string { return fmt.Sprintf("%05d", h%100000) }),
	typedDef("addresses", "work", "formatted", 20, func(h uint64) string {
		return fmt.Sprintf("%d %s\n%05d %s", 1+h%300, pick(streets, h>>9), h>>20%100000, pick(localities, h>>40))
	}),
	typedDef("addresses", "work", "streetAddress", 0, func(h uint64) string {
		return fmt.Sprintf("%d %s", 1+h%300, pick(streets, h>>9))
	}),
	subDef("name", "givenName", 0, fromList(givenNames)),
	subDef("name", "familyName", 0, fromList(familyNames)),
	subDef("name", "middleName", 60, fromList(givenNames)),
	subDef("name", "formatted", 0, fullName),
	typedDef("phoneNumbers", "fax", "value", 70, func(h uint64) string { return fmt.Sprintf("+1 (425) 555-%04d", h%10000) }),
	typedDef("phoneNumbers", "mobile", "value", 20, func(h uint64) string { return fmt.Sprintf("+49 170 %07d", h%10000000) }),
	typedDef("phoneNumbers", "work", "value", 0, func(h uint64) string { return fmt.Sprintf("+1 425-555-%04d ext. %d", h%10000, h>>30%900+100) }),
	extDef("department", 0, fromList(departments)),
	extDef("employeeNumber", 0, func(h uint64) string { return fmt.Sprintf("%07d", h%10000000) }),
	extDef("costCenter", 30, func(h uint64) string { return fmt.Sprintf("CC-%04d", h%10000) }),
	extDef("division", 30, fromList(divisions)),
	extDef("organization", 0, fromList(orgs)),
}

const numAttrs = len(attrs)

// Hash domains, so that different kinds of generated values never share
// inputs.
const (
	domAttr     = 0 // + attribute index
	domUserName = 1000
	domExtID    = 1001
	domManager  = 1002
	domPassword = 1003
	domPresent  = 1004
	domGroup    = 2000
	domGroupExt = 2001
	domMembers  = 2002
)

// value is attribute a of user i at generation gen (gen 0 means absent).
func (s *simulation) value(a, i int, gen uint16) string {
	return attrs[a].gen(mix(s.cfg.Seed, uint64(i), domAttr+uint64(a), uint64(gen)))
}

// nextGen returns a generation after gen whose value differs from the
// current one (lists are short, so consecutive generations may repeat).
func (s *simulation) nextGen(a, i int, gen uint16) uint16 {
	cur := ""
	if gen > 0 {
		cur = s.value(a, i, gen)
	}
	n := gen + 1
	for tries := 0; tries < 16 && s.value(a, i, n) == cur; tries++ {
		n++
	}
	return n
}

// userName is user i's userName at rename generation gen (starting at 1).
// Okta's users live in a domain of their own: the simulated Okta and Entra
// are two directories, so runs of both against one tenant (which carry
// different externalIds) never take each other's users for their own.
func (s *simulation) userName(i int, gen uint16) string {
	h := mix(s.cfg.Seed, uint64(i), domUserName, 0)
	var b strings.Builder
	b.WriteString(pick(asciiGiven, h))
	b.WriteByte('.')
	b.WriteString(pick(asciiFamily, h>>13))
	b.WriteByte('.')
	b.WriteString(strconv.Itoa(i))
	if gen > 1 {
		b.WriteString(".r")
		b.WriteString(strconv.Itoa(int(gen)))
	}
	if s.cfg.Mode == Okta {
		b.WriteString("@okta.contoso.example")
	} else {
		b.WriteString("@contoso.example")
	}
	return b.String()
}

// guid formats two hashes as a version-4 UUID.
func guid(a, b uint64) string {
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// externalID is user i's externalId: an Entra object id (GUID) or an Okta
// user id (00u...).
func (s *simulation) externalID(i int) string {
	h := mix(s.cfg.Seed, uint64(i), domExtID, 0)
	if s.cfg.Mode == Okta {
		b := []byte("00u")
		for k := 0; k < 17; k++ {
			b = append(b, base62[h%62])
			h = h/62 ^ mix(h, uint64(k), 0, 0)
		}
		return string(b)
	}
	return guid(h, mix(s.cfg.Seed, uint64(i), domExtID, 1))
}

// password is the initial password Okta sends on create.
func (s *simulation) password(i int) string {
	h := mix(s.cfg.Seed, uint64(i), domPassword, 0)
	return "P@ss-" + strconv.FormatUint(h, 36)
}

// groupName is group g's displayName at rename generation gen.
func (s *simulation) groupName(g int, gen uint16) string {
	n := fmt.Sprintf("%s %04d", pick(groupBases, mix(s.cfg.Seed, uint64(g), domGroup, 0)), g)
	if gen > 1 {
		n += fmt.Sprintf(" (renamed %d)", gen-1)
	}
	return n
}

// groupExternalID is group g's externalId (an Entra object id).
func (s *simulation) groupExternalID(g int) string {
	return guid(mix(s.cfg.Seed, uint64(g), domGroupExt, 0), mix(s.cfg.Seed, uint64(g), domGroupExt, 1))
}

// randomGUID is a fresh random GUID, as Entra's Test Connection uses.
func randomGUID() string { return guid(rand.Uint64(), rand.Uint64()) }
