package scim

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// baseURL returns the absolute URL of the mount point: Config.BaseURL
// when set. Otherwise the scheme comes from the connection (TLS or not)
// and the host from the local address the connection arrived on, so
// that no client can choose the URLs other clients, logs and events see
// by forging Host, an absolute-form request target or X-Forwarded-*. Only
// a peer in Config.TrustedProxies sets the scheme (X-Forwarded-Proto) and
// host (X-Forwarded-Host, else Host). Without a local address (a handler
// called directly, not through an http.Server) the URLs are relative to
// the host: "/scim/v2/Users/1".
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	prefix := mountPrefix(r)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := ""
	if s.trustedPeer(r) {
		if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p == "https" || p == "http" {
			scheme = p
		}
		host = lastValue(r.Header.Values("X-Forwarded-Host"))
		if !validHost(host) {
			host = r.Host
		}
	}
	if !validHost(host) {
		host = localHost(r)
	}
	if host == "" {
		return prefix
	}
	return scheme + "://" + host + prefix
}

// mountPrefix returns the path the Server is mounted at, escaped and
// without a trailing slash: what http.StripPrefix took off the request's
// own path. Of an absolute-form request target only the path counts.
func mountPrefix(r *http.Request) string {
	if path, _, _ := strings.Cut(r.RequestURI, "?"); plainPath(path) {
		// What parsing and escaping give back unchanged: the common
		// case, without either.
		prefix, ok := strings.CutSuffix(path, r.URL.Path)
		if !ok {
			return ""
		}
		return strings.TrimSuffix(prefix, "/")
	}
	return parsedMountPrefix(r)
}

// plainPath reports whether p is an absolute path of letters, digits and
// "-._~/" only, which url.ParseRequestURI and URL.EscapedPath leave as
// it is.
func plainPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			return false
		}
	}
	return true
}

// parsedMountPrefix is mountPrefix for any request target.
func parsedMountPrefix(r *http.Request) string {
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return ""
	}
	prefix, ok := strings.CutSuffix(u.Path, r.URL.Path)
	if !ok {
		return ""
	}
	return (&url.URL{Path: strings.TrimSuffix(prefix, "/")}).EscapedPath()
}

// trustedPeer reports whether the request's peer (r.RemoteAddr, with or
// without a port) is one of Config.TrustedProxies.
func (s *Server) trustedPeer(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	addr, err := netip.ParseAddr(r.RemoteAddr) // as some middleware leaves it
	if ap, perr := netip.ParseAddrPort(r.RemoteAddr); perr == nil {
		addr, err = ap.Addr(), nil
	}
	if err != nil {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// lastValue returns the last comma-separated element of a header's
// values: the one the nearest proxy added, which is the trusted one when
// a proxy appends to what the client sent.
func lastValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost reports whether h is a plain host[:port] (a name, IPv4 or
// bracketed IPv6 address), safe to put in a URL and a JSON document.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	// The characters alone allow ":A" or "a:b:c": it must also be what a
	// URL's authority holds, a host and at most a numeric port.
	u, err := url.Parse("http://" + h + "/")
	return err == nil && u.Host == h && u.Hostname() != ""
}

// localHost returns the local address the request's connection arrived
// on as host:port, or "" when the request came through no http.Server.
func localHost(r *http.Request) string {
	var ap netip.AddrPort
	switch a := r.Context().Value(http.LocalAddrContextKey).(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case net.Addr:
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ""
		}
	default:
		return ""
	}
	if !ap.IsValid() {
		return ""
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()).String()
}
