package monitoring

import (
	"regexp"

	"github.com/novacron/platform/internal/validate"
)

// Slack channel forms Alertmanager's slack_configs channel accepts and Slack can deliver to:
//   - "#name": Slack channel names "can only contain lowercase letters, numbers, hyphens, and
//     underscores, and must be 80 characters or less" (Slack API, conversations.create, name;
//     Slack Help Center, "Create a channel"); no spaces, periods or capitals;
//   - a channel ID: C (public) or G (private) and 8 to 15 more upper-case letters or digits
//     (Slack API, "Conversation IDs"; the SlackChannel type of the AWS APIs that post to Slack
//     uses [CGD][A-Z0-9]+, 8 to 16 characters, D being a direct message).
var (
	slackChannelName = regexp.MustCompile(`^#[a-z0-9_-]{1,80}$`)
	slackChannelID   = regexp.MustCompile(`^[CG][A-Z0-9]{8,15}$`)
)

// checkSlackChannel records a problem unless channel is a "#name" Slack accepts or a channel ID.
func checkSlackChannel(p *validate.Problems, field, channel string) {
	if slackChannelName.MatchString(channel) || slackChannelID.MatchString(channel) {
		return
	}
	p.Addf(field, "must be a Slack channel: \"#\" and up to 80 lowercase letters, digits, '-' or '_' "+
		"(no spaces, periods or capitals), or a channel ID such as C0123456789, got %q", channel)
}
