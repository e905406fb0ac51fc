package discord

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/hanbox/hanbox/inbox"
)

// Survey requests (CSAT and NPS) are posted with one button per score
// (message components); a click reaches the bot as an INTERACTION_CREATE
// on the gateway session it already holds. Hanbox does not set an
// Interactions Endpoint URL for the application: with one set, Discord
// would post interactions to that URL (signed with Ed25519) instead of
// the gateway, and there is no public endpoint to verify them at. Gateway
// events are authenticated by the bot token's session, so there is no
// signature to check here.
//
// A click is answered with an ephemeral message only the clicker sees: the
// thank-you, or why it was refused. The answer is stored through the inbox
// (only the survey's own customer may answer; the same score twice is a
// no-op), so a replayed interaction (a RESUME) stores nothing twice.

// ActionRate prefixes a rating button's custom id:
// "hanbox_rate:<survey public id>:<score>".
const ActionRate = "hanbox_rate"

// maxRowButtons is Discord's limit of buttons in one action row.
const maxRowButtons = 5

// surveyComponents renders a survey request as action rows of buttons,
// five per row: CSAT's five scores (labelled) fit one row, NPS's eleven
// three.
func surveyComponents(sv *inbox.SurveyRequest) []discordgo.MessageComponent {
	labels := inbox.SurveyLabels(sv.Locale)
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	for _, n := range sv.Choices() {
		label := strconv.Itoa(n)
		style := discordgo.SecondaryButton
		switch {
		case sv.Style == inbox.ScaleThumbs && n == 1:
			label = "👎 " + labels[0]
		case sv.Style == inbox.ScaleThumbs:
			label, style = "👍 "+labels[len(labels)-1], discordgo.PrimaryButton
		case sv.Lowest() == 1 && n <= len(labels):
			label += " " + labels[n-1]
		}
		row = append(row, discordgo.Button{Label: label, Style: style,
			CustomID: ActionRate + ":" + sv.PublicID + ":" + strconv.Itoa(n)})
		if len(row) == maxRowButtons {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

// Ephemeral answers to a rating click (both languages: the clicker's
// locale is not known for sure).
const (
	rateClosed  = "이 설문은 마감되었습니다. / This survey has closed."
	rateNotYour = "이 평가는 요청받은 고객님만 남기실 수 있습니다. / Only the customer who was asked can answer this."
	rateFailed  = "평가를 저장하지 못했습니다. 잠시 후 다시 눌러 주세요. / Your rating could not be saved; please try again shortly."
)

// onInteraction handles a gateway INTERACTION_CREATE: a rating button
// click is recorded and answered; other interactions are not Hanbox's.
func (c *Channel) onInteraction(ctx context.Context, i *discordgo.Interaction) {
	if i == nil || i.Type != discordgo.InteractionMessageComponent {
		return
	}
	data, ok := i.Data.(discordgo.MessageComponentInteractionData)
	if !ok {
		return
	}
	arg, ok := strings.CutPrefix(data.CustomID, ActionRate+":")
	if !ok {
		return
	}
	reply := c.rate(ctx, i, arg)
	err := c.rest.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: reply, Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}},
	}, discordgo.WithContext(ctx))
	if err != nil {
		c.log.Warn("discord: answer rating click", "err", err, "interaction_id", i.ID)
	}
}

// rate records a click ("<survey>:<score>") and returns what the clicker
// is told.
func (c *Channel) rate(ctx context.Context, i *discordgo.Interaction, arg string) string {
	publicID, scoreStr, _ := strings.Cut(arg, ":")
	score, err := strconv.Atoi(scoreStr)
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if err != nil || publicID == "" || user == nil || c.deps.Desk == nil {
		return rateNotYour
	}
	a, err := c.deps.Desk.AnswerSurveyByIdentity(ctx, inbox.IdentityDiscord, user.ID, publicID, score, "")
	switch {
	case errors.Is(err, inbox.ErrSurveyExpired):
		return rateClosed
	case errors.Is(err, inbox.ErrNotFound) || errors.Is(err, inbox.ErrInvalid):
		return rateNotYour
	case err != nil:
		c.log.Error("discord: store rating", "err", err, "survey", publicID)
		return rateFailed
	}
	_, _, thanks := a.Texts(a.Locale)
	return thanks
}
