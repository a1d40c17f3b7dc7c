package monitoring

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Receiver names in the generated Alertmanager configuration.
const (
	ReceiverPagerDuty = "pagerduty"
	ReceiverSlack     = "slack"
	ReceiverWebhook   = "webhook"
	// ReceiverHeartbeat is the dead-man's switch: it receives kube-prometheus-stack's
	// always-firing Watchdog alert every heartbeat interval, and the service behind the URL pages
	// when the pings stop, that is when Prometheus, Alertmanager or the path between them is down.
	ReceiverHeartbeat = "heartbeat"
	// ReceiverNull swallows the chart's InfoInhibitor helper alert, as the chart's own default
	// configuration does.
	ReceiverNull = "null"
)

// AlertWatchdog is kube-prometheus-stack's always-firing alert (its general.rules group).
const AlertWatchdog = "Watchdog"

// AlertmanagerSettings are the inputs of AlertmanagerConfig. PagerDutyRoutingKey,
// SlackWebhookURL and HeartbeatURL are secrets.
type AlertmanagerSettings struct {
	// PagerDutyRoutingKey is the PagerDuty Events API v2 integration (routing) key.
	PagerDutyRoutingKey string
	// SlackWebhookURL is the Slack incoming webhook URL.
	SlackWebhookURL string
	// SlackChannel is the channel warnings are posted to ("#novacron-alerts").
	SlackChannel string
	// WebhookURL receives every alert that is neither critical nor warning.
	WebhookURL string
	// HeartbeatURL receives the Watchdog heartbeat (https).
	HeartbeatURL string
	// HeartbeatInterval is how often the heartbeat is sent (Alertmanager duration, "1m").
	HeartbeatInterval string
}

