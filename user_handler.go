package scim

import "context"

// UserHandler returns the ResourceHandler that serves Users from s: the
// one NewServer makes for Config.Store. It converts documents to User and
// back and leaves every rule of ResourceHandler to s as UserStore states
// it. It also implements UserSource, the Server's fast path for reads.
func UserHandler(s UserStore) ResourceHandler { return userHandler{s} }

// userHandler is UserHandler's handler; embedding the store gives it
// UserSource.
type userHandler struct{ UserStore }

func (h userHandler) Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error) {
	out, err := h.createUser(ctx, tenant, doc)
	if err != nil {
		return nil, err
	}
	return UserDoc(out), nil
}

// userCreator is a handler that can hand back a created user typed,
// which the Server then writes straight from the struct.
type userCreator interface {
	createUser(ctx context.Context, tenant string, doc map[string]any) (*User, error)
}

// createUser is Create returning the user as the store does.
func (h userHandler) createUser(ctx context.Context, tenant string, doc map[string]any) (*User, error) {
	var u User
	if err := fromDoc(doc, &u); err != nil {
		return nil, err
	}
	return h.CreateUser(ctx, tenant, &u)
}

func (h userHandler) Get(ctx context.Context, tenant, id string, _ GetOptions) (map[string]any, error) {
	u, err := h.GetUser(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return UserDoc(u), nil
}

func (h userHandler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	out, err := h.replaceUser(ctx, tenant, id, doc, ifVersion)
	if err != nil {
		return nil, err
	}
	return UserDoc(out), nil
}

// userReplacer is a handler that can hand back a replaced user typed,
// which the Server then writes straight from the struct.
type userReplacer interface {
	replaceUser(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (*User, error)
}

// replaceUser is Replace returning the user as the store does.
func (h userHandler) replaceUser(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (*User, error) {
	var u User
	if err := fromDoc(doc, &u); err != nil {
		return nil, err
	}
	u.ID = id
	return h.ReplaceUser(ctx, tenant, &u, ifVersion)
}

func (h userHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	return h.DeleteUser(ctx, tenant, id, ifVersion)
}

func (h userHandler) List(ctx context.Context, tenant string, q Query) (*Page[map[string]any], error) {
	p, err := h.ListUsers(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	res := &Page[map[string]any]{TotalResults: p.TotalResults, Last: p.Last, Resources: make([]map[string]any, len(p.Resources))}
	for i, u := range p.Resources {
		res.Resources[i] = UserDoc(u)
	}
	return res, nil
}
