package slack

import "github.com/hanbox/hanbox/connectors"

var _ connectors.Describer = (*Channel)(nil)

// Describe implements connectors.Describer.
func (*Channel) Describe() connectors.Description {
	type text = connectors.Text
	return connectors.Description{
		Title:   text{Ko: "Slack", En: "Slack"},
		Summary: text{Ko: "새 티켓을 Slack에 알리고, 스레드에서 답하고, 고객과 함께 쓰는 채널을 티켓으로 만듭니다.", En: "Announces tickets in Slack, answers from threads, and turns shared customer channels into tickets."},
		Badge:   ":slack:",
		Fields: []connectors.Field{
			{Key: "notify_channel", Type: connectors.FieldString, Label: text{Ko: "알림 채널 ID", En: "Notification channel ID"},
				Help: text{Ko: "새 티켓을 알릴 Slack 채널 ID (C0…). 비우면 알리지 않습니다.", En: "Slack channel id (C0…) for new-ticket notifications; empty sends none."}},
			{Key: "notify_filter.channel_ids", Type: connectors.FieldList, Item: connectors.ItemNumber, Label: text{Ko: "알릴 출처 채널", En: "Announce tickets from channels"},
				Help: text{Ko: "이 Hanbox 채널 ID에서 시작한 티켓만 알립니다, 한 줄에 하나. 비우면 모두.", En: "Only tickets whose origin is one of these Hanbox channel ids, one per line; empty: all."}},
			{Key: "notify_filter.tags", Type: connectors.FieldList, Label: text{Ko: "알릴 태그", En: "Announce tickets tagged"},
				Help: text{Ko: "이 태그 중 하나가 붙은 티켓만 알립니다. 비우면 모두.", En: "Only tickets carrying one of these tags; empty: all."}},
			{Key: "customer_channels", Type: connectors.FieldList, Label: text{Ko: "고객 채널 ID", En: "Customer channel IDs"},
				Help: text{Ko: "상담원이 아닌 사람의 메시지를 티켓으로 만들 채널 (Slack Connect 등), 한 줄에 하나.", En: "Channels whose messages from non-agents become tickets (Slack Connect), one per line."}},
			{Key: "note_prefix", Type: connectors.FieldString, Default: DefaultNotePrefix, Label: text{Ko: "메모 머리말", En: "Note prefix"},
				Help: text{Ko: "스레드 답글이 이것으로 시작하면 고객에게 보내지 않고 내부 메모로 남깁니다.", En: "A thread reply starting with it becomes a private note instead of a reply."}},
			{Key: "mode", Type: connectors.FieldSelect, Default: ModeEvents, Label: text{Ko: "받는 방식", En: "Receive by"},
				Help: text{Ko: "이벤트 API는 공개 주소가 필요하고, 소켓 모드는 필요 없습니다 (app_token 필요).", En: "The Events API needs a public URL; Socket Mode does not (it needs app_token)."},
				Options: []connectors.Option{{Value: ModeEvents, Label: text{Ko: "이벤트 API (HTTPS)", En: "Events API (HTTPS)"}},
					{Value: ModeSocket, Label: text{Ko: "소켓 모드", En: "Socket Mode"}}}},
			{Key: "max_file_bytes", Type: connectors.FieldNumber, Default: DefaultMaxFileBytes, Label: text{Ko: "파일 최대 크기 (바이트)", En: "Largest mirrored file (bytes)"},
				Help: text{Ko: "더 큰 파일은 복사하지 않고 메시지에 이름만 적습니다.", En: "Larger files are named in the message instead of copied."}},
			{Key: "ai_answers", Type: connectors.FieldBool, Default: false, Label: text{Ko: "AI 자동 답변 (도움말 문서 기반)", En: "AI answers (from help articles)"},
				Help: text{Ko: "설정한 AI 제공자로 도움말 문서만 근거로 고객에게 바로 답하고 문서를 인용합니다. 모르면 그렇다고 말하고 상담원에게 넘깁니다. 관리 > AI 답변에서 제공자를 켜야 동작합니다.",
					En: "Answers customers at once from help articles only, citing them, through the AI provider; says so when it does not know and hands off. Needs the provider turned on under Admin > AI answers."}},
			{Key: "kb_suggestions", Type: connectors.FieldBool, Default: false, Label: text{Ko: "새 문의에 도움말 문서 추천", En: "Suggest help articles on new tickets"},
				Help: text{Ko: "새 문의의 스레드에 답이 될 만한 도움말 문서를 최대 3개 답글로 답니다. 맞는 문서가 없으면 답하지 않습니다.",
					En: "Replies in a new ticket's thread with up to three help articles that may answer it; says nothing when none fits."}},
			{Key: connectors.HistoryKey, Type: connectors.FieldBool, Default: false, Label: text{Ko: "고객 기록에 보이기", En: "Show in customers' history"},
				Help: text{Ko: "이 채널의 대화를 고객이 위젯과 대화 페이지의 지난 대화에서 볼 수 있습니다.", En: "Customers see this channel's conversations among their past conversations in the widget and on conversation pages."}},
			{Key: "api_url", Type: connectors.FieldURL, Default: "https://slack.com/api/", Advanced: true, Label: text{Ko: "API 주소", En: "API URL"},
				Help: text{Ko: "Slack Web API 주소 (시험용).", En: "Slack Web API base URL (tests)."}},
			{Key: "bot_token", Type: connectors.FieldSecret, Required: true, Label: text{Ko: "봇 토큰", En: "Bot token"},
				Help: text{Ko: "OAuth & Permissions 의 Bot User OAuth Token (xoxb-…).", En: "The Bot User OAuth Token (xoxb-…) from OAuth & Permissions."}},
			{Key: "signing_secret", Type: connectors.FieldSecret, Label: text{Ko: "서명 비밀 값", En: "Signing secret"},
				Help: text{Ko: "Basic Information 의 Signing Secret. 이벤트 API 방식에 필요합니다.", En: "Signing Secret from Basic Information; needed in events mode."}},
			{Key: "app_token", Type: connectors.FieldSecret, Label: text{Ko: "앱 토큰", En: "App-level token"},
				Help: text{Ko: "connections:write 권한의 앱 토큰 (xapp-…). 소켓 모드에 필요합니다.", En: "App-level token with connections:write (xapp-…); needed in socket mode."}},
		},
		Endpoints: []connectors.Endpoint{
			{Name: "events", Label: text{Ko: "이벤트 요청 URL", En: "Events request URL"}, Template: "{base_url}/connectors/slack/{public_key}/events"},
			{Name: "interactions", Label: text{Ko: "인터랙션 요청 URL", En: "Interactivity request URL"}, Template: "{base_url}/connectors/slack/{public_key}/interactions"},
		},
		Notes: []text{{Ko: "봇을 알림 채널과 고객 채널마다 초대하세요: /invite @앱이름", En: "Invite the bot into the notification channel and every customer channel: /invite @YourApp"}},
		Links: []connectors.Link{
			{Label: text{Ko: "Slack 앱 관리", En: "Slack apps"}, URL: "https://api.slack.com/apps"},
			{Label: text{Ko: "설정 안내", En: "Setup guide"}, URL: "https://github.com/hanbox/hanbox/tree/main/connectors/slack#readme"},
		},
		Settings: Settings{},
	}
}
