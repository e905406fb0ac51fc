package discord

import (
	"fmt"
	"testing"
	"time"

	"github.com/hanbox/hanbox/store"
)

// BenchmarkGatewayIngest measures customer messages per second from the
// fake gateway to committed rows (SQLite), one DM conversation per 10
// messages, through the whole runtime.
func BenchmarkGatewayIngest(b *testing.B) {
	env, f, _ := setup(b, store.SQLite, nil)
	b.ResetTimer()
	for i := range b.N {
		dm := fmt.Sprintf("96%016d", i/10)
		f.dispatch("MESSAGE_CREATE", userMessage(snowflake(i), dm, "", fmt.Sprintf("71%016d", i/10), "user", fmt.Sprintf("질문 %d: 배송 언제 되나요?", i)))
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var n int64
		env.Store.DB.Model(&store.Message{}).Count(&n)
		if n >= int64(b.N) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("stored %d of %d", n, b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
