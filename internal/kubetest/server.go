package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running kube-apiserver with its etcd, reachable by a bearer token of a
// system:masters user.
type Server struct {
	// URL is the API server's https address on loopback.
	URL    string
	token  string
	client *http.Client

	mu        sync.Mutex
	discovery map[string][]apiResource // by group/version, filled on first use
}

// Start starts etcd and kube-apiserver for the test and stops them when it ends. It builds the
// binaries first when the cache lacks them. Tests that call it are integration tests: they
// skip under `go test -short`.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("kubetest: starts etcd and kube-apiserver; skipped with -short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	bins, err := EnsureBinaries(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	etcdURL := "http://" + freeAddr(t)
	peerURL := "http://" + freeAddr(t)
	startProcess(ctx, t, dir, "etcd", bins.Etcd,
		"--name=kubetest",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		// Nothing here outlives the test: durability costs time and buys nothing.
		"--unsafe-no-fsync", "--log-level=error")
	waitFor(t, "etcd", func() error {
		resp, err := http.Get(etcdURL + "/health") //nolint:noctx // a loopback probe with its own deadline loop
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})

	token := randomHex(t, 16)
	tokenFile := filepath.Join(dir, "tokens.csv")
	writeFile(t, tokenFile, []byte(token+",kubetest-admin,kubetest-admin,system:masters\n"))
	saKey := filepath.Join(dir, "sa.key")
	saPub := filepath.Join(dir, "sa.pub")
	writeServiceAccountKeys(t, saKey, saPub)
	certDir := filepath.Join(dir, "certs")
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	startProcess(ctx, t, dir, "kube-apiserver", bins.APIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address="+host, "--secure-port="+port, "--cert-dir="+certDir,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		// EKS runs privileged pods (the VPC CNI, Falco's driver); Pod Security decides per namespace.
		"--allow-privileged=true",
		// No controller creates service accounts here, so a pod naming one would be refused for
		// that alone; every other default admission plugin stays on.
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		"--v=0")

	s := &Server{URL: "https://" + addr, token: token}
	waitFor(t, "kube-apiserver", func() error {
		if s.client == nil {
			// The server writes its self-signed serving certificate on start; trust exactly it.
			pemBytes, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pemBytes) {
				return fmt.Errorf("no certificate in %s", certDir)
			}
			s.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			}}
		}
		status, body, err := s.do(ctx, http.MethodGet, "/readyz", "", nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("readyz %d: %s", status, body)
		}
		return nil
	})
	return s
}

// startProcess runs a server until the test ends; its output goes to a log file that the test
// prints when it fails.
func startProcess(ctx context.Context, t testing.TB, dir, name, path string, args ...string) {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("kubetest: start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			if out, err := os.ReadFile(logPath); err == nil {
				t.Logf("kubetest: last lines of %s:\n%s", name, tail(string(out), 40))
			}
		}
	})
}

func waitFor(t testing.TB, what string, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = ready(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kubetest: %s not ready after 90s: %v", what, err)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeServiceAccountKeys writes the key pair the API server signs and checks tokens with.
func writeServiceAccountKeys(t testing.TB, keyPath, pubPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	writeFile(t, pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
