// Package devdb finds or starts the Postgres that development mode uses:
// DATABASE_URL when set, else the server on 127.0.0.1:5432 when one answers,
// else a throwaway cluster of its own from the Postgres binaries on the
// machine.
package devdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyhq/tally/db"
)

// localURL is the development database on the machine's own server.
const localURL = "postgres://postgres@127.0.0.1:5432/tally?sslmode=disable"

// Cluster is a database ready for development; Stop ends a cluster that
// devdb started and does nothing otherwise.
type Cluster struct {
	URL  string
	Stop func()
}

// Resolve returns a development database, creating it when it does not
// exist yet. dir holds a throwaway cluster when one must be started.
func Resolve(ctx context.Context, url, dir string, log *slog.Logger) (*Cluster, error) {
	if url == "" && answers(ctx, localURL) {
		url = localURL
	}
	if url != "" {
		if err := db.EnsureDatabase(ctx, url); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", redact(url), err)
		}
		return &Cluster{URL: url, Stop: func() {}}, nil
	}
	log.Info("No Postgres on 127.0.0.1:5432; starting a throwaway cluster", "dir", dir)
	return start(ctx, dir, log)
}

func answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return false
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	conn.Close(ctx)
	return true
}

// start runs initdb (once) and then postgres through pg_ctl, in dir, on a
// free loopback port.
func start(ctx context.Context, dir string, log *slog.Logger) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := initCluster(bin, dir, data); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off", port, dir)
	out, err := asOwner(filepath.Join(bin, "pg_ctl"), "-D", data, "-l",
		filepath.Join(dir, "log"), "-w", "-o", opts, "start").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w: %s", err, out)
	}
	stop := func() {
		asOwner(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop").Run()
	}
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/tally?sslmode=disable", port)
	if err := db.EnsureDatabase(ctx, url); err != nil {
		stop()
		return nil, fmt.Errorf("create database: %w", err)
	}
	log.Info("Throwaway Postgres started", "port", port, "dir", dir)
	return &Cluster{URL: url, Stop: stop}, nil
}

// binDir finds the newest Postgres binaries that Debian installs.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no Postgres server binaries found: install the postgresql " +
		"package (apt-get install -y postgresql) or set DATABASE_URL")
}

func initCluster(bin, dir, data string) error {
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := chownToPostgres(dir); err != nil {
		return err
	}
	out, err := asOwner(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "-E", "UTF8").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return nil
}

// asOwner runs a Postgres binary; initdb and postgres refuse root, so as
// root they run as the postgres user.
func asOwner(name string, args ...string) *exec.Cmd {
	if os.Geteuid() != 0 {
		return exec.Command(name, args...)
	}
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
}

func chownToPostgres(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("as root a throwaway cluster needs the postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// redact drops the password from a database URL for messages.
func redact(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "DATABASE_URL"
	}
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}
