// Package server assembles Hanbox: configuration, store, inbox, connector
// runtime, outbox dispatcher, REST API, web UI and operational endpoints.
// cmd/hanbox only parses the command line and calls it; tests build the same
// server on loopback.
package server

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/web"
)

// Config is Hanbox's configuration, from HANBOX_* environment variables
// (secrets also from HANBOX_*_FILE) and flags. It is validated once at start
// and passed explicitly.
type Config struct {
	Addr          string // HANBOX_ADDR, default 127.0.0.1:8080
	DataDir       string // HANBOX_DATA, default ./data
	DatabaseURL   string // HANBOX_DATABASE_URL: PostgreSQL DSN; empty = SQLite
	BaseURL       string // HANBOX_BASE_URL: public URL, default http://<addr>
	AdminEmail    string // HANBOX_ADMIN_EMAIL: first admin
	AdminPassword string // HANBOX_ADMIN_PASSWORD: first admin's password; generated when empty
	LogLevel      string // HANBOX_LOG_LEVEL: debug, info, warn, error
	LogFormat     string // HANBOX_LOG_FORMAT: text or json
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (HANBOX_TRUSTED_PROXIES: addresses or CIDRs; empty trusts
	// none, so the peer address is the client).
	TrustedProxies string
	// DatabaseWait is how long start-up keeps trying to reach an
	// unavailable PostgreSQL server (HANBOX_DATABASE_WAIT, default 2m; 0
	// tries once).
	DatabaseWait time.Duration
	// ShutdownTimeout bounds each step of a graceful stop: in-flight
	// requests, deliveries and event handlers get this long to finish
	// (HANBOX_SHUTDOWN_TIMEOUT, default 15s).
	ShutdownTimeout time.Duration
	// ContactFallback is the word saved replies put for {{contact.name}}
	// when the customer gave no name (an anonymous visitor):
	// HANBOX_CONTACT_FALLBACK, default "고객" ("{{contact.name}}님" reads
	// "고객님").
	ContactFallback string
	// AwayAfter is how long an online agent may have no web inbox open
	// before their availability becomes away (HANBOX_AWAY_AFTER, default
	// 10m).
	AwayAfter time.Duration
	// ImportMaxRows caps the data rows of one contact CSV import
	// (HANBOX_IMPORT_MAX_ROWS, default 200000).
	ImportMaxRows int
	// AuditRetention is how long audit entries are kept; a daily job
	// deletes older ones (HANBOX_AUDIT_RETENTION, a Go duration, default
	// 8760h = 365 days; 0 keeps them for ever).
	AuditRetention time.Duration
	// AllowPrivateWebhooks lets rule and event webhooks reach loopback,
	// private and link-local addresses (a receiver on this host or LAN;
	// tests): HANBOX_WEBHOOK_ALLOW_PRIVATE=true. Off, such targets are
	// refused (see package egress).
	AllowPrivateWebhooks bool
}

// envOrFile reads name, or the file named by name_FILE.
func envOrFile(name string) (string, error) {
	if p := os.Getenv(name + "_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("config: read %s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(name), nil
}

// envDuration reads a Go duration ("90s", "2m") from name, or def when unset.
func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("config: %s %q: %w", name, v, err)
	}
	return d, nil
}

// envInt reads a whole number from name, or def when unset.
func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("config: %s %q: %w", name, v, err)
	}
	return n, nil
}

