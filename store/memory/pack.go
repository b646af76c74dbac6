package memory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/jsonx"
)

// The store keeps each user as one immutable string, the user packed in a
// compact binary form: at a million users, one allocation of the bytes
// the user really has costs a fraction of a scim.User with its separate
// name, extension, slices and strings.
//
// A packed user is a sequence of fields, each a tag byte followed by its
// value, in ascending tag order with no tag repeated. An empty string, a
// nil pointer, a nil slice and a zero time are left out. Values are:
//
//   - a string: its length as a uvarint, then its bytes;
//   - active: one byte, 0 for false and 1 for true (absent means nil);
//   - a time: the Unix seconds as a varint, then the nanoseconds as a
//     uvarint (decoded in UTC);
//   - a struct (name, enterprise, manager): its own fields, tagged from 1 in
//     ascending order, then a 0 byte; a true bool is a tag with no value;
//   - a list: the number of elements as a uvarint, then each element as a
//     struct;
//   - the host's extensions (scim.User.Extensions): their JSON form, as a
//     string.
//
// userName, externalId, created and lastModified have the lowest tags, so
// that userHead can read what a write needs without decoding the rest.

// Tags of a packed user's fields.
const (
	tagUserName byte = iota + 1
	tagExternalID
	tagCreated
	tagLastModified
	tagID
	tagName
	tagDisplayName
	tagNickName
	tagProfileURL
	tagTitle
	tagUserType
	tagPreferredLanguage
	tagLocale
	tagTimezone
	tagActive
	tagEmails
	tagPhoneNumbers
	tagIMs
	tagPhotos
	tagAddresses
	tagEntitlements
	tagRoles
	tagX509Certificates
	tagEnterprise
	tagExtensions
	tagGroups
	tagResourceType
	tagLocation
	tagVersion
)

// Tags of the fields of scim.Name.
const (
	tagNameFormatted byte = iota + 1
	tagNameFamilyName
	tagNameGivenName
	tagNameMiddleName
	tagNameHonorificPrefix
	tagNameHonorificSuffix
)

// Tags of the fields of scim.MultiValue.
const (
	tagMVValue byte = iota + 1
	tagMVDisplay
	tagMVType
	tagMVPrimary
)

// Tags of the fields of scim.Address.
const (
	tagAddrFormatted byte = iota + 1
	tagAddrStreetAddress
	tagAddrLocality
	tagAddrRegion
	tagAddrPostalCode
	tagAddrCountry
	tagAddrType
	tagAddrPrimary
)

// Tags of the fields of scim.EnterpriseUser.
const (
	tagEntEmployeeNumber byte = iota + 1
	tagEntCostCenter
	tagEntOrganization
	tagEntDivision
	tagEntDepartment
	tagEntManager
)

// Tags of the fields of scim.Manager.
const (
	tagMgrValue byte = iota + 1
	tagMgrRef
	tagMgrDisplayName
)

// Tags of the fields of scim.GroupRef.
const (
	tagGRValue byte = iota + 1
	tagGRRef
	tagGRDisplay
	tagGRType
)

// endStruct ends the fields of a struct.
const endStruct byte = 0

// packBufs recycles the scratch buffers users are packed into before the
// result is copied to a string of exactly the right size.
var packBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuf keeps an exceptionally large user's buffer out of the pool.
const maxPooledBuf = 64 << 10

// packUser returns u packed. Every field of u is kept.
func packUser(u *scim.User) string {
	bp := packBufs.Get().(*[]byte)
	b := appendUser((*bp)[:0], u)
	s := string(b)
	if cap(b) <= maxPooledBuf {
		*bp = b
		packBufs.Put(bp)
	}
	return s
}

