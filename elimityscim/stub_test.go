package elimityscim_test

import (
	"net/http"
	"sync"

	escim "github.com/elimity-com/scim"
)

// stub is an elimity handler whose every method answers res (or page)
// and err, recording the requests it gets.
type stub struct {
	mu   sync.Mutex
	res  escim.Resource
	page escim.Page
	err  error
	reqs []*http.Request
}

func (s *stub) answer(r *http.Request) (escim.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	return s.res, s.err
}

func (s *stub) Create(r *http.Request, _ escim.ResourceAttributes) (escim.Resource, error) {
	return s.answer(r)
}
func (s *stub) Get(r *http.Request, _ string) (escim.Resource, error) { return s.answer(r) }
func (s *stub) GetAll(r *http.Request, _ escim.ListRequestParams) (escim.Page, error) {
	_, err := s.answer(r)
	return s.page, err
}
func (s *stub) Replace(r *http.Request, _ string, _ escim.ResourceAttributes) (escim.Resource, error) {
	return s.answer(r)
}
func (s *stub) Delete(r *http.Request, _ string) error {
	_, err := s.answer(r)
	return err
}
func (s *stub) Patch(r *http.Request, _ string, _ []escim.PatchOperation) (escim.Resource, error) {
	return s.answer(r)
}
