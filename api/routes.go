package api

import (
	"net/http"

	"github.com/hanbox/hanbox/web"
)

type authLevel int

const (
	authNone authLevel = iota
	authAgent
	authAdmin
)

// route is one API endpoint. The table below is the single source of both
// the mux and the OpenAPI document.
type route struct {
	Method  string
	Path    string // relative to /api/v1, with {param}s
	Auth    authLevel
	Summary string
	Body    string // name of the request schema, if any
	Result  string // name of the response schema
	Handler handlerFunc
}

func (a *API) routes() []route {
	rs := []route{
		{"POST", "/auth/login", authNone, "Sign in; returns a bearer token and sets the session cookie", "Login", "LoginResult", a.login},
		{"POST", "/auth/logout", authAgent, "Sign out this session", "", "OK", a.logout},
		{"GET", "/auth/me", authAgent, "The signed-in agent and the CSRF token for cookie sessions", "", "Me", a.me},
		{"POST", "/auth/password", authAgent, "Change your password", "PasswordChange", "OK", a.changePassword},

		{"GET", "/tickets", authAgent, "List tickets: status, assignee (me|unassigned|id), team (mine|id), mentions (me: tickets with a note mentioning you), channel, tag, q, sort (recent: latest activity first, the default; due: soonest running SLA due time first), cursor, limit", "", "TicketPage", a.listTickets},
		{"GET", "/tickets/export.csv", authAgent, "Tickets as CSV (UTF-8 with BOM; streamed), with the filters of GET /tickets (the tickets you may see)", "", "File", a.exportTickets},
		{"GET", "/tickets/counts", authAgent, "Ticket counts per view", "", "Counts", a.ticketCounts},
		{"GET", "/tickets/{id}", authAgent, "A ticket with its messages", "", "Ticket", a.getTicket},
		{"PATCH", "/tickets/{id}", authAgent, "Change status, assignee, tags, priority", "TicketPatch", "Ticket", a.patchTicket},
		{"POST", "/tickets/{id}/replies", authAgent, "Reply to the customer (queued for delivery)", "Reply", "Message", a.reply},
		{"POST", "/tickets/{id}/notes", authAgent, "Add a private note; mentions (agent ids) notify those agents and list the ticket in their mentions view", "Note", "Message", a.note},
		{"POST", "/tickets/{id}/read", authAgent, "Mark the ticket read for you (the web inbox does so when you open it): it is unread again when the customer writes", "", "OK", a.markRead},
		{"POST", "/tickets/{id}/merge", authAgent, "Merge another ticket into this one", "Merge", "OK", a.mergeTicket},
		{"POST", "/tickets/{id}/unmerge", authAgent, "Undo the merge of this ticket: its own messages and thread keys go back to it and it reopens", "", "OK", a.unmergeTicket},
		{"GET", "/tickets/{id}/links", authAgent, "The conversation page links of this ticket (and of tickets merged into it): recipient, state, openings", "", "ConversationLinkList", a.listConversationLinks},
		{"DELETE", "/tickets/{id}/links/{link}", authAgent, "Revoke a conversation page link: it stops opening, open pages close, the next email carries a new one", "", "OK", a.revokeConversationLink},
		{"POST", "/tickets/{id}/draft", authAgent, "Draft a reply to the customer's latest message with the generative-answers provider, grounded only on retrieved published articles and this conversation; the agent edits and sends it. Without a provider, or when it fails, text is empty, fallback says why, and suggestions lists the articles. Rate-limited per agent (api.DraftBurst at once, refilled over a minute): 429 rate_limited with Retry-After", "", "AssistDraft", a.draftReply},
		{"GET", "/tickets/{id}/mentionable", authAgent, "The agents a note on this ticket may mention (@name): active agents who can see the ticket (admins, and its team's members when the team is restricted); mentions of anyone else are dropped", "", "AgentList", a.mentionableAgents},
		{"POST", "/tickets/{id}/presence", authAgent, "Announce viewing or typing on a ticket", "Presence", "OK", a.presence},
		{"POST", "/messages/{id}/retry", authAgent, "Retry a failed delivery", "", "OK", a.retryMessage},

		{"GET", "/contacts", authAgent, "List or search contacts (q)", "", "ContactList", a.listContacts},
		{"POST", "/contacts/import", authAdmin, "Import contacts from CSV (the body, or the form part named file; UTF-8 with or without BOM, UTF-16 with BOM, CP949/EUC-KR as Korean Excel saves it): columns email (required), name, tags, attributes by key or label; deduplicated by email (existing contacts are updated, empty cells change nothing); rejected rows are reported with reasons. dry_run=true previews without writing. At most 200,000 rows and 64 MiB by default", "", "ContactImportResult", a.importContacts},
		{"GET", "/contacts/export.csv", authAdmin, "Contacts as CSV (UTF-8 with BOM; streamed): id, email, name, tags, every attribute by key, created_at; filters q and tag; the header imports back as it is", "", "File", a.exportContacts},
		{"GET", "/contacts/{id}", authAgent, "A contact with identities and tickets", "", "Contact", a.getContact},
		{"GET", "/contacts/{id}/opt-outs", authAgent, "What the contact asked not to receive (surveys, marketing), and the topics there are", "", "OptOutList", a.listOptOuts},
		{"PUT", "/contacts/{id}/opt-outs/{topic}", authAgent, "Opt the contact out of a topic (surveys or marketing), as an agent", "", "OptOutList", a.putOptOut},
		{"DELETE", "/contacts/{id}/opt-outs/{topic}", authAgent, "Withdraw the contact's opt-out of a topic", "", "OptOutList", a.deleteOptOut},
		{"POST", "/contacts/{id}/merge", authAgent, "Merge another contact into this one", "Merge", "OK", a.mergeContact},
		{"POST", "/contacts/{id}/unmerge", authAgent, "Undo the merge of this (merged) contact: its identities, conversations, attributes, events and page visits go back to it", "", "OK", a.unmergeContact},
		{"PATCH", "/contacts/{id}", authAgent, "Set a contact's attributes ({id}: contact id, email, or external user id; user:42 for a numeric one)", "ContactPatch", "Profile", a.patchContact},
		{"GET", "/contacts/{id}/profile", authAgent, "A contact's attributes and latest events ({id} as for PATCH)", "", "Profile", a.getProfile},
		{"POST", "/contacts/{id}/events", authAgent, "Record an event of a contact: name, at (default now), properties ({id} as for PATCH)", "ContactEventBody", "ContactEvent", a.addContactEvent},
		{"GET", "/attributes", authAgent, "Contact attribute definitions: built-ins, then custom ones, with the segment operators of each type", "", "AttributeDefList", a.listAttributeDefs},
		{"POST", "/attributes", authAdmin, "Define a custom contact attribute: key, label_ko, label_en, type (text, number, boolean, date)", "AttributeDefBody", "AttributeDef", a.createAttributeDef},
		{"PATCH", "/attributes/{key}", authAdmin, "Change a custom attribute's labels (its type is fixed)", "AttributeDefBody", "AttributeDef", a.patchAttributeDef},
		{"DELETE", "/attributes/{key}", authAdmin, "Delete a custom attribute and every value of it", "", "OK", a.deleteAttributeDef},
		{"GET", "/segments", authAgent, "Saved segments", "", "SegmentList", a.listSegments},
		{"POST", "/segments", authAdmin, "Save a segment: name, definition {match all|any, conditions}", "SegmentBody", "Segment", a.createSegment},
		{"POST", "/segments/preview", authAgent, "Count and preview an unsaved segment definition (limit, default 10; before for the next page)", "SegmentDef", "SegmentContacts", a.previewSegment},
		{"GET", "/segments/{id}", authAgent, "A segment", "", "Segment", a.getSegment},
		{"PUT", "/segments/{id}", authAdmin, "Replace a segment's name and definition", "SegmentBody", "Segment", a.putSegment},
		{"DELETE", "/segments/{id}", authAdmin, "Delete a segment", "", "OK", a.deleteSegment},
		{"GET", "/segments/{id}/contacts", authAgent, "The contacts a segment matches now, newest first, with the count (limit ≤ 500, before)", "", "SegmentContacts", a.segmentContacts},

		{"GET", "/channel-kinds", authAgent, "The kinds of channel, each with its settings form: fields, types, defaults, help in Korean and English, which keys are secrets", "", "ChannelKindList", a.listChannelKinds},
		{"GET", "/channels", authAgent, "List channels", "", "ChannelList", a.listChannels},
		{"POST", "/channels", authAdmin, "Create a channel; the inbound token is shown once", "ChannelCreate", "Channel", a.createChannel},
		{"GET", "/channels/{id}", authAgent, "A channel", "", "Channel", a.getChannel},
		{"PATCH", "/channels/{id}", authAdmin, "Change a channel", "ChannelPatch", "Channel", a.patchChannel},
		{"DELETE", "/channels/{id}", authAdmin, "Disable and remove a channel with no tickets", "", "OK", a.deleteChannel},
		{"POST", "/channels/{id}/token", authAdmin, "Rotate the inbound token", "", "Channel", a.rotateChannelToken},
		{"GET", "/channels/{id}/csat", authAgent, "The channel's CSAT survey setting (on/off, delay, texts)", "", "CSATSetting", a.getCSATSetting},
		{"PUT", "/channels/{id}/csat", authAdmin, "Set the channel's CSAT survey: on/off, delay, question and thank-you in Korean and English", "CSATSettingBody", "CSATSetting", a.putCSATSetting},
		{"GET", "/surveys", authAgent, "Survey requests and answers, newest first: kind, ticket, contact, channel, agent, nps_survey, min_score, max_score, answered=true, from, to (answer time), limit", "", "SurveyList", a.listSurveys},
		{"GET", "/surveys/export.csv", authAgent, "The same survey list as CSV (UTF-8 with BOM; up to 1000 rows, or limit)", "", "File", a.exportSurveys},
		{"GET", "/surveys/nps-score", authAgent, "NPS (% promoters 9-10 minus % detractors 0-6) for the survey filters (kind is nps)", "", "NPSScore", a.npsScore},
		{"GET", "/nps-surveys", authAgent, "NPS survey definitions", "", "NPSSurveyList", a.listNPSSurveys},
		{"POST", "/nps-surveys", authAdmin, "Create an NPS survey: texts, audience, schedule (first round, repeats), channels, caps, quiet hours; planned at once", "NPSSurveyBody", "NPSSurvey", a.createNPSSurvey},
		{"GET", "/nps-surveys/{id}", authAgent, "An NPS survey definition", "", "NPSSurvey", a.getNPSSurvey},
		{"PUT", "/nps-surveys/{id}", authAdmin, "Replace an NPS survey definition and plan it again (rounds sent stay sent)", "NPSSurveyBody", "NPSSurvey", a.putNPSSurvey},
		{"DELETE", "/nps-surveys/{id}", authAdmin, "Delete an NPS survey: nothing more is sent; its answers stay", "", "OK", a.deleteNPSSurvey},
		{"GET", "/campaigns", authAgent, "Life-cycle messages (campaigns) with their statistics: sent, delivered, failed, seen, clicked, dismissed, replied, unsubscribed, goal reached", "", "CampaignList", a.listCampaigns},
		{"POST", "/campaigns", authAdmin, "Create a campaign: audience (segment or everyone), channel (email, widget), trigger (event, milestone, schedule, inactivity, onboarding, page), ko/en content, consent, cap, quiet hours", "CampaignBody", "Campaign", a.createCampaign},
		{"POST", "/campaigns/preview", authAgent, "A campaign's subject and body as a contact (or a nameless one) would get them, in ko or en", "CampaignPreviewBody", "CampaignPreview", a.previewCampaign},
		{"GET", "/campaigns/{id}", authAgent, "A campaign with its statistics", "", "Campaign", a.getCampaign},
		{"PUT", "/campaigns/{id}", authAdmin, "Replace a campaign and plan it again (messages sent stay sent, once per contact and round)", "CampaignBody", "Campaign", a.putCampaign},
		{"DELETE", "/campaigns/{id}", authAdmin, "Delete a campaign: nothing more is sent; its statistics stay", "", "OK", a.deleteCampaign},
		{"GET", "/surveys/csat-score", authAgent, "CSAT score (answers 4-5 of 5 / all answers x 100) for the survey filters, overall and by=agent|channel|team", "", "CSATScores", a.csatScores},
		{"POST", "/channels/{id}/inbound", authNone, "Push a customer message (api channel; channel token as bearer)", "Inbound", "InboundResult", a.channelInbound},

		{"GET", "/sla-policies", authAgent, "List SLA policies", "", "SLAPolicyList", a.listSLAPolicies},
		{"POST", "/sla-policies", authAdmin, "Create an SLA policy: name, priority and/or team_id it applies to, first_response_minutes and resolution_minutes in business minutes of the ticket's team, warn_percent (default 80) or warn_minutes before, enabled", "SLAPolicyBody", "SLAPolicy", a.createSLAPolicy},
		{"GET", "/sla-policies/{id}", authAgent, "An SLA policy", "", "SLAPolicy", a.getSLAPolicy},
		{"PUT", "/sla-policies/{id}", authAdmin, "Replace an SLA policy (tickets take the change when they next change)", "SLAPolicyBody", "SLAPolicy", a.putSLAPolicy},
		{"DELETE", "/sla-policies/{id}", authAdmin, "Delete an SLA policy", "", "OK", a.deleteSLAPolicy},
		{"GET", "/rules", authAdmin, "Automation rules in evaluation order", "", "RuleList", a.listRules},
		{"POST", "/rules", authAdmin, "Create an automation rule (added last): when trigger, if conditions (all or any), then actions; stop_after ends the evaluation", "RuleBody", "Rule", a.createRule},
		{"POST", "/rules/order", authAdmin, "Set the evaluation order of the rules (every rule id once)", "RuleOrder", "RuleList", a.orderRules},
		{"POST", "/rules/dry-run", authAdmin, "Try an unsaved rule on the most recent tickets (limit, default 50): which would match and what its actions would do; changes nothing", "RuleDryRun", "RuleDryRunResult", a.dryRunRule},
		{"GET", "/rules/{id}", authAdmin, "An automation rule", "", "Rule", a.getRule},
		{"PUT", "/rules/{id}", authAdmin, "Replace a rule (its position stays; a webhook action without a secret keeps its secret)", "RuleBody", "Rule", a.putRule},
		{"DELETE", "/rules/{id}", authAdmin, "Delete a rule", "", "OK", a.deleteRule},

		{"GET", "/agents", authAgent, "List agents", "", "AgentList", a.listAgents},
		{"POST", "/agents", authAdmin, "Invite an agent", "AgentCreate", "Agent", a.createAgent},
		{"GET", "/agents/{id}", authAdmin, "An agent", "", "Agent", a.getAgent},
		{"PATCH", "/agents/{id}", authAdmin, "Change an agent's name, role, active flag or concurrent-chat cap (chat_cap, default 3), or reset the password", "AgentPatch", "Agent", a.patchAgent},
		{"GET", "/agents/me/profile", authAgent, "Your own settings: display name, language, signature, notifications", "", "AgentProfile", a.getMyProfile},
		{"PATCH", "/agents/me/profile", authAgent, "Change your own display name, language, signature (and when it is added) and notification settings", "AgentProfilePatch", "AgentProfile", a.patchMyProfile},
		{"PUT", "/agents/me/avatar", authAgent, "Upload your avatar: the body is a PNG, JPEG or GIF picture (at most 2 MiB and 4096 pixels a side); Hanbox keeps its centre square re-encoded as a 128-pixel PNG, never the uploaded bytes (413 avatar_too_large, 415 avatar_type, 422 avatar_invalid)", "", "AgentProfile", a.putMyAvatar},
		{"DELETE", "/agents/me/avatar", authAgent, "Remove your avatar (your initials show again)", "", "AgentProfile", a.deleteMyAvatar},
		{"GET", "/avatars/{sum}", authNone, "An agent's avatar (image/png, by the name in avatar_url; cached for a year); only current avatars are served", "", "File", a.getAvatar},
		{"PUT", "/agents/me/availability", authAgent, "Set your availability: online (auto-assignment gives you tickets), away or offline", "Availability", "Agent", a.setAvailability},

		{"GET", "/teams", authAgent, "List teams with members, default channels and queue length", "", "TeamList", a.listTeams},
		{"POST", "/teams", authAdmin, "Create a team: name_ko, name_en, auto_assign, chat_cap (overrides members' caps), count_email, channel_ids (default team of those channels), member_ids, business_hours {time_zone (default Asia/Seoul), weekly {mon: [[\"09:00\",\"18:00\"]]}, holidays}", "TeamCreate", "Team", a.createTeam},
		{"GET", "/teams/{id}", authAgent, "A team", "", "Team", a.getTeam},
		{"PATCH", "/teams/{id}", authAdmin, "Change a team (absent fields are kept; chat_cap 0 removes the team's cap)", "TeamPatch", "Team", a.patchTeam},
		{"DELETE", "/teams/{id}", authAdmin, "Delete a team: its tickets keep their assignees and lose the team", "", "OK", a.deleteTeam},
		{"PUT", "/teams/{id}/members/{agent}", authAdmin, "Add an agent to a team", "", "Team", a.addTeamMember},
		{"DELETE", "/teams/{id}/members/{agent}", authAdmin, "Remove an agent from a team", "", "Team", a.removeTeamMember},

		{"GET", "/tokens", authAgent, "Your API tokens", "", "TokenList", a.listTokens},
		{"POST", "/tokens", authAgent, "Create an API token (shown once)", "TokenCreate", "Token", a.createToken},
		{"DELETE", "/tokens/{id}", authAgent, "Revoke an API token", "", "OK", a.deleteToken},

		{"GET", "/saved-replies", authAgent, "Saved replies", "", "SavedReplyList", a.listSavedReplies},
		{"POST", "/saved-replies", authAdmin, "Create a saved reply", "SavedReplyCreate", "SavedReply", a.createSavedReply},
		{"PATCH", "/saved-replies/{id}", authAdmin, "Change a saved reply's name and body", "SavedReplyPatch", "SavedReply", a.patchSavedReply},
		{"DELETE", "/saved-replies/{id}", authAdmin, "Delete a saved reply", "", "OK", a.deleteSavedReply},

		{"GET", "/kb/articles", authAgent, "Knowledge-base articles, drafts included: locale, status, category, limit, offset", "", "KBArticleList", a.listKBArticles},
		{"POST", "/kb/articles", authAgent, "Write a knowledge-base article (Markdown body; status draft or published; locale ko or en)", "KBArticleCreate", "KBArticle", a.createKBArticle},
		{"GET", "/kb/articles/{id}", authAgent, "A knowledge-base article with its rendered, sanitized HTML", "", "KBArticle", a.getKBArticle},
		{"PATCH", "/kb/articles/{id}", authAgent, "Change an article: title, body, category, locale, slug, status", "KBArticlePatch", "KBArticle", a.patchKBArticle},
		{"DELETE", "/kb/articles/{id}", authAgent, "Delete an article with its images and attachments", "", "OK", a.deleteKBArticle},
		{"POST", "/kb/articles/{id}/files", authAgent, "Upload an image or attachment of an article (name, base64 data; PNG, JPEG, GIF, WebP or PDF by content, at most 5 MiB); the answer has the Markdown to paste. The help center serves it only while the article is public", "KBFileBody", "KBFile", a.uploadKBFile},
		{"GET", "/kb/articles/{id}/files", authAgent, "An article's images and attachments", "", "KBFileList", a.listKBFiles},
		{"DELETE", "/kb/articles/{id}/files/{file}", authAgent, "Delete an image or attachment of an article (404 when the article has no such file); its bytes are removed unless a message, an upload or another article holds the same", "", "OK", a.deleteKBFile},
		{"POST", "/kb/preview", authAgent, "Render a Markdown body as the help center will show it (sanitized HTML)", "KBPreview", "KBPreviewResult", a.previewKB},
		{"GET", "/kb/search", authAgent, "Search articles (q, locale, limit); every word must match, Korean particles allowed (\"배송\" finds \"배송이\"); title matches first, then the most recently updated", "", "KBHitList", a.searchKB},
		{"GET", "/kb/public/{id}", authNone, "A published article for anyone (the widget's help tab): title, sanitized HTML, help-center URL; drafts are 404; rate-limited per address", "", "KBPublicArticle", a.publicKBArticle},
		{"GET", "/kb/self-served", authAgent, "Help visits that ended self-served (the visitor said an article answered their question): count and per-article counts, between from and to", "", "SelfServedCounts", a.selfServed},
		{"GET", "/kb/help-settings", authAdmin, "The help center's category restriction: restricted, categories (the public ones), all_categories", "", "HelpSettings", a.getHelpSettings},
		{"PUT", "/kb/help-settings", authAdmin, "Restrict the public help center to chosen categories (restricted false: every category is public); articles of other categories are 404 publicly, like drafts", "HelpSettingsBody", "HelpSettings", a.putHelpSettings},
		{"GET", "/kb/suggest", authNone, "Published articles that may answer a customer's question (q, locale, limit ≤ 10); public and rate-limited per address", "", "KBSuggestList", a.suggestKB},

		{"GET", "/webhooks", authAdmin, "Event webhook subscriptions (failing: deliveries have failed for over an hour) and the event types one may choose", "", "WebhookList", a.listWebhooks},
		{"POST", "/webhooks", authAdmin, "Subscribe an endpoint (https://; http:// only for localhost) to event types; the signing secret is shown once", "WebhookBody", "Webhook", a.createWebhook},
		{"GET", "/webhooks/{id}", authAdmin, "A webhook subscription", "", "Webhook", a.getWebhook},
		{"PATCH", "/webhooks/{id}", authAdmin, "Change a subscription's name, URL, event types or enabled flag (absent fields are kept)", "WebhookBody", "Webhook", a.patchWebhook},
		{"DELETE", "/webhooks/{id}", authAdmin, "Remove a subscription and its delivery log", "", "OK", a.deleteWebhook},
		{"POST", "/webhooks/{id}/secret", authAdmin, "Regenerate the signing secret (shown once; the old one stops at once)", "", "Webhook", a.regenerateWebhookSecret},
		{"GET", "/webhooks/{id}/deliveries", authAdmin, "The subscription's delivery log, newest first: status, attempts, response code and snippet, error, duration (before, limit)", "", "WebhookDeliveryList", a.listWebhookDeliveries},
		{"POST", "/webhooks/{id}/deliveries/{delivery}/redeliver", authAdmin, "Send a past delivery's payload again, as a new delivery", "", "WebhookDelivery", a.redeliverWebhook},
		{"POST", "/webhooks/{id}/test", authAdmin, "Queue a webhook.test delivery to the subscription", "", "WebhookDelivery", a.testWebhook},

		{"GET", "/audit", authAdmin, "The audit log, newest first: admin actions, sign-ins, failed sign-ins, password changes and resets, token creation, exports; who, when, from where, what changed (secrets redacted). Filters: actor (agent id), action (exact, or a prefix ending in \".\"), from, to (RFC 3339 or YYYY-MM-DD), before (entry id), limit", "", "AuditList", a.listAudit},
		{"GET", "/audit/export.csv", authAdmin, "The same audit log as CSV (UTF-8 with BOM; up to 5000 rows, or limit)", "", "File", a.exportAudit},

		{"GET", "/assist/settings", authAdmin, "The generative-answers provider (OpenAI-compatible chat completions): enabled, base_url, model, timeout_ms, api_key_set (the key is never returned)", "", "AssistSettings", a.getAssistSettings},
		{"PUT", "/assist/settings", authAdmin, "Change the provider: enabled, base_url, model, timeout_ms, api_key (write-only; empty keeps it), clear_api_key", "AssistSettingsBody", "AssistSettings", a.putAssistSettings},
		{"GET", "/assist/channels", authAdmin, "Every channel's answer-bot setting: ai_answers and the handoff team a generative-answers handoff files an unfiled ticket to", "", "AssistChannelList", a.listAssistChannels},
		{"PUT", "/assist/channels/{id}", authAdmin, "Set a channel's handoff team (handoff_team_id; null or 0: none). On a handoff (\"talk to a human\", the model does not know, the provider fails, the answer limit) the ticket goes to that team when it has none, with the collected context as a note", "AssistChannelBody", "AssistChannel", a.putAssistChannel},
		{"GET", "/bot/flows", authAdmin, "The answer bot's flows, one per widget channel", "", "BotFlowList", a.listBotFlows},
		{"POST", "/bot/flows", authAdmin, "Create a widget channel's bot flow: channel_id, enabled, greeting_ko, greeting_en, steps [{kind: name|email|order|department, required, prompt_ko, prompt_en, options [{label_ko, label_en, team_id}]}], hold_minutes (1–1440, default 10: how long a quiet visitor holds the ticket from auto-assignment)", "BotFlowBody", "BotFlow", a.createBotFlow},
		{"GET", "/bot/flows/{id}", authAdmin, "A bot flow", "", "BotFlow", a.getBotFlow},
		{"PUT", "/bot/flows/{id}", authAdmin, "Replace a bot flow (same fields as create)", "BotFlowBody", "BotFlow", a.putBotFlow},
		{"DELETE", "/bot/flows/{id}", authAdmin, "Delete a bot flow; conversations it was in go on with a person", "", "OK", a.deleteBotFlow},

		{"GET", "/attachments/{id}", authAgent, "Download an attachment", "", "File", a.attachment},
		{"GET", "/quarantine", authAdmin, "Inbound input that could not be parsed", "", "QuarantineList", a.listQuarantine},
		{"GET", "/quarantine/{id}/raw", authAdmin, "The raw bytes of a quarantined item", "", "File", a.quarantineRaw},
		{"POST", "/quarantine/{id}/retry", authAdmin, "Import a quarantined item again through its channel", "", "OK", a.retryQuarantine},
		{"GET", "/deliveries/failed", authAdmin, "Replies and notifications whose delivery failed for good, with the reason", "", "FailedDeliveryList", a.listFailedDeliveries},
		{"POST", "/deliveries/{id}/retry", authAdmin, "Queue a failed delivery again by its outbox id", "", "OK", a.retryFailedDelivery},
		{"GET", "/parked-events", authAdmin, "Events an automatic reaction gave up on after repeated failures", "", "ParkedEventList", a.listParkedEvents},
		{"POST", "/parked-events/{id}/retry", authAdmin, "Hand a parked event to its reaction again", "", "OK", a.retryParkedEvent},
		{"GET", "/jobs/failed", authAdmin, "Scheduled jobs (survey rounds, SLA timers, campaign sends) that gave up after repeated failures", "", "FailedJobList", a.listFailedJobs},
		{"POST", "/jobs/{id}/retry", authAdmin, "Run a failed scheduled job again", "", "OK", a.retryFailedJob},
		{"GET", "/events", authAgent, "Server-sent events: ticket and message changes, presence", "", "EventStream", a.events},
		{"GET", "/openapi.json", authNone, "This document", "", "OpenAPI", a.openapi},
	}
	return append(rs, a.reportRoutes()...)
}

