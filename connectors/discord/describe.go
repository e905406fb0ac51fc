package discord

import "github.com/hanbox/hanbox/connectors"

var _ connectors.Describer = (*Channel)(nil)

// Describe implements connectors.Describer.
func (*Channel) Describe() connectors.Description {
	type text = connectors.Text
	return connectors.Description{
		Title:   text{Ko: "Discord", En: "Discord"},
		Summary: text{Ko: "Discord 봇이 지원 채널과 DM의 메시지를 티켓으로 만들고 답장을 올립니다.", En: "A Discord bot turns support-channel messages and DMs into tickets and posts the replies."},
		Badge:   ":video_game:",
		Fields: []connectors.Field{
			{Key: "guild_id", Type: connectors.FieldString, Label: text{Ko: "서버 ID", En: "Server ID"},
				Help: text{Ko: "봇이 답할 서버 (서버 ID 복사). 비우면 모든 서버; 다른 서버의 메시지는 무시합니다.", En: "The server the bot answers in (Copy Server ID). Empty: any; other servers are ignored."}},
			{Key: "support_channels", Type: connectors.FieldList, Label: text{Ko: "지원 채널 ID", En: "Support channel IDs"},
				Help: text{Ko: "지켜볼 채널의 ID, 한 줄에 하나 (채널 ID 복사). 그 아래 스레드도 봅니다.", En: "Ids of the channels to watch, one per line (Copy Channel ID); their threads are watched too."}},
			{Key: "open_threads", Type: connectors.FieldBool, Default: true, Label: text{Ko: "티켓마다 스레드 열기", En: "Open a thread per ticket"},
				Help: text{Ko: "지원 채널의 새 대화마다 공개 스레드를 엽니다. 끄면 고객의 메시지가 한 티켓이 되고 답장은 메시지를 인용합니다.",
					En: "A new conversation in a support channel opens a public thread; when off, a customer's messages form one ticket and replies quote them."}},
			{Key: "allow_dms", Type: connectors.FieldBool, Default: true, Label: text{Ko: "DM 받기", En: "Accept direct messages"},
				Help: text{Ko: "봇에게 온 DM을 티켓으로 만듭니다.", En: "Direct messages to the bot become tickets."}},
			{Key: "ai_answers", Type: connectors.FieldBool, Default: false, Label: text{Ko: "AI 자동 답변 (도움말 문서 기반)", En: "AI answers (from help articles)"},
				Help: text{Ko: "설정한 AI 제공자로 도움말 문서만 근거로 고객에게 바로 답하고 문서를 인용합니다. 모르면 그렇다고 말하고 상담원에게 넘깁니다. 관리 > AI 답변에서 제공자를 켜야 동작합니다.",
					En: "Answers customers at once from help articles only, citing them, through the AI provider; says so when it does not know and hands off. Needs the provider turned on under Admin > AI answers."}},
			{Key: "kb_suggestions", Type: connectors.FieldBool, Default: false, Label: text{Ko: "새 문의에 도움말 문서 추천", En: "Suggest help articles on new tickets"},
				Help: text{Ko: "새 문의의 스레드에 답이 될 만한 도움말 문서를 최대 3개 답글로 답니다. 맞는 문서가 없으면 답하지 않습니다.",
					En: "Replies in a new ticket's thread with up to three help articles that may answer it; says nothing when none fits."}},
			{Key: connectors.HistoryKey, Type: connectors.FieldBool, Default: false, Label: text{Ko: "고객 기록에 보이기", En: "Show in customers' history"},
				Help: text{Ko: "이 채널의 대화를 고객이 위젯과 대화 페이지의 지난 대화에서 볼 수 있습니다.", En: "Customers see this channel's conversations among their past conversations in the widget and on conversation pages."}},
			{Key: "api_base", Type: connectors.FieldURL, Default: "https://discord.com", Advanced: true, Label: text{Ko: "API 주소", En: "API base URL"},
				Help: text{Ko: "https://discord.com 대신 쓸 주소 (시험, 프록시).", En: "Replaces https://discord.com (tests, proxies)."}},
			{Key: "bot_token", Type: connectors.FieldSecret, Required: true, Label: text{Ko: "봇 토큰", En: "Bot token"},
				Help: text{Ko: "개발자 포털 → Bot → Reset Token 으로 받은 토큰.", En: "From the developer portal: Bot → Reset Token."}},
		},
		Notes: []text{{Ko: "Bot 탭에서 MESSAGE CONTENT INTENT 를 켜야 연결됩니다.", En: "Turn on MESSAGE CONTENT INTENT on the Bot tab, or Discord refuses the connection."}},
		Links: []connectors.Link{
			{Label: text{Ko: "Discord 개발자 포털", En: "Discord developer portal"}, URL: "https://discord.com/developers/applications"},
			{Label: text{Ko: "설정 안내", En: "Setup guide"}, URL: "https://github.com/hanbox/hanbox/tree/main/connectors/discord#readme"},
		},
		Settings: Settings{},
	}
}
