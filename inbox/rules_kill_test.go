package inbox_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hanbox/hanbox/inbox"
	"github.com/hanbox/hanbox/store"
	"github.com/hanbox/hanbox/store/storetest"
)

// TestRuleKilledProcess is the crash tests' real-process form: the rules
// consumer runs in a child process that is killed (SIGKILL) while the
// rule's actions are written but not committed, or after they committed
// but before the consumer recorded its progress. A new process on the same
// database (here: a fresh Service once the dead child's lease has ended)
// runs the rule, and each of its effects is there exactly once.
func TestRuleKilledProcess(t *testing.T) {
	if os.Getenv("HANBOX_RULE_CHILD") != "" {
		ruleKillChild(t)
		return
	}
	for _, d := range storetest.Dialects() {
		for _, stage := range []string{"before_commit", "after_commit"} {
			t.Run(d+"/"+stage, func(t *testing.T) {
				cfg := store.Config{DataDir: t.TempDir()}
				if d == store.Postgres {
					cfg.DatabaseURL = storetest.PostgresDSN(t)
				}
				st, err := store.Open(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				svc, ch := newService(t, st)
				enableRules(t, st, svc)
				r := crashRule(t, svc)
				res, err := svc.Ingest(context.Background(), msg(ch, "kill-1", "kill-t1", "결제가 두 번 됐어요"))
				if err != nil {
					t.Fatal(err)
				}

				cmd := exec.Command(os.Args[0], "-test.run=^TestRuleKilledProcess$")
				cmd.Env = append(os.Environ(), "HANBOX_RULE_CHILD="+stage, "HANBOX_RULE_DIR="+cfg.DataDir, "HANBOX_RULE_DSN="+cfg.DatabaseURL)
				out, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(out)
				mid := false
				for !mid && sc.Scan() {
					mid = sc.Text() == "MID"
				}
				if !mid {
					_ = cmd.Wait()
					t.Fatal("the child never reached the rule's actions")
				}
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				_ = cmd.Wait()

				var runs int64
				st.DB.Model(&store.RuleRun{}).Count(&runs)
				if want := map[string]int64{"before_commit": 0, "after_commit": 1}[stage]; runs != want {
					t.Fatalf("%d rule runs committed by the killed process, want %d", runs, want)
				}
				fresh := inbox.New(st, inbox.Options{})
				enableRules(t, st, fresh)
				runRules(t, st, fresh, nil) // claims the consumer once the dead child's lease ends
				ranOnce(t, st, r.ID, res.TicketID)
			})
		}
	}
}

// ruleKillChild runs the rules consumer with a short lease and stops for
// good at the stage HANBOX_RULE_CHILD names, after saying MID.
func ruleKillChild(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{DataDir: os.Getenv("HANBOX_RULE_DIR"), DatabaseURL: os.Getenv("HANBOX_RULE_DSN")})
	if err != nil {
		t.Fatal(err)
	}
	svc := inbox.New(st, inbox.Options{})
	enableRules(t, st, svc)
	hold := func(_, _ int64) {
		os.Stdout.WriteString("MID\n")
		select {} // hold here until killed
	}
	if os.Getenv("HANBOX_RULE_CHILD") == "before_commit" {
		svc.SetRuleHooks(hold, nil)
	} else {
		svc.SetRuleHooks(nil, hold)
	}
	opts := fastConsume("child-" + strconv.Itoa(os.Getpid()))
	opts.Lease = 3 * time.Second
	_ = svc.RunConsumers(ctx, opts)
}