// appendUser appends u packed to b.
func appendUser(b []byte, u *scim.User) []byte {
	b = appendString(b, tagUserName, u.UserName)
	b = appendString(b, tagExternalID, u.ExternalID)
	b = appendTime(b, tagCreated, u.Meta.Created)
	b = appendTime(b, tagLastModified, u.Meta.LastModified)
	b = appendString(b, tagID, u.ID)
	if n := u.Name; n != nil {
		b = append(b, tagName)
		b = appendString(b, tagNameFormatted, n.Formatted)
		b = appendString(b, tagNameFamilyName, n.FamilyName)
		b = appendString(b, tagNameGivenName, n.GivenName)
		b = appendString(b, tagNameMiddleName, n.MiddleName)
		b = appendString(b, tagNameHonorificPrefix, n.HonorificPrefix)
		b = appendString(b, tagNameHonorificSuffix, n.HonorificSuffix)
		b = append(b, endStruct)
	}
	b = appendString(b, tagDisplayName, u.DisplayName)
	b = appendString(b, tagNickName, u.NickName)
	b = appendString(b, tagProfileURL, u.ProfileURL)
	b = appendString(b, tagTitle, u.Title)
	b = appendString(b, tagUserType, u.UserType)
	b = appendString(b, tagPreferredLanguage, u.PreferredLanguage)
	b = appendString(b, tagLocale, u.Locale)
	b = appendString(b, tagTimezone, u.Timezone)
	if u.Active != nil {
		v := byte(0)
		if *u.Active {
			v = 1
		}
		b = append(b, tagActive, v)
	}
	b = appendMultiValues(b, tagEmails, u.Emails)
	b = appendMultiValues(b, tagPhoneNumbers, u.PhoneNumbers)
	b = appendMultiValues(b, tagIMs, u.IMs)
	b = appendMultiValues(b, tagPhotos, u.Photos)
	if u.Addresses != nil {
		b = append(b, tagAddresses)
		b = binary.AppendUvarint(b, uint64(len(u.Addresses)))
		for i := range u.Addresses {
			a := &u.Addresses[i]
			b = appendString(b, tagAddrFormatted, a.Formatted)
			b = appendString(b, tagAddrStreetAddress, a.StreetAddress)
			b = appendString(b, tagAddrLocality, a.Locality)
			b = appendString(b, tagAddrRegion, a.Region)
			b = appendString(b, tagAddrPostalCode, a.PostalCode)
			b = appendString(b, tagAddrCountry, a.Country)
			b = appendString(b, tagAddrType, a.Type)
			if a.Primary {
				b = append(b, tagAddrPrimary)
			}
			b = append(b, endStruct)
		}
	}
	b = appendMultiValues(b, tagEntitlements, u.Entitlements)
	b = appendMultiValues(b, tagRoles, u.Roles)
	b = appendMultiValues(b, tagX509Certificates, u.X509Certificates)
	if e := u.Enterprise; e != nil {
		b = append(b, tagEnterprise)
		b = appendString(b, tagEntEmployeeNumber, e.EmployeeNumber)
		b = appendString(b, tagEntCostCenter, e.CostCenter)
		b = appendString(b, tagEntOrganization, e.Organization)
		b = appendString(b, tagEntDivision, e.Division)
		b = appendString(b, tagEntDepartment, e.Department)
		if m := e.Manager; m != nil {
			b = append(b, tagEntManager)
			b = appendString(b, tagMgrValue, m.Value)
			b = appendString(b, tagMgrRef, m.Ref)
			b = appendString(b, tagMgrDisplayName, m.DisplayName)
			b = append(b, endStruct)
		}
		b = append(b, endStruct)
	}
	if len(u.Extensions) > 0 {
		// Extensions are schema-defined JSON values; they are rare and
		// small beside the typed attributes, so they keep their JSON form.
		var ext bytes.Buffer
		enc := json.NewEncoder(&ext)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(u.Extensions); err != nil {
			panic("memory: extensions do not encode: " + err.Error()) // JSON-form values always do
		}
		b = appendString(b, tagExtensions, strings.TrimSuffix(ext.String(), "\n"))
	}
	if u.Groups != nil {
		b = append(b, tagGroups)
		b = binary.AppendUvarint(b, uint64(len(u.Groups)))
		for i := range u.Groups {
			g := &u.Groups[i]
			b = appendString(b, tagGRValue, g.Value)
			b = appendString(b, tagGRRef, g.Ref)
			b = appendString(b, tagGRDisplay, g.Display)
			b = appendString(b, tagGRType, g.Type)
			b = append(b, endStruct)
		}
	}
	b = appendString(b, tagResourceType, u.Meta.ResourceType)
	b = appendString(b, tagLocation, u.Meta.Location)
	b = appendString(b, tagVersion, u.Meta.Version)
	return b
}

