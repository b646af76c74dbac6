package e2e

import (
	"bytes"
	"sync"
)

// Log is a buffer a logger may write to while a test reads it. Everything
// written to any Log is also kept for AllLogs, so that a test binary can
// check every log line its tests produced.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Log) Write(p []byte) (int, error) {
	all.mu.Lock()
	all.b.Write(p)
	all.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var all struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// AllLogs returns everything written to any Log in this process.
func AllLogs() string {
	all.mu.Lock()
	defer all.mu.Unlock()
	return all.b.String()
}
