package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// build compiles the example server and the simulator into dir and returns
// their paths.
func build(ctx context.Context, moduleDir, dir string) (server, sim string, err error) {
	server, sim = filepath.Join(dir, "scim-server"), filepath.Join(dir, "entrasim")
	for _, b := range [][2]string{{server, "./examples/server"}, {sim, "./examples/entrasim"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		cmd.Dir = moduleDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	return server, sim, nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the scimkit module: run from its checkout")
	}
	return filepath.Dir(mod), nil
}

// proc is a running server process: the example server or the bare
// handler.
type proc struct {
	cmd     *exec.Cmd
	URL     string // Tenant URL
	logPath string
	done    chan struct{}
	waitErr error
}

// parseTenantURL returns the URL of a "Tenant URL:" line, as the example
// server prints it, and whether line is one.
func parseTenantURL(line string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Tenant URL:")
	if !ok {
		return "", false
	}
	u := strings.TrimSpace(rest)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", false
	}
	return u, true
}

// startProc starts bin with args, stderr to logPath, and waits for the
// Tenant URL on its standard output.
func startProc(bin string, args []string, logPath string, env []string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			if u, ok := parseTenantURL(sc.Text()); ok && !found {
				found = true
				urls <- u
			}
		}
		close(urls)
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	select {
	case u, ok := <-urls:
		if ok {
			p.URL = u
			return p, nil
		}
	case <-time.After(2 * time.Minute):
	}
	p.stop()
	return nil, fmt.Errorf("%s %s printed no Tenant URL (exit: %v); its log: %s", filepath.Base(bin),
		strings.Join(args, " "), p.waitErr, tail(logPath, 2000))
}

// PID returns the process id.
func (p *proc) PID() int { return p.cmd.Process.Pid }

// stop asks the process to end (SIGTERM) and kills it after 15s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns at most the last n bytes of the file at path.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	off := max(fi.Size()-n, 0)
	b := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
		return err.Error()
	}
	return string(b)
}

// bareFlag is the hidden flag that turns this program into the bare
// handler: it serves the captured response in the named file to every
// request, doing no other work.
const bareFlag = "bare-serve"

// serveBare is the bare handler process: it listens on 127.0.0.1:0, prints
// its Tenant URL like the example server and answers every request with
// the captured headers and body until SIGTERM.
func serveBare(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cs map[string]*captured
	if err := json.Unmarshal(b, &cs); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	h := bareMux(cs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Printf("Tenant URL:   http://%s/scim/v2\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler answers every request with c's headers and body.
func bareHandler(c *captured) http.Handler {
	length := strconv.Itoa(len(c.Body))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range c.Header {
			w.Header()[k] = v
		}
		w.Header()["Content-Length"] = []string{length}
		if c.Status != 0 {
			w.WriteHeader(c.Status)
		}
		w.Write(c.Body)
	})
}
