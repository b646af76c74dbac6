package measure

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ProcMem is a process's resident memory in KiB, from /proc/PID/status.
type ProcMem struct {
	RSSKiB int64 // VmRSS: now
	HWMKiB int64 // VmHWM: the peak so far
}

// ReadProcMem reads process pid's resident memory (Linux only).
func ReadProcMem(pid int) (ProcMem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcMem{}, err
	}
	defer f.Close()
	return ParseProcStatus(f)
}

// ParseProcStatus extracts VmRSS and VmHWM from a /proc/PID/status file.
func ParseProcStatus(r io.Reader) (ProcMem, error) {
	var m ProcMem
	var rss, hwm bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		var dst *int64
		switch {
		case !ok:
			continue
		case key == "VmRSS":
			dst, rss = &m.RSSKiB, true
		case key == "VmHWM":
			dst, hwm = &m.HWMKiB, true
		default:
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return ProcMem{}, fmt.Errorf("unexpected %s line %q", key, sc.Text())
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return ProcMem{}, fmt.Errorf("%s: %v", key, err)
		}
		*dst = n
	}
	if err := sc.Err(); err != nil {
		return ProcMem{}, err
	}
	if !rss || !hwm {
		return ProcMem{}, errors.New("no VmRSS and VmHWM in the status file (a kernel thread, or not Linux?)")
	}
	return m, nil
}