func envDefault(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// LoadConfig reads the environment, then lets flags in fs override it.
func LoadConfig(fs *flag.FlagSet, args []string) (Config, error) {
	var c Config
	var err error
	c.Addr = envDefault("HANBOX_ADDR", "127.0.0.1:8080")
	c.DataDir = envDefault("HANBOX_DATA", "./data")
	c.BaseURL = os.Getenv("HANBOX_BASE_URL")
	c.AdminEmail = os.Getenv("HANBOX_ADMIN_EMAIL")
	c.LogLevel = envDefault("HANBOX_LOG_LEVEL", "info")
	c.LogFormat = envDefault("HANBOX_LOG_FORMAT", "text")
	c.ContactFallback = envDefault("HANBOX_CONTACT_FALLBACK", "고객")
	c.TrustedProxies = os.Getenv("HANBOX_TRUSTED_PROXIES")
	if c.DatabaseURL, err = envOrFile("HANBOX_DATABASE_URL"); err != nil {
		return c, err
	}
	if c.AdminPassword, err = envOrFile("HANBOX_ADMIN_PASSWORD"); err != nil {
		return c, err
	}
	if c.DatabaseWait, err = envDuration("HANBOX_DATABASE_WAIT", 2*time.Minute); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = envDuration("HANBOX_SHUTDOWN_TIMEOUT", 15*time.Second); err != nil {
		return c, err
	}
	if c.AwayAfter, err = envDuration("HANBOX_AWAY_AFTER", 10*time.Minute); err != nil {
		return c, err
	}
	if c.AuditRetention, err = envDuration("HANBOX_AUDIT_RETENTION", audit.DefaultRetention); err != nil {
		return c, err
	}
	if c.ImportMaxRows, err = envInt("HANBOX_IMPORT_MAX_ROWS", 200_000); err != nil {
		return c, err
	}
	switch v := envDefault("HANBOX_WEBHOOK_ALLOW_PRIVATE", "false"); v {
	case "true", "1", "yes":
		c.AllowPrivateWebhooks = true
	case "false", "0", "no":
	default:
		return c, fmt.Errorf("config: HANBOX_WEBHOOK_ALLOW_PRIVATE=%q: want true or false", v)
	}
	if fs != nil {
		fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit entries are kept; 0 keeps them for ever (HANBOX_AUDIT_RETENTION)")
		fs.IntVar(&c.ImportMaxRows, "import-max-rows", c.ImportMaxRows, "most data rows of one contact CSV import (HANBOX_IMPORT_MAX_ROWS)")
		fs.BoolVar(&c.AllowPrivateWebhooks, "webhook-allow-private", c.AllowPrivateWebhooks, "let webhooks reach loopback and private addresses (HANBOX_WEBHOOK_ALLOW_PRIVATE)")
		fs.DurationVar(&c.AwayAfter, "away-after", c.AwayAfter, "an online agent with no open inbox this long becomes away (HANBOX_AWAY_AFTER)")
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (HANBOX_ADDR)")
		fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (HANBOX_DATA)")
		fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL DSN; empty uses SQLite (HANBOX_DATABASE_URL)")
		fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL (HANBOX_BASE_URL)")
		fs.StringVar(&c.ContactFallback, "contact-fallback", c.ContactFallback, "word for {{contact.name}} when a customer gave no name (HANBOX_CONTACT_FALLBACK)")
		fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "reverse proxies whose X-Forwarded-For is believed (HANBOX_TRUSTED_PROXIES)")
		fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (HANBOX_LOG_LEVEL)")
		fs.DurationVar(&c.DatabaseWait, "database-wait", c.DatabaseWait, "how long to retry an unreachable database at start (HANBOX_DATABASE_WAIT)")
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "time for in-flight work at stop (HANBOX_SHUTDOWN_TIMEOUT)")
		if err := fs.Parse(args); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("config: HANBOX_ADDR %q: %w", c.Addr, err)
	}
	if c.DataDir == "" {
		return errors.New("config: HANBOX_DATA is empty")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.Contains(c.DatabaseURL, "=") {
		return errors.New("config: HANBOX_DATABASE_URL must be a PostgreSQL URL or key=value DSN")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.DatabaseWait < 0 || c.ShutdownTimeout < 0 {
		return errors.New("config: HANBOX_DATABASE_WAIT and HANBOX_SHUTDOWN_TIMEOUT must not be negative")
	}
	if c.AwayAfter < 0 {
		return errors.New("config: HANBOX_AWAY_AFTER must not be negative")
	}
	if c.AuditRetention < 0 {
		return errors.New("config: HANBOX_AUDIT_RETENTION must not be negative")
	}
	if c.ImportMaxRows < 0 {
		return errors.New("config: HANBOX_IMPORT_MAX_ROWS must not be negative")
	}
	if c.AwayAfter == 0 {
		c.AwayAfter = 10 * time.Minute
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if _, err := web.ParsePrefixes(c.TrustedProxies); err != nil {
		return fmt.Errorf("config: HANBOX_TRUSTED_PROXIES: %w", err)
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("config: HANBOX_LOG_FORMAT %q: use text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: HANBOX_LOG_LEVEL %q: use debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// Logger returns the configured slog logger.
func (c Config) Logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
