package idpsim

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// procMem is a process's resident memory from /proc/PID/status, in KiB.
type procMem struct {
	hwmKiB int64 // VmHWM: peak resident set size
	rssKiB int64 // VmRSS: current resident set size
}

// readProcMem reads the memory of process pid (Linux only).
func readProcMem(pid int) (*procMem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcStatus(f)
}

// parseProcStatus extracts VmHWM and VmRSS from a /proc/PID/status file.
func parseProcStatus(r io.Reader) (*procMem, error) {
	var m procMem
	var hwm, rss bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return nil, fmt.Errorf("unexpected %s line %q", key, sc.Text())
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", key, err)
		}
		if key == "VmHWM" {
			m.hwmKiB, hwm = n, true
		} else {
			m.rssKiB, rss = n, true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !hwm || !rss {
		return nil, fmt.Errorf("no VmHWM/VmRSS in the status file (a kernel thread, or not Linux?)")
	}
	return &m, nil
}