func appendString(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, tag byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = append(b, tag)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func appendMultiValues(b []byte, tag byte, list []scim.MultiValue) []byte {
	if list == nil {
		return b
	}
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(list)))
	for i := range list {
		v := &list[i]
		b = appendString(b, tagMVValue, v.Value)
		b = appendString(b, tagMVDisplay, v.Display)
		b = appendString(b, tagMVType, v.Type)
		if v.Primary {
			b = append(b, tagMVPrimary)
		}
		b = append(b, endStruct)
	}
	return b
}

// errCorrupt reports bytes that are not a packed user.
var errCorrupt = errors.New("memory: corrupt packed user")

// unpackUser decodes a packed user into u, which should be zero. The
// strings of u share the memory of s (strings are immutable, so that is
// safe); every pointer and slice of u is newly allocated. It returns an
// error, leaving u partly filled, when s is not a packed user. Whatever s
// holds, it does not panic, and it allocates at most a fixed multiple of
// len(s) (a list is never longer than the bytes left).
func unpackUser(s string, u *scim.User) error {
	d := unpacker{s: s}
	return d.user(u)
}

// unpackScratch is storage that unpackReuse decodes into instead of
// allocating, reused from user to user, so that a scan evaluating a filter
// on every user allocates next to nothing to decode them.
type unpackScratch struct {
	u      scim.User
	name   scim.Name
	ent    scim.EnterpriseUser
	mgr    scim.Manager
	active bool
	multi  [numMulti][]scim.MultiValue
	addrs  []scim.Address
	groups []scim.GroupRef
}

// The multi-valued attributes of type []scim.MultiValue, by their slot in
// unpackScratch.multi.
const (
	slotEmails = iota
	slotPhoneNumbers
	slotIMs
	slotPhotos
	slotEntitlements
	slotRoles
	slotX509Certificates
	numMulti
)

// unpackReuse decodes s as unpackUser does, into the storage of sc. The
// user it returns is valid until the next call with sc; its strings, as
// with unpackUser, stay valid.
func unpackReuse(s string, sc *unpackScratch) (*scim.User, error) {
	sc.u = scim.User{}
	d := unpacker{s: s, sc: sc}
	return &sc.u, d.user(&sc.u)
}

// user decodes a whole packed user into u.
func (d *unpacker) user(u *scim.User) error {
	for prev := byte(0); len(d.s) > 0; {
		tag := d.tag(prev)
		prev = tag
		switch tag {
		case tagUserName:
			u.UserName = d.str()
		case tagExternalID:
			u.ExternalID = d.str()
		case tagCreated:
			u.Meta.Created = d.time()
		case tagLastModified:
			u.Meta.LastModified = d.time()
		case tagID:
			u.ID = d.str()
		case tagName:
			u.Name = d.name()
		case tagDisplayName:
			u.DisplayName = d.str()
		case tagNickName:
			u.NickName = d.str()
		case tagProfileURL:
			u.ProfileURL = d.str()
		case tagTitle:
			u.Title = d.str()
		case tagUserType:
			u.UserType = d.str()
		case tagPreferredLanguage:
			u.PreferredLanguage = d.str()
		case tagLocale:
			u.Locale = d.str()
		case tagTimezone:
			u.Timezone = d.str()
		case tagActive:
			switch v := d.byte(); v {
			case 0, 1:
				u.Active = d.newActive()
				*u.Active = v == 1
			default:
				d.fail()
			}
		case tagEmails:
			u.Emails = d.multiValues(slotEmails)
		case tagPhoneNumbers:
			u.PhoneNumbers = d.multiValues(slotPhoneNumbers)
		case tagIMs:
			u.IMs = d.multiValues(slotIMs)
		case tagPhotos:
			u.Photos = d.multiValues(slotPhotos)
		case tagAddresses:
			u.Addresses = d.addresses()
		case tagEntitlements:
			u.Entitlements = d.multiValues(slotEntitlements)
		case tagRoles:
			u.Roles = d.multiValues(slotRoles)
		case tagX509Certificates:
			u.X509Certificates = d.multiValues(slotX509Certificates)
		case tagEnterprise:
			u.Enterprise = d.enterprise()
		case tagExtensions:
			u.Extensions = d.extensions()
		case tagGroups:
			u.Groups = d.groupRefs()
		case tagResourceType:
			u.Meta.ResourceType = d.str()
		case tagLocation:
			u.Meta.Location = d.str()
		case tagVersion:
			u.Meta.Version = d.str()
		default:
			d.fail()
		}
	}
	return d.err
}