// AlertmanagerConfig renders the Alertmanager configuration (alertmanager.yaml): alerts are
// grouped by alertname (group_wait 30s, group_interval 5m, repeat_interval 4h); Watchdog goes
// to the heartbeat receiver every HeartbeatInterval, NovaCronWarningEscalated and
// severity=critical to PagerDuty, severity=warning to Slack and everything else to the webhook
// receiver. The result contains the secrets: it belongs in a Kubernetes Secret only.
func AlertmanagerConfig(s AlertmanagerSettings) (string, error) {
	var errs []error
	if strings.TrimSpace(s.PagerDutyRoutingKey) == "" {
		errs = append(errs, errors.New("pagerDutyRoutingKey must not be empty"))
	}
	if err := checkURL(s.SlackWebhookURL, "https"); err != nil {
		errs = append(errs, fmt.Errorf("slackWebhookUrl %w", err))
	}
	if strings.TrimSpace(s.SlackChannel) == "" {
		errs = append(errs, errors.New("slackChannel must not be empty"))
	}
	if s.WebhookURL != "" {
		if err := checkURL(s.WebhookURL, "http", "https"); err != nil {
			errs = append(errs, fmt.Errorf("webhookUrl %w", err))
		}
	}
	if err := checkURL(s.HeartbeatURL, "https"); err != nil {
		errs = append(errs, fmt.Errorf("heartbeatUrl %w", err))
	}
	heartbeat, err := model.ParseDuration(s.HeartbeatInterval)
	if err != nil || heartbeat <= 0 {
		errs = append(errs, fmt.Errorf("heartbeatInterval must be a positive duration such as 1m, got %q", s.HeartbeatInterval))
	}
	if len(errs) > 0 {
		// The error never quotes a secret.
		return "", fmt.Errorf("alertmanager configuration: %w", errors.Join(errs...))
	}

	cfg := amConfig{
		Global: map[string]string{"resolve_timeout": "5m"},
		Route: amRoute{
			Receiver:       ReceiverWebhook,
			GroupBy:        []string{"alertname"},
			GroupWait:      "30s",
			GroupInterval:  "5m",
			RepeatInterval: "4h",
			Routes: []amRoute{
				// Sent at once and then at every flush, one interval apart: the heartbeat
				// service's grace period only has to cover one interval. A flush re-sends an
				// unchanged group only if the last send was logged more than repeat_interval
				// before the flush's tick (alertmanager v0.35.0 notify/dedup_stage.go), and a
				// send is logged after it completes, a little after its tick: with
				// repeat_interval equal to group_interval every other flush would be skipped
				// and the pings would come at twice the interval. Half the interval leaves
				// the send that much time.
				{
					Receiver:       ReceiverHeartbeat,
					Matchers:       []string{`alertname="` + AlertWatchdog + `"`},
					GroupWait:      "0s",
					GroupInterval:  s.HeartbeatInterval,
					RepeatInterval: (heartbeat / 2).String(),
				},
				{Receiver: ReceiverNull, Matchers: []string{`alertname="InfoInhibitor"`}},
				// One incident per escalated warning, not one for all of them.
				{
					Receiver: ReceiverPagerDuty,
					Matchers: []string{`alertname="` + AlertWarningEscalated + `"`},
					GroupBy:  []string{"alertname", EscalatedAlertnameLabel},
				},
				{Receiver: ReceiverPagerDuty, Matchers: []string{`severity="` + SeverityCritical + `"`}},
				{Receiver: ReceiverSlack, Matchers: []string{`severity="` + SeverityWarning + `"`}},
			},
		},
		// A critical alert silences the warning of the same name while it fires, so one
		// problem does not page and post at once. NovaCronWarningEscalated is critical and never
		// a target; as a source it only matches warnings named NovaCronWarningEscalated, which
		// do not exist, so the warning it escalates keeps posting to Slack too.
		InhibitRules: []amInhibitRule{{
			SourceMatchers: []string{`severity="` + SeverityCritical + `"`},
			TargetMatchers: []string{`severity="` + SeverityWarning + `"`},
			Equal:          []string{"alertname"},
		}},
		Receivers: []amReceiver{
			{Name: ReceiverNull},
			{Name: ReceiverHeartbeat, WebhookConfigs: []map[string]any{{
				"url": s.HeartbeatURL,
				// A resolved Watchdog means Prometheus stopped sending it: no ping is the signal.
				"send_resolved": false,
			}}},
			{Name: ReceiverPagerDuty, PagerDutyConfigs: []map[string]any{{
				"routing_key":   s.PagerDutyRoutingKey,
				"send_resolved": true,
			}}},
			{Name: ReceiverSlack, SlackConfigs: []map[string]any{{
				"api_url":       s.SlackWebhookURL,
				"channel":       s.SlackChannel,
				"send_resolved": true,
				"title":         `[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}`,
				"text":          `{{ range .Alerts }}{{ .Annotations.summary }}{{ "\n" }}{{ end }}`,
			}}},
			{Name: ReceiverWebhook},
		},
	}
	// Without a URL the catch-all receiver has no integration: such alerts stay visible in
	// Alertmanager and Grafana but are not delivered anywhere.
	if s.WebhookURL != "" {
		cfg.Receivers[len(cfg.Receivers)-1].WebhookConfigs = []map[string]any{{
			"url":           s.WebhookURL,
			"send_resolved": true,
		}}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("alertmanager configuration: %w", err)
	}
	return string(out), nil
}

type amConfig struct {
	Global       map[string]string `yaml:"global"`
	Route        amRoute           `yaml:"route"`
	InhibitRules []amInhibitRule   `yaml:"inhibit_rules"`
	Receivers    []amReceiver      `yaml:"receivers"`
}

type amRoute struct {
	Receiver       string    `yaml:"receiver"`
	GroupBy        []string  `yaml:"group_by,omitempty"`
	GroupWait      string    `yaml:"group_wait,omitempty"`
	GroupInterval  string    `yaml:"group_interval,omitempty"`
	RepeatInterval string    `yaml:"repeat_interval,omitempty"`
	Matchers       []string  `yaml:"matchers,omitempty"`
	Routes         []amRoute `yaml:"routes,omitempty"`
}

type amInhibitRule struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

type amReceiver struct {
	Name             string           `yaml:"name"`
	PagerDutyConfigs []map[string]any `yaml:"pagerduty_configs,omitempty"`
	SlackConfigs     []map[string]any `yaml:"slack_configs,omitempty"`
	WebhookConfigs   []map[string]any `yaml:"webhook_configs,omitempty"`
}

// checkURL reports whether raw is an absolute URL with one of schemes; the message never
// repeats raw, which may be a secret.
func checkURL(raw string, schemes ...string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return fmt.Errorf("must be an absolute %s URL", strings.Join(schemes, " or "))
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("must be an absolute %s URL", strings.Join(schemes, " or "))
}
