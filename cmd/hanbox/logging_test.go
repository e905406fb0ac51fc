package main

import (
	"bufio"
	"encoding/json"
	"log"
	"log/slog"
	"os"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/server"
)

// TestDefaultLoggerFollowsConfig: after start-up's logging set-up, what
// discordgo and the standard log package write comes out in the configured
// format, at the configured level.
func TestDefaultLoggerFollowsConfig(t *testing.T) {
	prev, prevErr := slog.Default(), os.Stderr
	defer func() { slog.SetDefault(prev); os.Stderr = prevErr }()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = w
	setupLogging(server.Config{LogFormat: "json", LogLevel: "warn"})
	os.Stderr = prevErr
	discordgo.Logger(discordgo.LogInformational, 0, "connected to %s", "gateway") // below the level
	discordgo.Logger(discordgo.LogWarning, 0, "gateway %s", "closed")
	log.Print("from the log package")
	w.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	if len(lines) != 1 || lines[0]["msg"] != "discordgo: gateway closed" || lines[0]["level"] != "WARN" {
		t.Fatalf("lines %v, want only discordgo's warning as JSON (info and the log package are below warn)", lines)
	}
}