// userHead returns the userName, externalId, created and lastModified of a
// packed user without decoding the rest: they are its first fields.
func userHead(s string) (userName, externalID string, created, lastModified time.Time) {
	d := unpacker{s: s}
	if d.peek(tagUserName) {
		userName = d.str()
	}
	if d.peek(tagExternalID) {
		externalID = d.str()
	}
	if d.peek(tagCreated) {
		created = d.time()
	}
	if d.peek(tagLastModified) {
		lastModified = d.time()
	}
	return userName, externalID, created, lastModified
}

// unpacker reads a packed user. The first error empties s, so that every
// loop over the input ends; later reads return zero values.
type unpacker struct {
	s   string
	err error
	sc  *unpackScratch // storage to decode into, or nil to allocate
}

func (d *unpacker) newActive() *bool {
	if d.sc == nil {
		return new(bool)
	}
	return &d.sc.active
}

func (d *unpacker) newName() *scim.Name {
	if d.sc == nil {
		return new(scim.Name)
	}
	d.sc.name = scim.Name{}
	return &d.sc.name
}

func (d *unpacker) newEnterprise() *scim.EnterpriseUser {
	if d.sc == nil {
		return new(scim.EnterpriseUser)
	}
	d.sc.ent = scim.EnterpriseUser{}
	return &d.sc.ent
}

func (d *unpacker) newManager() *scim.Manager {
	if d.sc == nil {
		return new(scim.Manager)
	}
	d.sc.mgr = scim.Manager{}
	return &d.sc.mgr
}

// multiValues reads a list of multi-valued attribute elements, into
// scratch slot when there is scratch storage.
func (d *unpacker) multiValues(slot int) []scim.MultiValue {
	var buf *[]scim.MultiValue
	if d.sc != nil {
		buf = &d.sc.multi[slot]
	}
	list := unpackList(d, buf)
	for i := range list {
		d.multiValue(&list[i])
	}
	return list
}

func (d *unpacker) addresses() []scim.Address {
	var buf *[]scim.Address
	if d.sc != nil {
		buf = &d.sc.addrs
	}
	list := unpackList(d, buf)
	for i := range list {
		d.address(&list[i])
	}
	return list
}

func (d *unpacker) groupRefs() []scim.GroupRef {
	var buf *[]scim.GroupRef
	if d.sc != nil {
		buf = &d.sc.groups
	}
	list := unpackList(d, buf)
	for i := range list {
		d.groupRef(&list[i])
	}
	return list
}

func (d *unpacker) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.s = ""
}

func (d *unpacker) byte() byte {
	if len(d.s) == 0 {
		d.fail()
		return 0
	}
	c := d.s[0]
	d.s = d.s[1:]
	return c
}

// peek consumes the next byte if it is tag, and reports whether it was.
func (d *unpacker) peek(tag byte) bool {
	if len(d.s) > 0 && d.s[0] == tag {
		d.s = d.s[1:]
		return true
	}
	return false
}

// tag reads a field tag, which must be greater than the previous one.
func (d *unpacker) tag(prev byte) byte {
	t := d.byte()
	if t <= prev && d.err == nil {
		d.fail()
		return endStruct
	}
	return t
}

// field reads the next field tag of a struct, or endStruct after its last.
func (d *unpacker) field(prev byte) byte {
	t := d.byte()
	if t != endStruct && t <= prev {
		d.fail()
		return endStruct
	}
	return t
}

func (d *unpacker) uvarint() uint64 {
	var x uint64
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflows 64 bits
			}
			d.s = d.s[i+1:]
			return x | uint64(c)<<(7*i)
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	d.fail()
	return 0
}

