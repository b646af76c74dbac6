package idpsim

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// logger writes the provisioning log through a buffer, and owns the
// progress bar so that log lines and the bar never interleave.
type logger struct {
	mu  sync.Mutex
	w   *bufio.Writer
	bar bool // a progress bar may be on screen

	phase  string
	total  atomic.Int64
	done   atomic.Int64
	start  time.Time
	reqs   func() uint64
	shown  bool // the bar is drawn on the current line
	stop   chan struct{}
	closed sync.WaitGroup
}

func newLogger(w io.Writer, bar bool, reqs func() uint64) *logger {
	l := &logger{w: bufio.NewWriterSize(w, 64<<10), bar: bar, reqs: reqs, stop: make(chan struct{})}
	l.closed.Add(1)
	go l.tick()
	return l
}

// tick flushes the log and redraws the bar five times a second.
func (l *logger) tick() {
	defer l.closed.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			l.drawLocked()
			l.w.Flush()
			l.mu.Unlock()
		}
	}
}

// close stops the ticker, clears the bar and flushes.
func (l *logger) close() {
	close(l.stop)
	l.closed.Wait()
	l.mu.Lock()
	l.clearLocked()
	l.w.Flush()
	l.mu.Unlock()
}

func (l *logger) clearLocked() {
	if l.shown {
		l.w.WriteString("\r\033[K")
		l.shown = false
	}
}

func (l *logger) drawLocked() {
	if !l.bar || l.phase == "" {
		return
	}
	total, done := l.total.Load(), l.done.Load()
	const width = 30
	filled := 0
	if total > 0 {
		filled = int(min(done, total) * width / total)
	}
	el := time.Since(l.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(l.reqs()) / el
	}
	l.w.WriteString("\r\033[K")
	fmt.Fprintf(l.w, "[%s%s] %-22s %d/%d  %.0f req/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), l.phase, done, total, rate)
	l.shown = true
}

// setPhase starts a progress phase of total units.
func (l *logger) setPhase(name string, total int) {
	l.mu.Lock()
	if l.start.IsZero() {
		l.start = time.Now()
	}
	l.phase = name
	l.total.Store(int64(total))
	l.done.Store(0)
	l.mu.Unlock()
}

func (l *logger) step() { l.done.Add(1) }

// printf writes one log line.
func (l *logger) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
	fmt.Fprintf(l.w, format, args...)
	l.w.WriteByte('\n')
}

// lines writes several lines at once, so an operation's report stays
// together.
func (l *logger) lines(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clearLocked()
	l.w.WriteString(s)
}
