package inbox

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the inbox's Prometheus instruments. A nil *Metrics records nothing.
type Metrics struct {
	Ingested       *prometheus.CounterVec
	IngestLatency  prometheus.Histogram
	Delivered      *prometheus.CounterVec
	Quarantined    prometheus.Counter
	OutboxAttempts prometheus.Counter
	Consumed       *prometheus.CounterVec
}

// NewMetrics creates and registers the inbox metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hanbox_ingest_total", Help: "Inbound messages by result (stored, duplicate, invalid, error).",
		}, []string{"result"}),
		IngestLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hanbox_ingest_seconds", Help: "Time to ingest one inbound message.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hanbox_outbox_deliveries_total", Help: "Outbox deliveries by purpose and result (sent, retry, failed, rerouted).",
		}, []string{"purpose", "result"}),
		Quarantined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hanbox_quarantined_total", Help: "Inbound input kept in quarantine.",
		}),
		OutboxAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hanbox_outbox_attempts_total", Help: "Delivery attempts made by the dispatcher.",
		}),
		Consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hanbox_event_handler_results_total", Help: "Durable event handler outcomes by consumer (done after a retry, retry, parked).",
		}, []string{"consumer", "result"}),
	}
	reg.MustRegister(m.Ingested, m.IngestLatency, m.Delivered, m.Quarantined, m.OutboxAttempts, m.Consumed)
	return m
}

func (m *Metrics) ingest(result string, start time.Time) {
	if m == nil {
		return
	}
	m.Ingested.WithLabelValues(result).Inc()
	m.IngestLatency.Observe(time.Since(start).Seconds())
}

func (m *Metrics) delivered(purpose, result string) {
	if m == nil {
		return
	}
	m.Delivered.WithLabelValues(purpose, result).Inc()
}

func (m *Metrics) attempt() {
	if m == nil {
		return
	}
	m.OutboxAttempts.Inc()
}

func (m *Metrics) quarantined() {
	if m == nil {
		return
	}
	m.Quarantined.Inc()
}

func (m *Metrics) consumed(consumer, result string) {
	if m == nil {
		return
	}
	m.Consumed.WithLabelValues(consumer, result).Inc()
}
