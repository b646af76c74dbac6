package filter

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim/schema"
)

const testURN = "urn:example:scim:schemas:extension:test:1.0:User"

// testSchemaJSON is a custom extension with the types the core schemas
// lack, and a costCenter that clashes with the enterprise extension's.
const testSchemaJSON = `{
  "id": "` + testURN + `", "name": "Test",
  "attributes": [
    {"name": "level", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "score", "type": "decimal", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "born", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "vip", "type": "boolean", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "tags", "type": "string", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "code", "type": "string", "caseExact": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "pin", "type": "string", "mutability": "writeOnly", "returned": "never", "uniqueness": "none"},
    {"name": "costCenter", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "badge", "type": "complex", "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "number", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "issued", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]}
  ]
}`

func testExtension(t testing.TB) *schema.Schema {
	t.Helper()
	s, err := schema.Parse([]byte(testSchemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	return s[0]
}

// testUser is the User resource type with the enterprise extension and
// the test extension.
func testUser(t testing.TB) *schema.ResourceType {
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: testExtension(t)})
	return rt
}

// describe lists, for every path in e, its resolved definition and type;
// "~" marks a path relative to a value filter's attribute.
func describe(t *testing.T, e Expr) []string {
	var out []string
	check := func(p AttrPath) {
		r := p.Resolved
		if r.Schema == nil && r.Attr == nil {
			t.Errorf("path %q is not resolved", p)
			out = append(out, "unresolved")
			return
		}
		name := r.String()
		if r.Schema == nil {
			name = "~" + name
		}
		typ := "extension"
		if tg := r.Target(); tg != nil {
			typ = string(tg.Type)
		}
		// The written names must agree with the definitions.
		if r.Attr != nil && p.Name != r.Attr.Name || r.Sub != nil && p.Sub != r.Sub.Name ||
			r.Extension && p.URI != r.Schema.ID || !r.Extension && p.URI != "" {
			t.Errorf("path %+v disagrees with its definition %s", p, name)
		}
		out = append(out, name+":"+typ)
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch n := e.(type) {
		case *And:
			walk(n.Left)
			walk(n.Right)
		case *Or:
			walk(n.Left)
			walk(n.Right)
		case *Not:
			walk(n.X)
		case *Compare:
			check(n.Path)
		case *ValuePath:
			check(n.Path)
			walk(n.Filter)
		}
	}
	walk(e)
	return out
}