func (d *unpacker) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *unpacker) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail()
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

func (d *unpacker) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= uint64(time.Second) {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// unpackList reads the length of a list and returns a list of that many
// zero elements for the caller to read, in *buf when buf is not nil and
// has room. Every element takes at least one byte, so a count beyond the
// remaining input is corrupt, which bounds the allocation by the input's
// length.
func unpackList[T any](d *unpacker, buf *[]T) []T {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail()
		return nil
	}
	var list []T
	if buf != nil && n > 0 && uint64(cap(*buf)) >= n {
		list = (*buf)[:n]
		clear(list)
	} else {
		list = make([]T, n) // never nil, even when empty
		if buf != nil && n > 0 {
			*buf = list
		}
	}
	return list
}

func (d *unpacker) name() *scim.Name {
	n := d.newName()
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagNameFormatted:
			n.Formatted = d.str()
		case tagNameFamilyName:
			n.FamilyName = d.str()
		case tagNameGivenName:
			n.GivenName = d.str()
		case tagNameMiddleName:
			n.MiddleName = d.str()
		case tagNameHonorificPrefix:
			n.HonorificPrefix = d.str()
		case tagNameHonorificSuffix:
			n.HonorificSuffix = d.str()
		default:
			d.fail()
		}
	}
	return n
}

func (d *unpacker) multiValue(v *scim.MultiValue) {
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagMVValue:
			v.Value = d.str()
		case tagMVDisplay:
			v.Display = d.str()
		case tagMVType:
			v.Type = d.str()
		case tagMVPrimary:
			v.Primary = true
		default:
			d.fail()
		}
	}
}

func (d *unpacker) address(a *scim.Address) {
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagAddrFormatted:
			a.Formatted = d.str()
		case tagAddrStreetAddress:
			a.StreetAddress = d.str()
		case tagAddrLocality:
			a.Locality = d.str()
		case tagAddrRegion:
			a.Region = d.str()
		case tagAddrPostalCode:
			a.PostalCode = d.str()
		case tagAddrCountry:
			a.Country = d.str()
		case tagAddrType:
			a.Type = d.str()
		case tagAddrPrimary:
			a.Primary = true
		default:
			d.fail()
		}
	}
}

func (d *unpacker) enterprise() *scim.EnterpriseUser {
	e := d.newEnterprise()
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagEntEmployeeNumber:
			e.EmployeeNumber = d.str()
		case tagEntCostCenter:
			e.CostCenter = d.str()
		case tagEntOrganization:
			e.Organization = d.str()
		case tagEntDivision:
			e.Division = d.str()
		case tagEntDepartment:
			e.Department = d.str()
		case tagEntManager:
			e.Manager = d.manager()
		default:
			d.fail()
		}
	}
	return e
}

func (d *unpacker) manager() *scim.Manager {
	m := d.newManager()
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagMgrValue:
			m.Value = d.str()
		case tagMgrRef:
			m.Ref = d.str()
		case tagMgrDisplayName:
			m.DisplayName = d.str()
		default:
			d.fail()
		}
	}
	return m
}

func (d *unpacker) groupRef(g *scim.GroupRef) {
	for t := d.field(0); t != endStruct; t = d.field(t) {
		switch t {
		case tagGRValue:
			g.Value = d.str()
		case tagGRRef:
			g.Ref = d.str()
		case tagGRDisplay:
			g.Display = d.str()
		case tagGRType:
			g.Type = d.str()
		default:
			d.fail()
		}
	}
}

// extensions decodes the JSON form of a user's extensions.
func (d *unpacker) extensions() scim.Extensions {
	s := d.str()
	if d.err != nil || !utf8.ValidString(s) {
		d.fail()
		return nil
	}
	v, err := jsonx.Parse([]byte(s), jsonx.Options{})
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		d.fail()
		return nil
	}
	e := make(scim.Extensions, len(m))
	for k, x := range m {
		obj, ok := x.(map[string]any)
		if !ok {
			d.fail()
			return nil
		}
		e[k] = obj
	}
	return e
}
