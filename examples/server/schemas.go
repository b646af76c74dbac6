package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scimkit/scim/schema"
)

// schemaFiles is the repeatable -schema flag: files holding extension
// schemas in their RFC 7643 JSON form.
type schemaFiles []string

func (f *schemaFiles) String() string { return strings.Join(*f, ", ") }

func (f *schemaFiles) Set(path string) error {
	*f = append(*f, path)
	return nil
}

// extensions reads the files' schemas, in order: one whose id ends in
// ":Group" extends Group, any other User.
func (f schemaFiles) extensions() (user, group []schema.Extension, err error) {
	for _, path := range f {
		schemas, err := readSchemas(path)
		if err != nil {
			return nil, nil, fmt.Errorf("-schema %s: %w", path, err)
		}
		for _, s := range schemas {
			if strings.HasSuffix(strings.ToLower(s.ID), ":group") {
				group = append(group, schema.Extension{Schema: s})
			} else {
				user = append(user, schema.Extension{Schema: s})
			}
		}
	}
	return user, group, nil
}

// readSchemas parses one file, reading no more than schema.Parse accepts.
func readSchemas(path string) ([]*schema.Schema, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, schema.MaxParseBytes+1))
	if err != nil {
		return nil, err
	}
	return schema.Parse(b)
}
