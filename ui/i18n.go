package ui

import (
	"net/http"
	"strings"
)

// LangCookie stores the language an agent picked.
const LangCookie = "hanbox_lang"

// languages the UI speaks; the first is the fallback.
var languages = []string{"en", "ko"}

// catalog holds the UI strings per language. Keys missing in a language fall
// back to English; a key missing everywhere shows as itself (and fails the
// catalogue test).
var catalog = map[string]map[string]string{
	"en": {
		"app.name": "Hanbox", "nav.inbox": "Inbox", "nav.admin": "Admin", "nav.password": "Change password", "nav.logout": "Sign out",
		"nav.skip": "Skip to content", "nav.lang": "Language",
		"login.title": "Sign in", "login.email": "Email", "login.password": "Password", "login.submit": "Sign in",
		"login.failed": "Wrong email or password.", "login.limited": "Too many attempts. Wait a few minutes and try again.",
		"login.expired": "The form expired. Please try again.",
		"view.mine":     "Mine", "view.unassigned": "Unassigned", "view.open": "Open", "view.all": "All",
		"view.pending": "Pending", "view.snoozed": "Snoozed", "view.resolved": "Resolved", "view.closed": "Closed",
		"view.views": "Views", "view.status": "Status", "view.channels": "Channels", "view.tags": "Tags",
		"search.placeholder": "Search tickets (/)", "search.label": "Search tickets", "search.submit": "Search",
		"list.empty": "No tickets here.", "list.select": "Select", "list.selectAll": "Select all", "list.more": "Older tickets",
		"list.subject": "Subject", "list.contact": "Customer", "list.updated": "Last activity", "list.assignee": "Assignee",
		"list.unassigned": "Unassigned", "list.messages": "messages",
		"bulk.selected": "selected", "bulk.assignMe": "Assign to me", "bulk.tag": "Add tag", "bulk.resolve": "Resolve",
		"bulk.tagPrompt": "Tag to add", "bulk.done": "Done",
		"live.on": "Live", "live.off": "Reconnecting…", "live.new": "New activity",
		"status.open": "Open", "status.pending": "Pending", "status.snoozed": "Snoozed", "status.resolved": "Resolved", "status.closed": "Closed",
		"priority.low": "Low", "priority.normal": "Normal", "priority.high": "High", "priority.urgent": "Urgent",
		"ticket.back": "Back to inbox", "ticket.note": "Private note", "ticket.system": "System", "ticket.showImages": "Show images",
		"ticket.images": "Remote images are blocked.", "ticket.attachments": "Attachments",
		"delivery.queued": "Queued", "delivery.sent": "Sent", "delivery.failed": "Failed", "delivery.retry": "Retry",
		"ticket.typing": "Customer is typing…", "ticket.viewingPage": "Viewing", "ticket.agentViewing": "is viewing",
		"ticket.agentTyping": "is typing…", "ticket.assignMe": "Assign to me", "ticket.resolve": "Resolve", "ticket.reopen": "Reopen",
		"composer.reply": "Reply", "composer.note": "Note", "composer.mode": "Mode", "composer.channel": "Send via",
		"composer.latest": "Latest channel", "composer.email": "Email", "composer.placeholder": "Write a reply… (Ctrl+Enter sends)",
		"composer.notePlaceholder": "Write a private note… (Ctrl+Enter saves)", "composer.send": "Send", "composer.saveNote": "Add note",
		"composer.attach": "Attach files", "composer.saved": "Saved reply", "composer.savedNone": "Insert saved reply…",
		"composer.stale":      "This ticket changed while you were writing. Review the latest messages above, then send anyway if your reply still fits.",
		"composer.sendAnyway": "Send anyway", "composer.sent": "Sent.", "composer.error": "Could not send",
		"side.contact": "Customer", "side.identities": "Identities", "side.verified": "verified", "side.otherTickets": "Other tickets",
		"side.pages": "Pages visited", "side.tags": "Tags", "side.tagsHint": "comma separated", "side.save": "Save",
		"side.assignee": "Assignee", "side.team": "Team", "side.status": "Status", "side.priority": "Priority", "side.snooze": "Snooze until",
		"side.snoozeBtn": "Snooze", "side.mergeTicket": "Merge another ticket into this", "side.mergeTicketHint": "Ticket id",
		"side.mergeContact": "Merge another customer into this", "side.mergeContactHint": "Customer id", "side.merge": "Merge",
		"side.none": "None", "side.noEmail": "No email",
		"password.title": "Change password", "password.current": "Current password", "password.new": "New password",
		"password.submit": "Change password", "password.done": "Password changed.",
		"admin.title": "Administration", "admin.channels": "Channels", "admin.agents": "Agents", "admin.savedReplies": "Saved replies",
		"admin.quarantine": "Quarantine", "admin.forbidden": "Only admins can open this page.",
		"channels.kind": "Kind", "channels.name": "Name", "channels.status": "Status", "channels.lastError": "Last error",
		"channels.enabled": "Enabled", "channels.disabled": "Disabled", "channels.new": "Add a channel", "channels.settings": "Settings (JSON)",
		"channels.secrets": "Secrets (JSON)", "channels.create": "Create channel", "channels.snippet": "Widget snippet",
		"channels.copy": "Copy", "channels.copied": "Copied", "channels.inbound": "Inbound URL", "channels.token": "Token (shown once)",
		"channels.webhookSecret": "Webhook signing secret (shown once)", "channels.save": "Save", "channels.enable": "Enable", "channels.disable": "Disable",
		"agents.email": "Email", "agents.name": "Name", "agents.role": "Role", "agents.active": "Active", "agents.invite": "Invite an agent",
		"agents.password": "Initial password", "agents.deactivate": "Deactivate", "agents.activate": "Activate",
		"agents.admin": "Admin", "agents.agent": "Agent",
		"replies.name": "Name", "replies.body": "Text", "replies.hint": "Placeholders: {{contact.name}}, {{agent.name}}",
		"replies.create": "Add saved reply", "replies.delete": "Delete",
		"quarantine.reason": "Reason", "quarantine.channel": "Channel", "quarantine.size": "Size", "quarantine.raw": "Download raw",
		"quarantine.empty": "Nothing in quarantine.", "quarantine.when": "Received",
		"quarantine.retry": "Retry", "quarantine.retried": "Imported", "quarantine.resolved": "Imported",
		"admin.deliveries": "Failed deliveries", "deliveries.hint": "Replies and notifications are retried automatically (notifications for 24 hours); what is listed here failed for good.",
		"deliveries.when": "Failed", "deliveries.what": "What", "deliveries.reply": "Reply", "deliveries.notify": "Notification",
		"deliveries.ticket": "Ticket", "deliveries.channel": "Channel", "deliveries.attempts": "Attempts", "deliveries.reason": "Reason",
		"deliveries.retry": "Retry", "deliveries.retried": "Queued again", "deliveries.empty": "Every delivery went out.",
		"deliveries.parked": "Automatic reactions that gave up", "deliveries.consumer": "Reaction", "deliveries.event": "Event", "deliveries.parkedEmpty": "No automatic reaction gave up.",
		"error.title": "Something went wrong", "error.notFound": "Not found", "error.forbidden": "Forbidden",
		"help.title": "Keyboard shortcuts", "help.close": "Close", "help.move": "Next / previous ticket", "help.open": "Open ticket",
		"help.reply": "Reply", "help.note": "Note", "help.resolve": "Resolve", "help.assign": "Assign to me", "help.search": "Search",
		"help.help": "This help", "help.send": "Send", "help.escape": "Leave the field / close",
		"kind.email": "Email", "kind.widget": "Chat", "kind.slack": "Slack", "kind.discord": "Discord", "kind.api": "API",
		"common.error": "Something went wrong", "common.saved": "Saved", "common.loading": "Loading…",
		"ticket.edited": "edited", "ticket.deleted": "deleted", "nav.main": "Main", "composer.remove": "Remove",
	},
	"ko": {
		"app.name": "Hanbox", "nav.inbox": "받은 편지함", "nav.admin": "관리", "nav.password": "비밀번호 변경", "nav.logout": "로그아웃",
		"nav.skip": "본문으로 건너뛰기", "nav.lang": "언어",
		"login.title": "로그인", "login.email": "이메일", "login.password": "비밀번호", "login.submit": "로그인",
		"login.failed": "이메일 또는 비밀번호가 올바르지 않습니다.", "login.limited": "시도 횟수가 너무 많습니다. 몇 분 후 다시 시도하세요.",
		"login.expired": "양식이 만료되었습니다. 다시 시도하세요.",
		"view.mine":     "내 담당", "view.unassigned": "미배정", "view.open": "진행 중", "view.all": "전체",
		"view.pending": "대기", "view.snoozed": "보류", "view.resolved": "해결됨", "view.closed": "종료",
		"view.views": "보기", "view.status": "상태", "view.channels": "채널", "view.tags": "태그",
		"search.placeholder": "티켓 검색 (/)", "search.label": "티켓 검색", "search.submit": "검색",
		"list.empty": "티켓이 없습니다.", "list.select": "선택", "list.selectAll": "모두 선택", "list.more": "이전 티켓",
		"list.subject": "제목", "list.contact": "고객", "list.updated": "최근 활동", "list.assignee": "담당자",
		"list.unassigned": "미배정", "list.messages": "개 메시지",
		"bulk.selected": "개 선택됨", "bulk.assignMe": "내게 배정", "bulk.tag": "태그 추가", "bulk.resolve": "해결",
		"bulk.tagPrompt": "추가할 태그", "bulk.done": "완료",
		"live.on": "실시간", "live.off": "다시 연결 중…", "live.new": "새 활동",
		"status.open": "진행 중", "status.pending": "대기", "status.snoozed": "보류", "status.resolved": "해결됨", "status.closed": "종료",
		"priority.low": "낮음", "priority.normal": "보통", "priority.high": "높음", "priority.urgent": "긴급",
		"ticket.back": "받은 편지함으로", "ticket.note": "내부 메모", "ticket.system": "시스템", "ticket.showImages": "이미지 표시",
		"ticket.images": "외부 이미지가 차단되었습니다.", "ticket.attachments": "첨부 파일",
		"delivery.queued": "대기 중", "delivery.sent": "전송됨", "delivery.failed": "실패", "delivery.retry": "재시도",
		"ticket.typing": "고객이 입력 중…", "ticket.viewingPage": "보는 중", "ticket.agentViewing": "님이 보는 중",
		"ticket.agentTyping": "님이 입력 중…", "ticket.assignMe": "내게 배정", "ticket.resolve": "해결", "ticket.reopen": "다시 열기",
		"composer.reply": "답장", "composer.note": "메모", "composer.mode": "방식", "composer.channel": "보낼 채널",
		"composer.latest": "최근 채널", "composer.email": "이메일", "composer.placeholder": "답장 작성… (Ctrl+Enter로 보내기)",
		"composer.notePlaceholder": "내부 메모 작성… (Ctrl+Enter로 저장)", "composer.send": "보내기", "composer.saveNote": "메모 추가",
		"composer.attach": "파일 첨부", "composer.saved": "저장된 답변", "composer.savedNone": "저장된 답변 넣기…",
		"composer.stale":      "작성하는 동안 티켓이 바뀌었습니다. 위의 최신 메시지를 확인한 뒤, 그래도 맞으면 그대로 보내세요.",
		"composer.sendAnyway": "그대로 보내기", "composer.sent": "보냈습니다.", "composer.error": "보내지 못했습니다",
		"side.contact": "고객", "side.team": "팀", "side.identities": "연결된 계정", "side.verified": "인증됨", "side.otherTickets": "다른 티켓",
		"side.pages": "방문한 페이지", "side.tags": "태그", "side.tagsHint": "쉼표로 구분", "side.save": "저장",
		"side.assignee": "담당자", "side.status": "상태", "side.priority": "우선순위", "side.snooze": "보류 기한",
		"side.snoozeBtn": "보류", "side.mergeTicket": "다른 티켓을 이 티켓에 병합", "side.mergeTicketHint": "티켓 ID",
		"side.mergeContact": "다른 고객을 이 고객에 병합", "side.mergeContactHint": "고객 ID", "side.merge": "병합",
		"side.none": "없음", "side.noEmail": "이메일 없음",
		"password.title": "비밀번호 변경", "password.current": "현재 비밀번호", "password.new": "새 비밀번호",
		"password.submit": "비밀번호 변경", "password.done": "비밀번호를 변경했습니다.",
		"admin.title": "관리", "admin.channels": "채널", "admin.agents": "상담원", "admin.savedReplies": "저장된 답변",
		"admin.quarantine": "격리함", "admin.forbidden": "관리자만 볼 수 있는 페이지입니다.",
		"channels.kind": "종류", "channels.name": "이름", "channels.status": "상태", "channels.lastError": "최근 오류",
		"channels.enabled": "사용", "channels.disabled": "사용 안 함", "channels.new": "채널 추가", "channels.settings": "설정 (JSON)",
		"channels.secrets": "비밀 값 (JSON)", "channels.create": "채널 만들기", "channels.snippet": "위젯 코드",
		"channels.copy": "복사", "channels.copied": "복사됨", "channels.inbound": "수신 URL", "channels.token": "토큰 (한 번만 표시)",
		"channels.webhookSecret": "웹훅 서명 비밀 값 (한 번만 표시)", "channels.save": "저장", "channels.enable": "사용", "channels.disable": "사용 중지",
		"agents.email": "이메일", "agents.name": "이름", "agents.role": "역할", "agents.active": "활성", "agents.invite": "상담원 초대",
		"agents.password": "초기 비밀번호", "agents.deactivate": "비활성화", "agents.activate": "활성화",
		"agents.admin": "관리자", "agents.agent": "상담원",
		"replies.name": "이름", "replies.body": "내용", "replies.hint": "치환자: {{contact.name}}, {{agent.name}}",
		"replies.create": "저장된 답변 추가", "replies.delete": "삭제",
		"quarantine.reason": "사유", "quarantine.channel": "채널", "quarantine.size": "크기", "quarantine.raw": "원본 내려받기",
		"quarantine.empty": "격리된 항목이 없습니다.", "quarantine.when": "수신 시각",
		"quarantine.retry": "다시 가져오기", "quarantine.retried": "가져왔습니다", "quarantine.resolved": "가져옴",
		"admin.deliveries": "전송 실패", "deliveries.hint": "답장과 알림은 자동으로 다시 시도됩니다(알림은 24시간 동안). 여기에 보이는 항목은 끝내 전송하지 못한 것입니다.",
		"deliveries.when": "실패 시각", "deliveries.what": "종류", "deliveries.reply": "답장", "deliveries.notify": "알림",
		"deliveries.ticket": "티켓", "deliveries.channel": "채널", "deliveries.attempts": "시도 횟수", "deliveries.reason": "사유",
		"deliveries.retry": "다시 보내기", "deliveries.retried": "다시 보내도록 넣었습니다", "deliveries.empty": "실패한 전송이 없습니다.",
		"deliveries.parked": "중단된 자동 처리", "deliveries.consumer": "처리", "deliveries.event": "이벤트", "deliveries.parkedEmpty": "중단된 자동 처리가 없습니다.",
		"error.title": "문제가 생겼습니다", "error.notFound": "찾을 수 없습니다", "error.forbidden": "권한이 없습니다",
		"help.title": "단축키", "help.close": "닫기", "help.move": "다음 / 이전 티켓", "help.open": "티켓 열기",
		"help.reply": "답장", "help.note": "메모", "help.resolve": "해결", "help.assign": "내게 배정", "help.search": "검색",
		"help.help": "이 도움말", "help.send": "보내기", "help.escape": "입력란 나가기 / 닫기",
		"kind.email": "이메일", "kind.widget": "채팅", "kind.slack": "Slack", "kind.discord": "Discord", "kind.api": "API",
		"common.error": "문제가 생겼습니다", "common.saved": "저장했습니다", "common.loading": "불러오는 중…",
		"ticket.edited": "수정됨", "ticket.deleted": "삭제됨", "nav.main": "주 메뉴", "composer.remove": "빼기",
	},
}

// translator returns the strings of one language.
type translator struct {
	lang string
	m    map[string]string
}

// T returns the string for key.
func (t translator) T(key string) string {
	if s, ok := t.m[key]; ok {
		return s
	}
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return key
}

// language picks the UI language: the cookie, else the first supported
// language in Accept-Language, else English.
func language(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil {
		if _, ok := catalog[c.Value]; ok {
			return c.Value
		}
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base, _, _ := strings.Cut(tag, "-")
		if q := strings.SplitN(part, ";", 2); len(q) == 2 && strings.TrimSpace(q[1]) == "q=0" {
			continue
		}
		if _, ok := catalog[base]; ok {
			return base
		}
	}
	return languages[0]
}

func translatorFor(lang string) translator {
	m, ok := catalog[lang]
	if !ok {
		lang, m = languages[0], catalog[languages[0]]
	}
	return translator{lang: lang, m: m}
}