func TestResolve(t *testing.T) {
	user, group := testUser(t), schema.Group()
	plain := schema.User() // only the enterprise extension
	tests := []struct {
		in    string
		rt    *schema.ResourceType
		want  string   // String of the resolved filter
		paths []string // describe of the resolved filter
	}{
		{`userName eq "x"`, user, `userName eq "x"`, []string{"userName:string"}},
		{`USERNAME Eq "x"`, user, `userName eq "x"`, []string{"userName:string"}},
		{usrURN + `:userName eq "x"`, user, `userName eq "x"`, []string{"userName:string"}},
		{`externalId eq "e"`, user, `externalId eq "e"`, []string{"externalId:string"}},
		// Entra's reference check: manager is found in the only extension
		// that has it, and compares its value.
		{`id eq "x" and manager eq "y"`, plain, `id eq "x" and ` + entURN + `:manager.value eq "y"`,
			[]string{"id:string", entURN + ":manager.value:string"}},
		{`Manager pr`, plain, entURN + `:manager pr`, []string{entURN + ":manager:complex"}},
		{`manager.value eq "y"`, plain, entURN + `:manager.value eq "y"`, []string{entURN + ":manager.value:string"}},
		{`department eq "d"`, user, entURN + `:department eq "d"`, []string{entURN + ":department:string"}},
		{entURN + `:manager eq "y"`, user, entURN + `:manager.value eq "y"`, []string{entURN + ":manager.value:string"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department eq "d"`, user,
			entURN + `:department eq "d"`, []string{entURN + ":department:string"}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value eq "m"`, user,
			entURN + `:manager.value eq "m"`, []string{entURN + ":manager.value:string"}},
		{entURN + ` pr`, user, entURN + ` pr`, []string{entURN + ":extension"}},
		{`emails[type eq "work"].value eq "a@b.c"`, user, `emails[type eq "work" and value eq "a@b.c"]`,
			[]string{"emails:complex", "~type:string", "~value:string"}},
		{`EMAILS[TYPE eq "work" or Primary eq true]`, user, `emails[type eq "work" or primary eq true]`,
			[]string{"emails:complex", "~type:string", "~primary:boolean"}},
		{`emails eq "a@b.c"`, user, `emails.value eq "a@b.c"`, []string{"emails.value:string"}},
		{`emails.value co "@b"`, user, `emails.value co "@b"`, []string{"emails.value:string"}},
		{`emails pr`, user, `emails pr`, []string{"emails:complex"}},
		{`name pr`, user, `name pr`, []string{"name:complex"}},
		{`name.givenName sw "A"`, user, `name.givenName sw "A"`, []string{"name.givenName:string"}},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, user, `meta.lastModified gt "2011-05-13T04:42:34Z"`,
			[]string{"meta.lastModified:dateTime"}},
		{`meta.created le "2011-05-13T04:42:34.123+02:00"`, user, `meta.created le "2011-05-13T04:42:34.123+02:00"`,
			[]string{"meta.created:dateTime"}},
		{`active eq true and not (title pr)`, user, `active eq true and not (title pr)`,
			[]string{"active:boolean", "title:string"}},
		{`active eq null`, user, `active eq null`, []string{"active:boolean"}},
		{`title ne null`, user, `title ne null`, []string{"title:string"}},
		{`externalId eq 5`, user, `externalId eq "5"`, []string{"externalId:string"}},
		{`x509Certificates.value eq "TUlJ"`, user, `x509Certificates.value eq "TUlJ"`, []string{"x509Certificates.value:binary"}},
		{`manager[value eq "m"]`, user, entURN + `:manager[value eq "m"]`, []string{entURN + ":manager:complex", "~value:string"}},
		{`members[value eq "1"]`, group, `members[value eq "1"]`, []string{"members:complex", "~value:string"}},
		{`members.display co "ops"`, group, `members.display co "ops"`, []string{"members.display:string"}},
		{`members eq "1"`, group, `members.value eq "1"`, []string{"members.value:string"}},
		{`displayName eq "G" and members[$ref pr]`, group, `displayName eq "G" and members[$ref pr]`,
			[]string{"displayName:string", "members:complex", "~$ref:reference"}},
		// Custom types.
		{`level ge 3`, user, testURN + `:level ge 3`, []string{testURN + ":level:integer"}},
		{`score lt -0.5e1`, user, testURN + `:score lt -0.5e1`, []string{testURN + ":score:decimal"}},
		{`vip ne false`, user, testURN + `:vip ne false`, []string{testURN + ":vip:boolean"}},
		{`tags eq "a"`, user, testURN + `:tags eq "a"`, []string{testURN + ":tags:string"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(e, tt.rt)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := String(r); got != tt.want {
				t.Errorf("String = %s\nwant       %s", got, tt.want)
			}
			if diff := cmp.Diff(tt.paths, describe(t, r)); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			// Resolve leaves its input alone.
			if again, _ := Parse(tt.in); !cmp.Equal(e, again) {
				t.Errorf("Resolve changed its input")
			}
			// A resolved filter's text parses and resolves to the same text.
			e2, err := Parse(String(r))
			if err != nil {
				t.Fatalf("Parse(%q): %v", String(r), err)
			}
			r2, err := Resolve(e2, tt.rt)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", String(r), err)
			}
			if String(r2) != String(r) {
				t.Errorf("re-resolved to %s, want %s", String(r2), String(r))
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	user, group := testUser(t), schema.Group()
	tests := []struct {
		in   string
		rt   *schema.ResourceType
		kind ErrorKind
	}{
		{`password eq "x"`, user, Sensitive},
		{`PassWord pr`, user, Sensitive},
		{usrURN + `:password sw "a"`, user, Sensitive},
		{`userName pr and not (password pr)`, user, Sensitive},
		{`pin eq "1234"`, user, Sensitive},

		{`foo eq "x"`, user, Unknown},
		{`name.foo pr`, user, Unknown},
		{`userName.x pr`, user, Unknown},
		{`emails[foo eq "x"]`, user, Unknown},
		{`emails[type eq "work"].foo eq "x"`, user, Unknown},
		{`emails[type.x eq "a"]`, user, Unknown},
		{`emails[` + usrURN + `:type eq "a"]`, user, Unknown},
		{`urn:x:y:userName eq "a"`, user, Unknown},
		{`userName eq "x"`, group, Unknown},
		{`manager eq "x"`, group, Unknown},
		{`costCenter eq "x"`, user, Unknown}, // in two extensions: ambiguous
		{entURN + `:userName eq "x"`, user, Unknown},
		{usrURN + ` pr`, user, Unknown},

		{`active gt true`, user, Unsupported},
		{`active co true`, user, Unsupported},
		{`active eq "true"`, user, Unsupported},
		{`active eq 1`, user, Unsupported},
		{`x509Certificates.value gt "a"`, user, Unsupported},
		{`name eq "x"`, user, Unsupported},
		{`name co "x"`, user, Unsupported},
		{`badge eq 1`, user, Unsupported},
		{`meta.lastModified gt "not-a-date"`, user, Unsupported},
		{`meta.lastModified gt "2011-05-13"`, user, Unsupported},
		{`meta.lastModified gt 5`, user, Unsupported},
		{`meta.created co "2011"`, user, Unsupported},
		{`userName eq true`, user, Unsupported},
		{`userName gt null`, user, Unsupported},
		{`level co 1`, user, Unsupported},
		{`level eq "3"`, user, Unsupported},
		{`score gt true`, user, Unsupported},
		{`userName[value pr]`, user, Unsupported},
		{`name.givenName[x pr]`, user, Unsupported},
		{`emails.type[value pr]`, user, Unsupported},
		{`tags[value pr]`, user, Unsupported},
		{entURN + ` eq "x"`, user, Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(e, tt.rt)
			if err == nil {
				t.Fatalf("Resolve = %s, want error", String(r))
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.kind {
				t.Fatalf("error %#v, want Kind %d", err, tt.kind)
			}
		})
	}
}

func TestResolveHandBuilt(t *testing.T) {
	user := testUser(t)
	// Numbers of other Go types become Number; unknown operators and
	// nodes are refused rather than passed on.
	r, err := Resolve(&Compare{Path: ap("level"), Op: Eq, Value: 3}, user)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.(*Compare).Value; got != Number("3") {
		t.Errorf("Value = %#v, want Number 3", got)
	}
	for _, e := range []Expr{
		&Compare{Path: ap("userName"), Op: "EQ", Value: "x"},
		&Compare{Path: ap("userName"), Op: "xx", Value: "x"},
		nil,
		&And{Left: eq("userName", "x")},
	} {
		if r, err := Resolve(e, user); err == nil {
			t.Errorf("Resolve(%#v) = %s, want error", e, String(r))
		}
	}
	if _, err := Resolve(eq("userName", "x"), nil); err == nil {
		t.Error("Resolve with a nil resource type succeeded")
	}
}

func TestResolveWithin(t *testing.T) {
	members := schema.CoreGroup().Attr("members")
	tests := []struct {
		in   string
		want string
		kind ErrorKind // 0 when it resolves
	}{
		{`value eq "x"`, `value eq "x"`, 0},
		{`VALUE eq "x" or Display co "ops"`, `value eq "x" or display co "ops"`, 0},
		{`not (type eq "User")`, `not (type eq "User")`, 0},
		{`$ref pr`, `$ref pr`, 0},
		{`members.value eq "x"`, "", Unknown},
		{`value.x eq "x"`, "", Unknown},
		{`foo pr`, "", Unknown},
		{`value[type pr]`, "", Syntax},
		{`value gt null`, "", Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ResolveWithin(e, members)
			if tt.kind != 0 {
				var fe *Error
				if !errors.As(err, &fe) || fe.Kind != tt.kind {
					t.Fatalf("error %#v, want Kind %d", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := String(r); got != tt.want {
				t.Errorf("String = %s, want %s", got, tt.want)
			}
			for _, p := range describe(t, r) {
				if p[0] != '~' {
					t.Errorf("path %s is not relative", p)
				}
			}
		})
	}
	if _, err := ResolveWithin(eq("value", "x"), schema.CoreUser().Attr("userName")); err == nil {
		t.Error("ResolveWithin a simple attribute succeeded")
	}
	if _, err := ResolveWithin(eq("value", "x"), nil); err == nil {
		t.Error("ResolveWithin nil succeeded")
	}
}

func TestResolvePath(t *testing.T) {
	user, group := testUser(t), schema.Group()
	tests := []struct {
		in      string
		rt      *schema.ResourceType
		want    string // Path.String after resolving
		attr    string // Resolved.String of the attribute part
		sub     string // ResolvedSub.Name
		filters []string
	}{
		{`userName`, user, `userName`, "userName", "", nil},
		{`NAME.givenname`, user, `name.givenName`, "name.givenName", "", nil},
		{`password`, user, `password`, "password", "", nil}, // PATCH may set it
		{`manager`, user, entURN + `:manager`, entURN + ":manager", "", nil},
		{entURN + `:manager`, user, entURN + `:manager`, entURN + ":manager", "", nil},
		{entURN + `:employeeNumber`, user, entURN + `:employeeNumber`, entURN + ":employeeNumber", "", nil},
		{entURN, user, entURN, entURN, "", nil},
		{`emails[type eq "work"].value`, user, `emails[type eq "work"].value`, "emails", "value", []string{"~type:string"}},
		{`addresses[Type eq "work"].StreetAddress`, user, `addresses[type eq "work"].streetAddress`, "addresses", "streetAddress", []string{"~type:string"}},
		{`members[value eq "2819c223"]`, group, `members[value eq "2819c223"]`, "members", "", []string{"~value:string"}},
		{`manager[value eq "m"]`, user, entURN + `:manager[value eq "m"]`, entURN + ":manager", "", []string{"~value:string"}},
		{`members`, group, `members`, "members", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ResolvePath(p, tt.rt)
			if err != nil {
				t.Fatalf("ResolvePath: %v", err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String = %s, want %s", got, tt.want)
			}
			if got := r.Attr.Resolved.String(); got != tt.attr {
				t.Errorf("Resolved = %s, want %s", got, tt.attr)
			}
			gotSub := ""
			if r.ResolvedSub != nil {
				gotSub = r.ResolvedSub.Name
				if r.Sub != gotSub {
					t.Errorf("Sub %q disagrees with ResolvedSub %q", r.Sub, gotSub)
				}
			}
			if gotSub != tt.sub {
				t.Errorf("ResolvedSub = %q, want %q", gotSub, tt.sub)
			}
			var filters []string
			if r.Filter != nil {
				filters = describe(t, r.Filter)
			}
			if diff := cmp.Diff(tt.filters, filters); diff != "" {
				t.Errorf("filter paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolvePathErrors(t *testing.T) {
	user, group := testUser(t), schema.Group()
	tests := []struct {
		in   string
		rt   *schema.ResourceType
		kind ErrorKind
	}{
		{`foo`, user, Unknown},
		{`name.foo`, user, Unknown},
		{`members`, user, Unknown},
		{`emails[type eq "work"].foo`, user, Unknown},
		{`emails[foo eq "work"]`, user, Unknown},
		{`userName[value eq "x"]`, user, Unsupported},
		{`name.givenName[value eq "x"]`, user, Unsupported},
		{entURN + `[value pr]`, user, Unsupported},
		{`emails[type gt true]`, user, Unsupported},
		{`members[value gt null]`, group, Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			r, err := ResolvePath(p, tt.rt)
			if err == nil {
				t.Fatalf("ResolvePath = %s, want error", r)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Kind != tt.kind {
				t.Fatalf("error %#v, want Kind %d", err, tt.kind)
			}
		})
	}
	// A sub-attribute after a path needs a filter; only hand-built paths
	// can have one.
	if _, err := ResolvePath(Path{Attr: ap("emails"), Sub: "value"}, user); err == nil {
		t.Error("ResolvePath of emails + Sub without filter succeeded")
	}
}
