package idpsim

import (
	"context"
	"strconv"
)

// importPage is the page size of Okta's import.
const importPage = 100

// oktaImport replays Okta's user import: GET /Users?startIndex=1&count=100,
// then the next pages, until totalResults. Paging must be stable: every
// provisioned user exactly once, totalResults the same on every page, and
// startIndex echoed.
func (s *simulation) oktaImport(ctx context.Context) {
	o := s.begin("tenant", s.cfg.BaseURL, "import")
	seen := map[string]bool{}
	total, pages, dups := -1, 0, 0
	for start := 1; ctx.Err() == nil; {
		pages++
		path := "/Users?startIndex=" + strconv.Itoa(start) + "&count=" + strconv.Itoa(importPage)
		res := s.checkPage(ctx, o, kList, path, "the import page", start)
		if res == nil {
			break
		}
		if total >= 0 && res.total != total {
			o.fail("totalResults changes between pages: Okta's import cannot rely on it", "GET %s: %d, first page %d", path, res.total, total)
		}
		if total < 0 {
			total = res.total
		}
		for _, m := range res.resources {
			id, _ := m["id"].(string)
			if seen[id] {
				dups++
			}
			seen[id] = true
		}
		if len(res.resources) > importPage {
			o.fail("a page holds more resources than count asked for", "GET %s: %d resources", path, len(res.resources))
		}
		start += len(res.resources)
		if len(res.resources) == 0 || start > total || pages > total/max(1, len(res.resources))+10 {
			break
		}
	}
	if dups > 0 {
		o.fail("paging returned users twice: the order is not stable", "%d duplicates over %d pages", dups, pages)
	}
	missing := 0
	for i := range s.users {
		if u := &s.users[i]; u.state == live && !seen[u.id] {
			missing++
		}
	}
	if missing > 0 {
		o.fail("paging missed provisioned users: Okta's import would not see them", "%d of them over %d pages", missing, pages)
	}
	if len(seen) < total && ctx.Err() == nil {
		o.fail("paging ended before totalResults", "%d users read, totalResults %d", len(seen), total)
	}
	if !o.failed() {
		s.log.printf("Import read %d users in %d pages", len(seen), pages)
	}
	o.endCheck()
}
