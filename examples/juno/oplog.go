package main

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"time"
)

// The provisioning log as the admin page reads it. These mirror the
// library's scim.LogRecord, LogQuery and LogPage.
type (
	logRecord struct {
		Time                              time.Time
		Tenant, RequestID, Client, Method string
		Op                                string
		ResourceType, ResourceID          string
		Outcome                           string
		Status                            int
		SCIMType                          string
		Changed                           []string
		MembersAdded, MembersRemoved      []string
		Duration                          time.Duration
	}
	logQuery struct {
		Tenant, ResourceType, ResourceID, Op, Outcome string
		Since, Until                                  time.Time
		Count                                         int
		Cursor                                        string
	}
	logPage struct {
		Records []logRecord
		Next    string
	}
)

// provisioningLog is what Juno needs of the provisioning log: a sink the
// SCIM server writes to, and queries for the admin page.
type provisioningLog interface {
	LogOperation(ctx context.Context, rec logRecord)
	QueryLog(ctx context.Context, q logQuery) (logPage, error)
}

// memLog keeps the newest records in memory, newest first.
type memLog struct {
	mu   sync.Mutex
	recs []logRecord // oldest first
	max  int
}

func (m *memLog) LogOperation(_ context.Context, rec logRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(rec)
}

// add appends rec; m.mu is held.
func (m *memLog) add(rec logRecord) {
	m.recs = append(m.recs, rec)
	if m.max > 0 && len(m.recs) > m.max {
		m.recs = m.recs[len(m.recs)-m.max:]
	}
}

func (m *memLog) QueryLog(_ context.Context, q logQuery) (logPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	count := q.Count
	if count <= 0 {
		count = 50
	}
	skip, _ := strconv.Atoi(q.Cursor)
	var p logPage
	seen := 0
	for i := len(m.recs) - 1; i >= 0; i-- {
		r := m.recs[i]
		if r.Tenant != q.Tenant || (q.ResourceType != "" && r.ResourceType != q.ResourceType) ||
			(q.ResourceID != "" && r.ResourceID != q.ResourceID) || (q.Op != "" && r.Op != q.Op) ||
			(q.Outcome != "" && r.Outcome != q.Outcome) || (!q.Since.IsZero() && r.Time.Before(q.Since)) ||
			(!q.Until.IsZero() && !r.Time.Before(q.Until)) {
			continue
		}
		seen++
		if seen <= skip {
			continue
		}
		if len(p.Records) == count {
			p.Next = strconv.Itoa(skip + count)
			break
		}
		p.Records = append(p.Records, r)
	}
	return p, nil
}

// openProvisioningLog opens the provisioning log Juno keeps.
func openProvisioningLog(_ context.Context, _ *sql.DB) (provisioningLog, error) {
	return &memLog{max: 100_000}, nil
}
