package elimityscim

import (
	"context"
	"errors"
	"net/http"

	escim "github.com/elimity-com/scim"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// scanCount is how many resources a filtered List asks GetAll for at a
// time.
var scanCount = 500

// List passes a request without a filter to GetAll; with a filter it
// pages through GetAll without one and keeps what filter.Match accepts
// (see the package documentation).
func (h *handler) List(ctx context.Context, tenant string, q scim.Query) (*scim.Page[map[string]any], error) {
	start, count := max(q.StartIndex, 1), max(q.Count, 0)
	if q.Filter == nil {
		p, err := h.getAll(ctx, tenant, start, count, q.ExcludeMembers)
		if err != nil {
			return nil, err
		}
		out := &scim.Page[map[string]any]{TotalResults: p.TotalResults, Resources: []map[string]any{}}
		for _, r := range p.Resources[:min(len(p.Resources), count)] {
			doc, err := h.document(r, r.ID, q.ExcludeMembers)
			if err != nil {
				return nil, err
			}
			out.Resources = append(out.Resources, doc)
		}
		return out, nil
	}
	// The handler may leave members out only when the filter does not
	// read them.
	exclude := q.ExcludeMembers && !filter.Touches(q.Filter, "members")
	out := &scim.Page[map[string]any]{Resources: []map[string]any{}}
	var first string // of the previous page
	for at := 1; ; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := h.getAll(ctx, tenant, at, scanCount, exclude)
		if err != nil {
			return nil, err
		}
		if len(p.Resources) > 0 {
			if at > 1 && p.Resources[0].ID == first {
				return nil, errPaging
			}
			first = p.Resources[0].ID
		}
		for _, r := range p.Resources {
			doc, err := h.document(r, r.ID, exclude)
			if err != nil {
				return nil, err
			}
			if !filter.Match(q.Filter, doc) {
				continue
			}
			out.TotalResults++
			if out.TotalResults >= start && len(out.Resources) < count {
				if q.ExcludeMembers {
					delete(doc, "members")
				}
				out.Resources = append(out.Resources, doc)
			}
		}
		at += len(p.Resources)
		if len(p.Resources) == 0 || at > p.TotalResults {
			return out, nil
		}
	}
}

// errPaging is a GetAll that answers the same page for every startIndex;
// reading on would never end.
var errPaging = errors.New("elimityscim: GetAll answered the same page for two startIndex values; it must honour ListRequestParams.StartIndex")

// getAll asks the handler for one page.
func (h *handler) getAll(ctx context.Context, tenant string, start, count int, excludeMembers bool) (escim.Page, error) {
	req, err := h.request(ctx, tenant, http.MethodGet, "", pageQuery(start, count, excludeMembers), "")
	if err != nil {
		return escim.Page{}, err
	}
	p, err := h.h.GetAll(req, escim.ListRequestParams{StartIndex: start, Count: count})
	return p, scimError(err)
}
