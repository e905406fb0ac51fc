package api

import "github.com/hanbox/hanbox/connectors"

var _ connectors.Describer = (*Channel)(nil)

// Describe implements connectors.Describer.
func (*Channel) Describe() connectors.Description {
	type text = connectors.Text
	return connectors.Description{
		Title:   text{Ko: "API", En: "API"},
		Summary: text{Ko: "내 서비스가 고객 메시지를 보내고, 답장을 웹훅으로 받습니다.", En: "Your service pushes customer messages and receives replies by webhook."},
		Badge:   ":electric_plug:",
		Fields: []connectors.Field{
			{Key: "webhook_url", Type: connectors.FieldURL, Label: text{Ko: "웹훅 주소", En: "Webhook URL"},
				Help: text{Ko: "상담원 답장을 JSON POST로 받을 주소. 비워 두면 답장을 보내지 않습니다.", En: "Receives agent replies as JSON POSTs. Empty sends no replies."}},
			{Key: "trust_email", Type: connectors.FieldBool, Default: false, Label: text{Ko: "이메일을 확인된 것으로", En: "Trust pushed emails"},
				Help: text{Ko: "이 채널로 받은 고객 이메일을 확인된 주소로 봅니다. 직접 확인한 서비스만 켜세요.", En: "Treat contact emails pushed on this channel as verified; only for services that verified them."}},
			{Key: "webhook_secret", Type: connectors.FieldSecret, Generated: true, Label: text{Ko: "웹훅 서명 비밀 값", En: "Webhook signing secret"},
				Help: text{Ko: "웹훅 본문의 HMAC 서명 키. 비워 두면 만들어 한 번만 보여 줍니다.", En: "Key of the webhook body's HMAC signature. Left empty, one is made and shown once."}},
		},
		Endpoints: []connectors.Endpoint{{Name: "inbound", Label: text{Ko: "수신 URL", En: "Inbound URL"}, Template: "{base_url}/api/v1/channels/{id}/inbound"}},
		Notes: []text{{Ko: "수신 URL에 채널 토큰을 Bearer로 붙여 메시지를 보냅니다. 토큰은 만들 때 한 번만 보입니다.",
			En: "Push messages to the inbound URL with the channel token as bearer; the token is shown once, when the channel is made."}},
		Settings: Settings{},
	}
}
