package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// The server versions, as pinned in servers/go.mod. The API server is the newest minor that
// the module proxy serves as a whole module and that EKS offers (see cluster.DefaultKubernetesVersion).
const (
	KubernetesVersion = "v1.35.4"
	EtcdVersion       = "v3.6.16"
)

// BinDirEnv names a directory that already holds kube-apiserver and etcd, for a machine that
// builds them some other way. Unset: the user cache directory, per version.
const BinDirEnv = "NOVACRON_KUBETEST_BIN"

// Binaries are the paths of the two server executables.
type Binaries struct {
	APIServer string
	Etcd      string
}

// binDir is where the binaries of these versions live.
func binDir() (string, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		return dir, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		var err error
		if cache, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("kubetest: no cache directory for the server binaries: %w", err)
		}
	}
	return filepath.Join(cache, "novacron-platform", "kubetest",
		"kubernetes-"+KubernetesVersion+"-etcd-"+EtcdVersion), nil
}

// EnsureBinaries returns the server binaries, building them first when the cache lacks them.
// Concurrent callers (test binaries of several packages) wait for one build under a file lock.
// logf reports the build, which takes minutes when cold.
func EnsureBinaries(ctx context.Context, logf func(format string, args ...any)) (Binaries, error) {
	dir, err := binDir()
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	if bins.present() {
		return bins, nil
	}
	if os.Getenv(BinDirEnv) != "" {
		return Binaries{}, fmt.Errorf("kubetest: %s=%s holds no kube-apiserver and etcd", BinDirEnv, dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Binaries{}, fmt.Errorf("kubetest: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return Binaries{}, fmt.Errorf("kubetest: %w", err)
	}
	defer func() { _ = lock.Close() }()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Binaries{}, fmt.Errorf("kubetest: lock %s: %w", lock.Name(), err)
	}
	if bins.present() { // another process built them while this one waited
		return bins, nil
	}
	src, err := serversModule()
	if err != nil {
		return Binaries{}, err
	}
	// Build into a scratch directory and move into place, so that an interrupted build never
	// leaves a half-written binary that a later run would take for a finished one.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return Binaries{}, fmt.Errorf("kubetest: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	logf("kubetest: building kube-apiserver %s and etcd %s into %s (about 8 minutes cold)", KubernetesVersion, EtcdVersion, dir)
	start := time.Now()
	//nolint:gosec // G204: a fixed build of the pinned servers module; only the output folder varies
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", tmp+string(filepath.Separator),
		"k8s.io/kubernetes/cmd/kube-apiserver", "./etcd")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return Binaries{}, fmt.Errorf("kubetest: building the servers in %s: %w\n%s", src, err, out)
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			return Binaries{}, fmt.Errorf("kubetest: %w", err)
		}
	}
	logf("kubetest: built the servers in %s", time.Since(start).Round(time.Second))
	return bins, nil
}

func (b Binaries) present() bool {
	for _, p := range []string{b.APIServer, b.Etcd} {
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// serversModule finds servers/ beside this file: the binaries are built from source that is
// part of the repository, never downloaded prebuilt. Under -trimpath the file's path is not
// absolute; the module is then found above the working directory, where go test runs.
func serversModule() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "servers"))
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, "internal", "kubetest", "servers"))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("kubetest: cannot find the servers module (internal/kubetest/servers)")
}
