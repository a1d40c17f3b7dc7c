package monitoring

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/eventrecorder"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/labelset"
	"github.com/prometheus/alertmanager/nflog"
	"github.com/prometheus/alertmanager/nflog/nflogpb"
	"github.com/prometheus/alertmanager/notify"
	"github.com/prometheus/alertmanager/provider/mem"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func testAlertmanagerSettings() AlertmanagerSettings {
	return AlertmanagerSettings{
		PagerDutyRoutingKey: placeholderRoutingKey,
		SlackWebhookURL:     placeholderSlackWebhook,
		SlackChannel:        "#novacron-alerts",
		WebhookURL:          "https://alerts.novacron.invalid/hook",
		HeartbeatURL:        placeholderHeartbeatURL,
		HeartbeatInterval:   "1m",
	}
}

func loadAlertmanagerConfig(t *testing.T, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Load(doc)
	require.NoError(t, err, "alertmanager rejects the configuration")
	return cfg
}

func TestAlertmanagerConfigWithoutWebhook(t *testing.T) {
	settings := testAlertmanagerSettings()
	settings.WebhookURL = ""
	doc, err := AlertmanagerConfig(settings)
	require.NoError(t, err)
	cfg := loadAlertmanagerConfig(t, doc)
	for _, r := range cfg.Receivers {
		if r.Name == ReceiverWebhook {
			assert.Empty(t, r.WebhookConfigs, "no URL, no delivery: the catch-all receiver stays a sink")
			return
		}
	}
	t.Fatalf("receiver %q is missing", ReceiverWebhook)
}