// IdempotencyHeader makes reply and note creation once-only: the same key
// (per agent) with the same body within inbox.IdempotencyRetention returns
// the first result without sending again; with another body it is a 422.
const IdempotencyHeader = "Idempotency-Key"

// headerParams documents the request headers a route reads, by
// "METHOD path" as in the table above.
var headerParams = map[string][]any{
	"POST /tickets/{id}/replies":    {idempotencyParam},
	"POST /tickets/{id}/notes":      {idempotencyParam},
	"GET /audit":                    auditParams,
	"GET /audit/export.csv":         auditParams,
	"GET /webhooks/{id}/deliveries": {queryParam("before", "a delivery id: older deliveries"), queryParam("limit", "at most 500, default 50")},
	"POST /contacts/import":         importParams,
	"GET /contacts/export.csv":      contactExportParams,
	"GET /tickets/export.csv":       ticketExportParams,
	"GET /kb/search":                {queryParam("q", "the search words"), queryParam("locale", "ko or en; empty: both"), queryParam("limit", "at most 100, default 10")},
	"GET /kb/suggest":               {queryParam("q", "the customer's question"), queryParam("locale", "ko or en; empty: both"), queryParam("limit", "at most 10, default 3")},
	"GET /kb/self-served":           {queryParam("from", "RFC 3339 time or YYYY-MM-DD (inclusive)"), queryParam("to", "RFC 3339 time or YYYY-MM-DD (exclusive)")},
}

