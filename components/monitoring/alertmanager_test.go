package monitoring

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testAlertmanagerSettings() AlertmanagerSettings {
	return AlertmanagerSettings{
		PagerDutyRoutingKey: placeholderRoutingKey,
		SlackWebhookURL:     placeholderSlackWebhook,
		SlackChannel:        "#novacron-alerts",
		WebhookURL:          "https://alerts.novacron.invalid/hook",
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

	// Grouping and timing of the root route.
	root := dispatch.NewRoute(cfg.Route, nil)
	assert.Equal(t, ReceiverWebhook, root.RouteOpts.Receiver)
	assert.Equal(t, map[model.LabelName]struct{}{"alertname": {}}, root.RouteOpts.GroupBy)
	assert.Equal(t, 30*time.Second, root.RouteOpts.GroupWait)
	assert.Equal(t, 5*time.Minute, root.RouteOpts.GroupInterval)
	assert.Equal(t, 4*time.Hour, root.RouteOpts.RepeatInterval)

	tests := []struct {
		name   string
		labels model.LabelSet
		want   string
	}{
		{"critical pages", model.LabelSet{"alertname": AlertErrorBudgetFastBurn, "severity": "critical"}, ReceiverPagerDuty},
		{"warning posts to slack", model.LabelSet{"alertname": AlertAPILatencyHigh, "severity": "warning"}, ReceiverSlack},
		{"info goes to the webhook", model.LabelSet{"alertname": "KubeQuotaAlmostFull", "severity": "info"}, ReceiverWebhook},
		{"no severity goes to the webhook", model.LabelSet{"alertname": "Unlabelled"}, ReceiverWebhook},
		{"falco's Critical is not ours", model.LabelSet{"alertname": "Falco", "severity": "Critical"}, ReceiverWebhook},
		{"watchdog heartbeat is swallowed", model.LabelSet{"alertname": "Watchdog", "severity": "none"}, ReceiverNull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matches := root.Match(tt.labels)
			require.Len(t, matches, 1, "exactly one receiver")
			assert.Equal(t, tt.want, matches[0].RouteOpts.Receiver)
			// Child routes inherit the root's grouping and timing.
			assert.Equal(t, 4*time.Hour, matches[0].RouteOpts.RepeatInterval)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testAlertmanagerSettings()
			tt.mutate(&s)
			_, err := AlertmanagerConfig(s)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			for _, p := range placeholders {
				assert.NotContains(t, err.Error(), p)
			}
			assert.False(t, strings.Contains(err.Error(), "hooks.invalid"), "error quotes the URL")
		})
	}
}
