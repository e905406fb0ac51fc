package email

import "github.com/hanbox/hanbox/connectors"

var _ connectors.Describer = (*Channel)(nil)

// Describe implements connectors.Describer.
func (*Channel) Describe() connectors.Description {
	type text = connectors.Text
	tls := func(key, proto, def string) connectors.Field {
		return connectors.Field{Key: key, Type: connectors.FieldSelect, Default: def, Label: text{Ko: proto + " 보안 연결", En: proto + " TLS"},
			Help: text{Ko: "implicit (993/465), starttls (143/587), 또는 none (같은 컴퓨터에서만).", En: "implicit (993/465), starttls (143/587), or none (loopback only)."},
			Options: []connectors.Option{{Value: TLSImplicit, Label: text{Ko: "TLS (implicit)", En: "TLS (implicit)"}},
				{Value: TLSStartTLS, Label: text{Ko: "STARTTLS", En: "STARTTLS"}}, {Value: TLSNone, Label: text{Ko: "없음", En: "None"}}}}
	}
	insecure := func(key string) connectors.Field {
		return connectors.Field{Key: key, Type: connectors.FieldBool, Default: false, Advanced: true, Label: text{Ko: "인증서 확인 안 함", En: "Skip certificate check"},
			Help: text{Ko: "서버 인증서를 확인하지 않습니다 (시험, 자체 서명 인증서).", En: "Accept any server certificate (tests, self-signed)."}}
	}
	return connectors.Description{
		Title:   text{Ko: "이메일", En: "Email"},
		Summary: text{Ko: "IMAP이나 자체 SMTP로 지원 메일을 받고, SMTP로 답장을 보냅니다.", En: "Receives support mail by IMAP or its own SMTP listener and replies over SMTP."},
		Badge:   ":email:",
		Fields: []connectors.Field{
			{Key: "address", Type: connectors.FieldString, Required: true, Label: text{Ko: "지원 주소", En: "Support address"},
				Help: text{Ko: "고객이 메일을 보내는 주소.", En: "The address customers write to."}},
			{Key: "aliases", Type: connectors.FieldList, Label: text{Ko: "다른 주소", En: "Aliases"},
				Help: text{Ko: "같은 메일함으로 오는 다른 주소, 한 줄에 하나.", En: "Other addresses delivered to this mailbox, one per line."}},
			{Key: "from_name", Type: connectors.FieldString, Label: text{Ko: "보내는 이름", En: "From name"},
				Help: text{Ko: "상담원 이름이 없을 때 보내는 메일의 이름.", En: "Display name on outgoing mail when the agent has none."}},
			{Key: "reply_to_token", Type: connectors.FieldBool, Default: false, Label: text{Ko: "답장 주소에 티켓 토큰", En: "Ticket token in Reply-To"},
				Help: text{Ko: "Reply-To를 support+토큰@ 으로 해서 메일 프로그램이 참조 헤더를 지워도 같은 티켓으로 돌아옵니다. + 주소가 메일함으로 와야 합니다.",
					En: "Reply-To is support+token@, so answers thread even when a mailer drops In-Reply-To; your provider must deliver + addresses."}},
			{Key: "ai_answers", Type: connectors.FieldBool, Default: false, Label: text{Ko: "AI 자동 답변 (도움말 문서 기반)", En: "AI answers (from help articles)"},
				Help: text{Ko: "설정한 AI 제공자로 도움말 문서만 근거로 고객에게 바로 답하고 문서를 인용합니다. 모르면 그렇다고 말하고 상담원에게 넘깁니다. 관리 > AI 답변에서 제공자를 켜야 동작합니다.",
					En: "Answers customers at once from help articles only, citing them, through the AI provider; says so when it does not know and hands off. Needs the provider turned on under Admin > AI answers."}},
			{Key: "kb_suggestions", Type: connectors.FieldBool, Default: false, Label: text{Ko: "새 문의에 도움말 문서 추천", En: "Suggest help articles on new mail"},
				Help: text{Ko: "새 메일 문의에 접수 확인과 함께 답이 될 만한 도움말 문서를 최대 3개 보냅니다. 맞는 문서가 없으면 보내지 않습니다.",
					En: "Acknowledges a new email ticket with up to three help articles that may answer it; sends nothing when none fits."}},
			{Key: "imap.host", Type: connectors.FieldString, Label: text{Ko: "IMAP 서버", En: "IMAP host"},
				Help: text{Ko: "예: imap.gmail.com, imap.naver.com. 비우면 IMAP을 쓰지 않습니다.", En: "For example imap.gmail.com; empty turns IMAP off."}},
			{Key: "imap.port", Type: connectors.FieldNumber, Label: text{Ko: "IMAP 포트", En: "IMAP port"},
				Help: text{Ko: "비우면 보안 연결에 맞게 993 또는 143.", En: "Empty: 993 or 143, following TLS."}},
			tls("imap.tls", "IMAP", TLSImplicit),
			{Key: "imap.username", Type: connectors.FieldString, Label: text{Ko: "IMAP 사용자", En: "IMAP username"}},
			{Key: "imap.folder", Type: connectors.FieldString, Default: "INBOX", Label: text{Ko: "메일함", En: "Folder"}},
			{Key: "imap.after_import", Type: connectors.FieldSelect, Default: AfterLeave, Label: text{Ko: "가져온 뒤", En: "After import"},
				Help: text{Ko: "Hanbox는 자체 체크포인트를 두므로 그대로 두어도 안전합니다.", En: "Hanbox keeps its own checkpoint, so leaving mail as it is is safe."},
				Options: []connectors.Option{{Value: AfterLeave, Label: text{Ko: "그대로 두기", En: "Leave"}}, {Value: AfterSeen, Label: text{Ko: "읽음 표시", En: "Mark seen"}},
					{Value: AfterMove, Label: text{Ko: "다른 메일함으로 옮기기", En: "Move to a folder"}}}},
			{Key: "imap.move_to", Type: connectors.FieldString, Label: text{Ko: "옮길 메일함", En: "Move to folder"},
				Help: text{Ko: "'옮기기'를 고른 경우.", En: "When after import is move."}},
			{Key: "imap.poll_interval", Type: connectors.FieldString, Default: "1m", Advanced: true, Label: text{Ko: "확인 간격", En: "Poll interval"},
				Help: text{Ko: "서버가 IDLE을 못 할 때 확인 간격 (Go 기간, 예: 1m).", En: "Used when the server has no IDLE (a Go duration such as 1m)."}},
			insecure("imap.insecure_skip_verify"),
			{Key: "smtp.host", Type: connectors.FieldString, Label: text{Ko: "SMTP 서버", En: "SMTP host"},
				Help: text{Ko: "답장을 보낼 서버, 예: smtp.gmail.com.", En: "Server that sends replies, such as smtp.gmail.com."}},
			{Key: "smtp.port", Type: connectors.FieldNumber, Label: text{Ko: "SMTP 포트", En: "SMTP port"},
				Help: text{Ko: "비우면 보안 연결에 맞게 465, 587 또는 25.", En: "Empty: 465, 587 or 25, following TLS."}},
			tls("smtp.tls", "SMTP", TLSStartTLS),
			{Key: "smtp.username", Type: connectors.FieldString, Label: text{Ko: "SMTP 사용자", En: "SMTP username"}},
			insecure("smtp.insecure_skip_verify"),
			{Key: "listen.addr", Type: connectors.FieldString, Advanced: true, Label: text{Ko: "수신 SMTP 주소", En: "Listener address"},
				Help: text{Ko: "Hanbox가 직접 메일을 받을 주소 (:2525). 비우면 쓰지 않습니다.", En: "Where Hanbox receives mail itself (:2525); empty turns the listener off."}},
			{Key: "listen.max_bytes", Type: connectors.FieldNumber, Advanced: true, Label: text{Ko: "수신 최대 크기 (바이트)", En: "Listener size limit (bytes)"},
				Help: text{Ko: "비우면 최대 메시지 크기와 같습니다.", En: "Empty: the largest message size."}},
			{Key: "listen.require_auth", Type: connectors.FieldBool, Default: false, Advanced: true, Label: text{Ko: "수신에 인증 요구", En: "Require AUTH"},
				Help: text{Ko: "보내는 쪽이 지원 주소와 수신 비밀번호로 AUTH PLAIN 해야 합니다.", En: "Senders must AUTH PLAIN as the support address with the listener password."}},
			{Key: "listen.cert", Type: connectors.FieldString, Advanced: true, Label: text{Ko: "인증서 파일", En: "Certificate file"},
				Help: text{Ko: "STARTTLS용 인증서 경로 (운영자가 둔 파일).", En: "Path of the STARTTLS certificate (a file the operator placed)."}},
			{Key: "listen.key", Type: connectors.FieldString, Advanced: true, Label: text{Ko: "개인 키 파일", En: "Key file"},
				Help: text{Ko: "인증서의 개인 키 경로.", En: "Path of the certificate's private key."}},
			{Key: "listen.domain", Type: connectors.FieldString, Advanced: true, Label: text{Ko: "인사 도메인", En: "Greeting domain"},
				Help: text{Ko: "비우면 지원 주소의 도메인.", En: "Empty: the support address's domain."}},
			{Key: "max_message_bytes", Type: connectors.FieldNumber, Default: DefaultMaxMessageBytes, Label: text{Ko: "최대 메시지 크기 (바이트)", En: "Largest message (bytes)"},
				Help: text{Ko: "더 큰 메일은 가져오지 않고 머리글만 격리함에 둡니다.", En: "Larger mail is not imported; its headers go to the quarantine."}},
			{Key: "imap_password", Type: connectors.FieldSecret, Label: text{Ko: "IMAP 비밀번호", En: "IMAP password"},
				Help: text{Ko: "Gmail·네이버는 앱 비밀번호를 쓰세요.", En: "Use an app password for Gmail or Naver."}},
			{Key: "smtp_password", Type: connectors.FieldSecret, Label: text{Ko: "SMTP 비밀번호", En: "SMTP password"}},
			{Key: "listen_password", Type: connectors.FieldSecret, Label: text{Ko: "수신 SMTP 비밀번호", En: "Listener password"},
				Help: text{Ko: "'수신에 인증 요구'를 켠 경우.", En: "When the listener requires AUTH."}},
		},
		Links:    []connectors.Link{{Label: text{Ko: "설정 안내 (Gmail, 네이버)", En: "Setup guide (Gmail, Naver)"}, URL: "https://github.com/hanbox/hanbox/tree/main/connectors/email#readme"}},
		Settings: Settings{},
	}
}