func TestAlertmanagerConfigLoadsAndRoutes(t *testing.T) {
	doc, err := AlertmanagerConfig(testAlertmanagerSettings())
	require.NoError(t, err)
	cfg := loadAlertmanagerConfig(t, doc)

	// The secrets reach their receivers.
	receivers := map[string]config.Receiver{}
	for _, r := range cfg.Receivers {
		receivers[r.Name] = r
	}
	require.Len(t, receivers[ReceiverPagerDuty].PagerdutyConfigs, 1)
	assert.Equal(t, placeholderRoutingKey, string(receivers[ReceiverPagerDuty].PagerdutyConfigs[0].RoutingKey))
	require.Len(t, receivers[ReceiverSlack].SlackConfigs, 1)
	assert.Equal(t, placeholderSlackWebhook, receivers[ReceiverSlack].SlackConfigs[0].APIURL.URL.String())
	assert.Equal(t, "#novacron-alerts", receivers[ReceiverSlack].SlackConfigs[0].Channel)
	require.Len(t, receivers[ReceiverWebhook].WebhookConfigs, 1)
	assert.Equal(t, "https://alerts.novacron.invalid/hook", string(receivers[ReceiverWebhook].WebhookConfigs[0].URL))
	require.Len(t, receivers[ReceiverHeartbeat].WebhookConfigs, 1)
	heartbeat := receivers[ReceiverHeartbeat].WebhookConfigs[0]
	assert.Equal(t, placeholderHeartbeatURL, string(heartbeat.URL))
	assert.False(t, heartbeat.SendResolved(), "a resolved Watchdog is no heartbeat")
	assert.Empty(t, receivers[ReceiverNull].WebhookConfigs)
	assert.Empty(t, receivers[ReceiverNull].PagerdutyConfigs)

	// Grouping and timing of the root route.
	root := dispatch.NewRoute(cfg.Route, nil)
	assert.Equal(t, ReceiverWebhook, root.RouteOpts.Receiver)
	assert.Equal(t, map[model.LabelName]struct{}{"alertname": {}}, root.RouteOpts.GroupBy)
	assert.Equal(t, 30*time.Second, root.RouteOpts.GroupWait)
	assert.Equal(t, 5*time.Minute, root.RouteOpts.GroupInterval)
	assert.Equal(t, 4*time.Hour, root.RouteOpts.RepeatInterval)

	byName := map[model.LabelName]struct{}{"alertname": {}}
	tests := []struct {
		name   string
		labels model.LabelSet
		want   string
		// Grouping and timing of the matching route; zero values mean the root's.
		groupBy                               map[model.LabelName]struct{}
		groupWait, groupInterval, repeatEvery time.Duration
	}{
		{name: "critical pages", labels: model.LabelSet{"alertname": AlertErrorBudgetFastBurn, "severity": "critical"}, want: ReceiverPagerDuty},
		{name: "warning posts to slack", labels: model.LabelSet{"alertname": AlertAPILatencyHigh, "severity": "warning"}, want: ReceiverSlack},
		{name: "a chart warning posts to slack", labels: model.LabelSet{"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "novacron"}, want: ReceiverSlack},
		{
			name:   "an escalated warning pages, one incident per warning",
			labels: model.LabelSet{"alertname": AlertWarningEscalated, EscalatedAlertnameLabel: AlertAPILatencyHigh, "severity": "critical", "job": "novacron-api"},
			want:   ReceiverPagerDuty, groupBy: map[model.LabelName]struct{}{"alertname": {}, EscalatedAlertnameLabel: {}},
		},
		{name: "info goes to the webhook", labels: model.LabelSet{"alertname": "KubeQuotaAlmostFull", "severity": "info"}, want: ReceiverWebhook},
		{name: "no severity goes to the webhook", labels: model.LabelSet{"alertname": "Unlabelled"}, want: ReceiverWebhook},
		{name: "falco's Critical is not ours", labels: model.LabelSet{"alertname": "Falco", "severity": "Critical"}, want: ReceiverWebhook},
		{
			name:   "the watchdog is the heartbeat, sent at once and every minute",
			labels: model.LabelSet{"alertname": AlertWatchdog, "severity": "none"},
			want:   ReceiverHeartbeat, groupWait: -1, groupInterval: time.Minute, repeatEvery: 30 * time.Second,
		},
		{name: "the info inhibitor is swallowed", labels: model.LabelSet{"alertname": "InfoInhibitor", "severity": "none"}, want: ReceiverNull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matches := root.Match(tt.labels)
			require.Len(t, matches, 1, "exactly one receiver")
			got := matches[0].RouteOpts
			assert.Equal(t, tt.want, got.Receiver)
			want := func(d, root time.Duration) time.Duration {
				switch d {
				case 0:
					return root
				case -1:
					return 0
				}
				return d
			}
			assert.Equal(t, want(tt.groupWait, 30*time.Second), got.GroupWait)
			assert.Equal(t, want(tt.groupInterval, 5*time.Minute), got.GroupInterval)
			assert.Equal(t, want(tt.repeatEvery, 4*time.Hour), got.RepeatInterval)
			if tt.groupBy == nil {
				tt.groupBy = byName
			}
			assert.Equal(t, tt.groupBy, got.GroupBy)
		})
	}

	require.Len(t, cfg.InhibitRules, 1)
	assert.Equal(t, []string{"alertname"}, cfg.InhibitRules[0].Equal)
}

func TestAlertmanagerConfigRejectsBadInputWithoutQuotingSecrets(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*AlertmanagerSettings)
		wantErr string
	}{
		{"missing routing key", func(s *AlertmanagerSettings) { s.PagerDutyRoutingKey = " " }, "pagerDutyRoutingKey must not be empty"},
		{"slack webhook not https", func(s *AlertmanagerSettings) { s.SlackWebhookURL = "http://hooks.invalid/" + placeholderRoutingKey },
			"slackWebhookUrl must be an absolute https URL"},
		{"relative webhook", func(s *AlertmanagerSettings) { s.WebhookURL = "/hook" }, "webhookUrl must be an absolute http or https URL"},
		{"empty channel", func(s *AlertmanagerSettings) { s.SlackChannel = "" }, "slackChannel must not be empty"},
		{"heartbeat over http", func(s *AlertmanagerSettings) {
			s.HeartbeatURL = strings.Replace(placeholderHeartbeatURL, "https://", "http://", 1)
		}, "heartbeatUrl must be an absolute https URL"},
		{"missing heartbeat", func(s *AlertmanagerSettings) { s.HeartbeatURL = "" }, "heartbeatUrl must be an absolute https URL"},
		{"heartbeat interval", func(s *AlertmanagerSettings) { s.HeartbeatInterval = "0s" },
			`heartbeatInterval must be a positive duration such as 1m, got "0s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testAlertmanagerSettings()
			tt.mutate(&s)
			_, err := AlertmanagerConfig(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			for _, p := range append(placeholders, placeholderHeartbeatURL, "PLACEHOLDER-heartbeat") {
				assert.NotContains(t, err.Error(), p)
			}
			assert.False(t, strings.Contains(err.Error(), "hooks.invalid"), "error quotes the URL")
			assert.False(t, strings.Contains(err.Error(), "heartbeat.invalid"), "error quotes the URL")
		})
	}
}

func TestAlertmanagerHeartbeatFollowsItsInterval(t *testing.T) {
	s := testAlertmanagerSettings()
	s.HeartbeatInterval = "5m"
	doc, err := AlertmanagerConfig(s)
	require.NoError(t, err)
	root := dispatch.NewRoute(loadAlertmanagerConfig(t, doc).Route, nil)
	matches := root.Match(model.LabelSet{"alertname": AlertWatchdog, "severity": "none"})
	require.Len(t, matches, 1)
	assert.Equal(t, ReceiverHeartbeat, matches[0].RouteOpts.Receiver)
	assert.Equal(t, time.Duration(0), matches[0].RouteOpts.GroupWait)
	assert.Equal(t, 5*time.Minute, matches[0].RouteOpts.GroupInterval)
	assert.Equal(t, 150*time.Second, matches[0].RouteOpts.RepeatInterval)
}

// TestHeartbeatIsSentAtEveryFlush runs Alertmanager's own deduplication stage over ten flushes
// of the Watchdog group, one HeartbeatInterval apart, each send logged 300 ms after its flush's
// tick as the notification log does: every flush must ping, or the heartbeat service sees gaps
// of twice the interval. The same routes with repeat_interval equal to group_interval ping at
// every other flush, which the control case shows.
func TestHeartbeatIsSentAtEveryFlush(t *testing.T) {
	doc, err := AlertmanagerConfig(testAlertmanagerSettings())
	require.NoError(t, err)
	root := dispatch.NewRoute(loadAlertmanagerConfig(t, doc).Route, nil)
	matches := root.Match(model.LabelSet{"alertname": AlertWatchdog, "severity": "none"})
	require.Len(t, matches, 1)
	opts := matches[0].RouteOpts

	pings := func(groupInterval, repeatInterval time.Duration) int {
		log := &lastEntryLog{}
		stage := notify.NewDedupStage(sendResolved(false), log, &nflogpb.Receiver{GroupName: ReceiverHeartbeat})
		watchdog := &alert.Alert{Alert: model.Alert{
			Labels: model.LabelSet{"alertname": AlertWatchdog, "severity": "none"},
			// Firing: no end (Resolved compares a set end with the wall clock).
			StartsAt: time.Unix(0, 0),
		}}
		sent := 0
		tick := time.Unix(60, 0)
		for range 10 {
			ctx := notify.WithNow(context.Background(), tick)
			ctx = notify.WithGroupKey(ctx, "{}/{alertname=\"Watchdog\"}:{alertname=\"Watchdog\"}")
			ctx = notify.WithRepeatInterval(ctx, repeatInterval)
			ctx, out, err := stage.Exec(ctx, promslog.NewNopLogger(), watchdog)
			require.NoError(t, err)
			if len(out) > 0 {
				sent++
				firing, _ := notify.FiringAlerts(ctx)
				log.entry = &nflogpb.Entry{FiringAlerts: firing, Timestamp: timestamppb.New(tick.Add(300 * time.Millisecond))}
			}
			tick = tick.Add(groupInterval)
		}
		return sent
	}
	assert.Equal(t, 10, pings(opts.GroupInterval, opts.RepeatInterval), "a ping at every flush")
	assert.Equal(t, 5, pings(opts.GroupInterval, opts.GroupInterval), "control: equal intervals skip every other flush")
}

// lastEntryLog is a notification log that keeps the last entry written by the test.
type lastEntryLog struct{ entry *nflogpb.Entry }

func (l *lastEntryLog) Log(*nflogpb.Receiver, string, []uint64, []uint64, []uint64, *nflog.Store, time.Duration) error {
	return nil
}

func (l *lastEntryLog) Query(...nflog.QueryParam) ([]*nflogpb.Entry, error) {
	if l.entry == nil {
		return nil, nflog.ErrNotFound
	}
	return []*nflogpb.Entry{l.entry}, nil
}

type sendResolved bool

func (s sendResolved) SendResolved() bool { return bool(s) }

// mutedBy runs Alertmanager's own inhibitor over the configuration's inhibit rules with active
// alerts and reports, for each label set of check, whether it is muted.
func mutedBy(t *testing.T, cfg *config.Config, active []model.LabelSet, check []model.LabelSet) []bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := mem.NewAlerts(ctx, time.Hour, 0, nil, promslog.NewNopLogger(), eventrecorder.NopRecorder(), nil, nil)
	require.NoError(t, err)
	defer store.Close()
	now := time.Now()
	for _, l := range active {
		require.NoError(t, store.Put(ctx, alert.New(model.Alert{Labels: l, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour)}, now, false)))
	}
	ih := inhibit.NewInhibitor(store, cfg.InhibitRules, promslog.NewNopLogger(), eventrecorder.NopRecorder())
	go ih.Run()
	defer ih.Stop()
	ih.WaitForLoading()
	out := make([]bool, len(check))
	for i, l := range check {
		out[i] = ih.Mutes(ctx, labelset.FromModel(l))
	}
	return out
}

func TestAlertmanagerInhibitionSparesEscalations(t *testing.T) {
	doc, err := AlertmanagerConfig(testAlertmanagerSettings())
	require.NoError(t, err)
	cfg := loadAlertmanagerConfig(t, doc)

	diskCritical := model.LabelSet{"alertname": "NodeFilesystemSpaceFillingUp", "severity": "critical", "instance": "a"}
	diskWarning := model.LabelSet{"alertname": "NodeFilesystemSpaceFillingUp", "severity": "warning", "instance": "a"}
	latency := model.LabelSet{"alertname": AlertAPILatencyHigh, "severity": "warning", "job": "novacron-api"}
	escalated := model.LabelSet{"alertname": AlertWarningEscalated, EscalatedAlertnameLabel: AlertAPILatencyHigh,
		"severity": "critical", "job": "novacron-api"}
	watchdog := model.LabelSet{"alertname": AlertWatchdog, "severity": "none"}

	active := []model.LabelSet{diskCritical, diskWarning, latency, escalated, watchdog}
	got := mutedBy(t, cfg, active, []model.LabelSet{diskWarning, diskCritical, latency, escalated, watchdog})
	assert.Equal(t, []bool{
		true,  // the warning of a problem that pages already
		false, // the page itself
		false, // the escalation does not silence the warning it escalates (no shared alertname)
		false, // and nothing silences the escalation: it is critical, never a target
		false, // nor the heartbeat
	}, got)

	// The check can fail: an inhibit rule keyed on severity alone would swallow every warning.
	cfg.InhibitRules[0].Equal = nil
	got = mutedBy(t, cfg, active, []model.LabelSet{latency})
	assert.Equal(t, []bool{true}, got)
}

// The rendered configuration, with stand-ins for its three secrets, as a reviewable golden file.
func TestAlertmanagerConfigGolden(t *testing.T) {
	doc, err := AlertmanagerConfig(AlertmanagerSettings{
		PagerDutyRoutingKey: "secret:pagerDutyRoutingKey",
		SlackWebhookURL:     "https://secret.invalid/slackWebhookUrl",
		SlackChannel:        "#novacron-alerts",
		WebhookURL:          "https://alerts.novacron.invalid/hook",
		HeartbeatURL:        "https://secret.invalid/heartbeatUrl",
		HeartbeatInterval:   "1m",
	})
	require.NoError(t, err)
	loadAlertmanagerConfig(t, doc)
	assertGoldenYAML(t, "alertmanager.yaml", []byte(doc))
}