var auditParams = []any{queryParam("actor", "an agent id"), queryParam("action", "an action, or a prefix ending in \".\" (channels.)"),
	queryParam("from", "RFC 3339 or YYYY-MM-DD (Asia/Seoul)"), queryParam("to", "RFC 3339 (exclusive) or YYYY-MM-DD (that day included)"),
	queryParam("before", "an entry id: older entries"), queryParam("limit", "at most 5000")}

func queryParam(name, desc string) map[string]any {
	return map[string]any{"name": name, "in": "query", "required": false, "schema": map[string]any{"type": "string"}, "description": desc}
}

var idempotencyParam = map[string]any{
	"name": IdempotencyHeader, "in": "header", "required": false,
	"schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 255},
	"description": "One key per composed message, reused on every retry of it. The same key (per agent) with the same body " +
		"within 24 hours returns the message the first request created, with the same status, and sends nothing again; " +
		"the same key with a different body is refused with 422 (code idempotency_key_reused). Keys are forgotten after 24 hours.",
}

// Mount registers every route on mux under /api/v1, plus a JSON 404 for
// unknown API paths.
func (a *API) Mount(mux *http.ServeMux) {
	a.gets, a.getResults = map[string]handlerFunc{}, map[string]string{}
	for _, rt := range a.routes() {
		if rt.Method == http.MethodGet && rt.Result != "File" && rt.Result != "EventStream" {
			a.gets[rt.Path], a.getResults[rt.Path] = rt.Handler, rt.Result
		}
	}
	for _, rt := range a.routes() {
		mux.Handle(rt.Method+" /api/v1"+rt.Path, a.wrap(rt))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		if err := web.CheckURL(r); err != nil {
			a.render(w, r, err)
			return
		}
		a.render(w, r, errf(http.StatusNotFound, "not_found", "no such endpoint"))
	})
}
