package widget

import "github.com/hanbox/hanbox/connectors"

var _ connectors.Describer = (*Channel)(nil)

type text = connectors.Text

// Describe implements connectors.Describer.
func (*Channel) Describe() connectors.Description {
	days := []struct{ key, ko, en string }{
		{"mon", "월요일", "Monday"}, {"tue", "화요일", "Tuesday"}, {"wed", "수요일", "Wednesday"}, {"thu", "목요일", "Thursday"},
		{"fri", "금요일", "Friday"}, {"sat", "토요일", "Saturday"}, {"sun", "일요일", "Sunday"},
	}
	fields := []connectors.Field{
		{Key: "allowed_origins", Type: connectors.FieldList, Label: text{Ko: "허용할 사이트", En: "Allowed sites"},
			Help: text{Ko: "위젯을 넣을 사이트 주소, 한 줄에 하나 (https://shop.example.com, https://*.example.com). 비워 두면 Hanbox 자체 주소만 허용합니다.",
				En: "Sites that may embed the widget, one per line (https://shop.example.com, https://*.example.com). Empty allows only Hanbox's own address."}},
		{Key: "greeting.ko", Type: connectors.FieldText, Label: text{Ko: "인사말 (한국어)", En: "Greeting (Korean)"},
			Help: text{Ko: "대화창 위에 보이는 문구.", En: "Shown above the conversation."}},
		{Key: "greeting.en", Type: connectors.FieldText, Label: text{Ko: "인사말 (영어)", En: "Greeting (English)"},
			Help: text{Ko: "영어를 쓰는 방문자에게 보이는 문구.", En: "Shown to visitors who read English."}},
		{Key: "color", Type: connectors.FieldString, Default: "#2f6fed", Label: text{Ko: "색상", En: "Colour"},
			Help: text{Ko: "버튼과 머리글 색 (#rgb 또는 #rrggbb).", En: "Launcher and header colour (#rgb or #rrggbb)."}},
		{Key: "position", Type: connectors.FieldSelect, Default: "right", Label: text{Ko: "위치", En: "Position"},
			Help:    text{Ko: "화면에서 버튼이 놓일 쪽.", En: "Side of the page the launcher sits on."},
			Options: []connectors.Option{{Value: "right", Label: text{Ko: "오른쪽", En: "Right"}}, {Value: "left", Label: text{Ko: "왼쪽", En: "Left"}}}},
		{Key: "locale", Type: connectors.FieldSelect, Default: "auto", Label: text{Ko: "언어", En: "Language"},
			Help: text{Ko: "위젯의 언어. 자동은 방문자 브라우저 언어를 따릅니다.", En: "The widget's language; automatic follows the visitor's browser."},
			Options: []connectors.Option{{Value: "auto", Label: text{Ko: "자동", En: "Automatic"}}, {Value: "ko", Label: text{Ko: "한국어", En: "Korean"}},
				{Value: "en", Label: text{Ko: "영어", En: "English"}}}},
		{Key: "theme", Type: connectors.FieldSelect, Default: "auto", Label: text{Ko: "화면 테마", En: "Theme"},
			Help: text{Ko: "자동은 방문자 기기의 밝게/어둡게 설정을 따릅니다.", En: "Automatic follows the visitor's light or dark system setting."},
			Options: []connectors.Option{{Value: "auto", Label: text{Ko: "자동", En: "Automatic"}}, {Value: "light", Label: text{Ko: "밝게", En: "Light"}},
				{Value: "dark", Label: text{Ko: "어둡게", En: "Dark"}}}},
		{Key: "ai_answers", Type: connectors.FieldBool, Default: false, Label: text{Ko: "AI 자동 답변 (도움말 문서 기반)", En: "AI answers (from help articles)"},
			Help: text{Ko: "설정한 AI 제공자로 도움말 문서만 근거로 고객에게 바로 답하고 문서를 인용합니다. 모르면 그렇다고 말하고 상담원에게 넘깁니다. 관리 > AI 답변에서 제공자를 켜야 동작합니다.",
				En: "Answers customers at once from help articles only, citing them, through the AI provider; says so when it does not know and hands off. Needs the provider turned on under Admin > AI answers."}},
		{Key: "require_verified", Type: connectors.FieldBool, Default: false, Label: text{Ko: "로그인한 사용자만", En: "Signed-in users only"},
			Help: text{Ko: "사이트가 user_hash로 확인한 사용자만 대화할 수 있습니다.", En: "Only visitors your site identified with a valid user_hash may chat."}},
		{Key: "grace_seconds", Type: connectors.FieldNumber, Default: DefaultGrace.Seconds(), Label: text{Ko: "이메일로 넘기기 전 대기 (초)", En: "Wait before continuing by email (seconds)"},
			Help: text{Ko: "방문자가 떠난 뒤 답장이 이만큼 기다렸다가 이메일로 갑니다 (이메일을 아는 경우).", En: "A reply waits this long for a visitor who left, then goes by email when their address is known."}},
		{Key: "office_hours.time_zone", Type: connectors.FieldString, Label: text{Ko: "상담 시간대", En: "Office hours time zone"},
			Help: text{Ko: "예: Asia/Seoul. 비워 두면 상담 시간을 쓰지 않습니다.", En: "For example Asia/Seoul. Leave empty for no office hours."}},
	}
	for _, d := range days {
		fields = append(fields, connectors.Field{Key: "office_hours.weekly." + d.key, Type: connectors.FieldList, Item: connectors.ItemSpan,
			Label: text{Ko: "상담 시간: " + d.ko, En: "Office hours: " + d.en},
			Help:  text{Ko: "09:00-18:00 형식, 한 줄에 하나. 비우면 쉬는 날.", En: "Like 09:00-18:00, one span per line. Empty means closed."}})
	}
	fields = append(fields,
		connectors.Field{Key: "office_hours.holidays", Type: connectors.FieldList, Label: text{Ko: "휴일", En: "Holidays"},
			Help: text{Ko: "쉬는 날짜, 한 줄에 하나 (2026-12-25).", En: "Closed dates, one per line (2026-12-25)."}},
		connectors.Field{Key: "proactive", Type: connectors.FieldGroups, Label: text{Ko: "먼저 건네는 말", En: "Proactive messages"},
			Help: text{Ko: "주소가 맞는 페이지에서 잠시 뒤에 보여 줄 말.", En: "Shown on matching pages after a delay."},
			Fields: []connectors.Field{
				{Key: "url_pattern", Type: connectors.FieldString, Required: true, Label: text{Ko: "페이지 주소", En: "Page pattern"},
					Help: text{Ko: "경로 또는 전체 주소; * 는 아무 글자나 (/pricing*).", En: "Path or full URL; * matches anything (/pricing*)."}},
				{Key: "message.ko", Type: connectors.FieldText, Label: text{Ko: "문구 (한국어)", En: "Message (Korean)"}},
				{Key: "message.en", Type: connectors.FieldText, Label: text{Ko: "문구 (영어)", En: "Message (English)"}},
				{Key: "delay_seconds", Type: connectors.FieldNumber, Default: 0, Label: text{Ko: "지연 (초)", En: "Delay (seconds)"}},
				{Key: "office_hours_only", Type: connectors.FieldBool, Default: false, Label: text{Ko: "상담 시간에만", En: "During office hours only"}},
			}},
		connectors.Field{Key: "max_upload_bytes", Type: connectors.FieldNumber, Default: DefaultMaxUploadBytes, Label: text{Ko: "파일 최대 크기 (바이트)", En: "Largest file (bytes)"},
			Help: text{Ko: "방문자가 올리는 파일 하나의 한도.", En: "Limit of one file a visitor uploads."}},
		connectors.Field{Key: "allowed_upload_types", Type: connectors.FieldList, Default: DefaultUploadTypes, Label: text{Ko: "허용할 파일 형식", En: "Allowed file types"},
			Help: text{Ko: "미디어 형식, 한 줄에 하나 (image/png).", En: "Media types, one per line (image/png)."}},
		connectors.Field{Key: "visitor_upload_files", Type: connectors.FieldNumber, Default: DefaultVisitorUploadFiles, Advanced: true,
			Label: text{Ko: "방문자당 보내지 않은 파일 수", En: "Unsent files per visitor"},
			Help:  text{Ko: "메시지에 붙기 전까지 방문자 한 명이 쌓아 둘 수 있는 파일 수.", En: "Files one visitor may have uploaded but not yet sent."}},
		connectors.Field{Key: "visitor_upload_bytes", Type: connectors.FieldNumber, Default: DefaultVisitorUploadBytes, Advanced: true,
			Label: text{Ko: "방문자당 보내지 않은 파일 용량 (바이트)", En: "Unsent bytes per visitor"},
			Help:  text{Ko: "메시지에 붙기 전 파일의 합계 한도.", En: "Total size of one visitor's files not yet sent."}},
		connectors.Field{Key: "channel_upload_files", Type: connectors.FieldNumber, Default: DefaultChannelUploadFiles, Advanced: true,
			Label: text{Ko: "채널 전체 보내지 않은 파일 수", En: "Unsent files on the channel"},
			Help:  text{Ko: "모든 방문자를 합한 한도.", En: "The same bound for all visitors together."}},
		connectors.Field{Key: "channel_upload_bytes", Type: connectors.FieldNumber, Default: int64(DefaultChannelUploadBytes), Advanced: true,
			Label: text{Ko: "채널 전체 보내지 않은 파일 용량 (바이트)", En: "Unsent bytes on the channel"},
			Help:  text{Ko: "모든 방문자를 합한 용량 한도.", En: "The same size bound for all visitors together."}},
		connectors.Field{Key: "upload_grace_hours", Type: connectors.FieldNumber, Default: DefaultUploadGraceHours, Advanced: true,
			Label: text{Ko: "보내지 않은 파일 보관 (시간)", En: "Keep unsent files (hours)"},
			Help:  text{Ko: "메시지에 붙지 않은 파일을 지우기까지의 시간 (6 이상).", En: "Files never sent are deleted after this many hours (at least 6)."}},
		connectors.Field{Key: "identity_secret", Type: connectors.FieldSecret, Label: text{Ko: "사용자 확인 비밀 값", En: "Identity secret"},
			Help: text{Ko: "사이트가 user_hash (user_id의 HMAC-SHA256)를 만들 때 쓰는 비밀 값. 로그인한 사용자의 지난 대화를 보여 줄 때 필요합니다.",
				En: "The key your site signs user_hash with (HMAC-SHA256 of user_id); needed to show signed-in users their past conversations."}},
	)
	return connectors.Description{
		Title:   text{Ko: "채팅", En: "Chat"},
		Summary: text{Ko: "웹사이트에 넣는 채팅 위젯.", En: "A chat widget for your website."},
		Badge:   ":speech_balloon:",
		Fields:  fields,
		Endpoints: []connectors.Endpoint{{Name: "snippet", Label: text{Ko: "위젯 코드", En: "Widget snippet"}, Code: true,
			// The README's snippet, queue stub included, so Hanbox('identify', …)
			// and the other commands work from the first line of the page
			// (TestSnippetIsTheREADMEs).
			Template: snippetTemplate}},
		Notes:    []text{{Ko: "위젯 코드를 사이트의 </body> 앞에 붙여 넣으세요.", En: "Paste the snippet before </body> on your site."}},
		Links:    []connectors.Link{{Label: text{Ko: "위젯 설명서", En: "Widget guide"}, URL: "https://github.com/hanbox/hanbox/tree/main/connectors/widget#readme"}},
		Settings: Settings{},
	}
}

// snippetTemplate is the code admins paste on their site: the queue stub
// (commands called before the script has loaded wait in Hanbox.q) and the
// async script tag.
const snippetTemplate = "<script>\n  window.Hanbox = window.Hanbox || function(){(Hanbox.q=Hanbox.q||[]).push(arguments)};\n</script>\n" +
	`<script async src="{base_url}/widget.js" data-channel="{public_key}"></script>`
