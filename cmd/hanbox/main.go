// Command hanbox runs the Hanbox support inbox.
//
//	hanbox [serve]                      serve the web inbox, API and channels (default)
//	hanbox migrate                      apply database migrations and exit
//	hanbox admin create EMAIL [NAME]    add an admin (password from HANBOX_ADMIN_PASSWORD or generated)
//	hanbox admin reset-password EMAIL   set a new password (HANBOX_ADMIN_PASSWORD or generated)
//	hanbox version                      print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/hanbox/hanbox/audit"
	"github.com/hanbox/hanbox/auth"
	_ "github.com/hanbox/hanbox/connectors/all"
	"github.com/hanbox/hanbox/server"
	"github.com/hanbox/hanbox/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hanbox:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve":
		return serve(ctx, args)
	case "migrate":
		return migrate(ctx, args)
	case "admin":
		return admin(ctx, args)
	case "version":
		fmt.Println(server.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Println("usage: hanbox [serve|migrate|admin create EMAIL [NAME]|admin reset-password EMAIL|version] [flags]")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, admin, version)", cmd)
}

func serve(ctx context.Context, args []string) error {
	cfg, err := server.LoadConfig(flag.NewFlagSet("serve", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	setupLogging(cfg)
	srv, err := server.New(ctx, cfg, mounts()...)
	if err != nil {
		return err
	}
	// Close runs after Run has stopped everything that uses the store.
	defer srv.Close()
	log := srv.Log
	created, generated, err := auth.EnsureAdmin(ctx, srv.Store, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if created {
		email := cfg.AdminEmail
		if email == "" {
			email = "admin@localhost"
		}
		if generated != "" {
			// Printed once, to the terminal only: it is not stored anywhere in clear.
			fmt.Fprintf(os.Stderr, "\n  First start: admin account created.\n  Sign in at %s/login\n  email:    %s\n  password: %s\n  (change it after signing in)\n\n", cfg.BaseURL, email, generated)
		} else {
			log.Info("first admin created", "email", email)
		}
	}
	dialect := srv.Store.Dialect
	log.Info("hanbox serving", "addr", ln.Addr().String(), "url", cfg.BaseURL, "store", dialect, "data", cfg.DataDir, "version", server.Version)
	err = srv.Run(ctx, ln)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("hanbox stopped", "err", err)
	return err
}

// setupLogging makes the configured logger the default, so libraries that
// log through it (discordgo's hook, the standard log package) follow
// HANBOX_LOG_FORMAT and HANBOX_LOG_LEVEL too.
func setupLogging(cfg server.Config) {
	slog.SetDefault(cfg.Logger())
}

func migrate(ctx context.Context, args []string) error {
	cfg, err := server.LoadConfig(flag.NewFlagSet("migrate", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.AppliedVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("schema at version %d (%s)\n", v, st.Dialect)
	return nil
}

// auditVia names the command line in the audit log's user agent column.
const auditVia = "hanbox admin (command line)"

func admin(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return errors.New("usage: hanbox admin create EMAIL [NAME] | hanbox admin reset-password EMAIL")
	}
	sub, email := args[0], args[1]
	cfg, err := server.LoadConfig(nil, nil)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL})
	if err != nil {
		return err
	}
	defer st.Close()
	rec := audit.New(st, audit.Options{})
	password := cfg.AdminPassword
	if password == "" {
		password = auth.GeneratePassword()
		defer fmt.Printf("password: %s\n", password)
	}
	switch sub {
	case "create":
		name := "Admin"
		if len(args) > 2 {
			name = args[2]
		}
		if err := auth.CreateAgent(ctx, st, email, name, store.RoleAdmin, password); err != nil {
			return err
		}
		if err := rec.RecordLocal(ctx, auditVia, audit.Entry{Action: "agents.create", TargetType: "agents", ActorEmail: email,
			Changes: map[string]any{"email": email, "name": name, "role": store.RoleAdmin}}); err != nil {
			return err
		}
		fmt.Printf("admin %s created\n", email)
		return nil
	case "reset-password":
		a, err := st.GetAgentByEmail(ctx, auth.NormalizeEmail(email))
		if err != nil {
			return fmt.Errorf("no agent %s: %w", email, err)
		}
		if err := auth.New(st).ResetPassword(ctx, a.ID, password); err != nil {
			return err
		}
		if err := rec.RecordLocal(ctx, auditVia, audit.Entry{Action: audit.ActionPasswordReset, TargetType: "agents", TargetID: a.ID, ActorEmail: a.Email}); err != nil {
			return err
		}
		fmt.Printf("password of %s reset; sessions and API tokens ended\n", email)
		return nil
	}
	return fmt.Errorf("unknown admin command %q", sub)
}
