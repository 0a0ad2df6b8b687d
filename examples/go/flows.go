package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"connectrpc.com/connect"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
)

// voiceFlow: the agent starts a share on a call and reads the key aloud, the customer types it into the org's app.
// The agent ends the session.
func voiceFlow(ctx context.Context, cfg config) (*screensharev1.Session, error) {
	p := newPlatform(cfg)
	callID, agentID := unique("call"), unique("agent")
	if err := p.register(ctx, callID, agentID, screensharev1.Channel_CHANNEL_VOICE); err != nil {
		return nil, fmt.Errorf("RegisterInteraction: %w", err)
	}
	a, started, err := startShare(ctx, cfg, p, agentID, callID)
	if err != nil {
		return nil, err
	}
	key := started.GetSecurityKey()
	fmt.Printf("voice: the agent reads the key aloud: %q (a key survives %d wrong attempts in the org)\n", key.GetDisplay(), key.GetAttemptsRemaining())
	watched := a.follow(ctx, started.GetSessionId())

	// An agent runs one screen share at a time: a second start is refused, and a typed detail names the live one.
	_, err = a.start(ctx, callID, "")
	conflict, ok := detail[*screensharev1.LiveSessionConflict](err)
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !ok || conflict.GetSessionId() != started.GetSessionId() {
		return nil, fmt.Errorf("a second StartScreenShare should fail with FAILED_PRECONDITION naming session %s, got %v", started.GetSessionId(), err)
	}
	fmt.Println("voice: a second start is refused: the agent already runs session", conflict.GetSessionId())

	c := newCustomer(cfg)
	// A missed digit costs no attempt: INVALID_ARGUMENT, with a FieldViolation saying which field and how to fix it.
	typo := key.GetDisplay()[:len(key.GetDisplay())-1]
	_, err = c.redeem(ctx, typo)
	violation, ok := detail[*screensharev1.FieldViolation](err)
	if connect.CodeOf(err) != connect.CodeInvalidArgument || !ok || violation.GetField() != "security_key" {
		return nil, fmt.Errorf("redeeming %q should fail with INVALID_ARGUMENT and a FieldViolation for security_key, got %v", typo, err)
	}
	fmt.Printf("voice: the customer typed %q: %s %s\n", typo, violation.GetField(), violation.GetDescription())
	if _, err := c.redeem(ctx, key.GetDisplay()); err != nil {
		return nil, fmt.Errorf("RedeemSecurityKey: %w", err)
	}
	fmt.Println("voice: the customer typed the key and clicked \"Share your screen\"")
	ended, err := shareAndEnd(ctx, cfg, a, c, watched, started.GetSessionId(), "agent")
	if err != nil {
		return nil, err
	}
	return ended, p.hangUp(ctx, callID)
}

// chatFlow: the agent starts a share on a chat, the customer's chat window shows the invitation and the customer
// accepts it. The customer ends the session.
func chatFlow(ctx context.Context, cfg config) (*screensharev1.Session, error) {
	p := newPlatform(cfg)
	chatID, agentID := unique("chat"), unique("agent")
	if err := p.register(ctx, chatID, agentID, screensharev1.Channel_CHANNEL_CHAT); err != nil {
		return nil, fmt.Errorf("RegisterInteraction: %w", err)
	}
	credential, err := p.customerCredential(ctx, chatID)
	if err != nil {
		return nil, fmt.Errorf("IssueCustomerCredential: %w", err)
	}
	c := newCustomer(cfg)
	type invited struct {
		invitation *screensharev1.Invitation
		err        error
	}
	invitations := make(chan invited, 1)
	go func() {
		invitation, err := c.nextInvitation(ctx, credential)
		invitations <- invited{invitation, err}
	}()

	a, started, err := startShare(ctx, cfg, p, agentID, chatID)
	if err != nil {
		return nil, err
	}
	watched := a.follow(ctx, started.GetSessionId())
	fmt.Println("chat: the agent started a screen share:", started.GetState())

	got := <-invitations
	if got.err != nil {
		return nil, fmt.Errorf("WatchInvitations: %w", got.err)
	}
	if got.invitation.GetSessionId() != started.GetSessionId() {
		return nil, fmt.Errorf("invited to session %s, expected %s", got.invitation.GetSessionId(), started.GetSessionId())
	}
	fmt.Printf("chat: the customer's chat window shows the invitation (until %s) and the customer clicks \"Accept\"\n", got.invitation.GetExpiresAt().AsTime().Format(time.TimeOnly))
	if _, err := c.accept(ctx, credential, got.invitation.GetSessionId()); err != nil {
		return nil, fmt.Errorf("AcceptInvitation: %w", err)
	}
	ended, err := shareAndEnd(ctx, cfg, a, c, watched, started.GetSessionId(), "customer")
	if err != nil {
		return nil, err
	}
	// A sharer credential dies with its session.
	if _, err := c.mediaRoom(ctx, started.GetSessionId()); connect.CodeOf(err) != connect.CodeUnauthenticated {
		return nil, fmt.Errorf("the sharer credential should stop working when the session ends, got %v", err)
	}
	return ended, p.hangUp(ctx, chatID)
}

// shareAndEnd takes a linked session through screen selection (and sharing, with --screen external) to its end,
// by the agent or by the customer, and checks what WatchSession reported on the way.
func shareAndEnd(ctx context.Context, cfg config, a *agent, c *customer, watched *session, sessionID, endedBy string) (*screensharev1.Session, error) {
	current, err := watched.until(ctx, screensharev1.SessionState_SESSION_STATE_SELECTING_SCREEN)
	if err != nil {
		return nil, err
	}
	room, err := c.mediaRoom(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("GetSharerMediaJoinInfo: %w", err)
	}
	fmt.Printf("the customer chooses a screen, to publish in LiveKit room %s at %s\n", room.GetRoomName(), room.GetServerUrl())
	if cfg.screen == "external" {
		line, err := json.Marshal(map[string]string{"url": room.GetServerUrl(), "token": room.GetParticipantToken()})
		if err != nil {
			return nil, err
		}
		fmt.Printf("publish-screen %s\n", line)
		if current, err = watched.until(ctx, screensharev1.SessionState_SESSION_STATE_SHARING); err != nil {
			return nil, err
		}
		fmt.Println("the agent sees the customer's screen:", current.GetState())
	}
	viewerRoom, err := a.mediaRoom(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("GetViewerMediaJoinInfo: %w", err)
	}
	fmt.Printf("the agent's console watches room %s as %s\n", viewerRoom.GetRoomName(), viewerRoom.GetParticipantIdentity())

	var ended *screensharev1.Session
	if endedBy == "agent" {
		ended, err = a.end(ctx, current)
	} else {
		ended, err = c.stop(ctx, sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("ending the session: %w", err)
	}
	final, err := watched.until(ctx, screensharev1.SessionState_SESSION_STATE_ENDED)
	if err != nil {
		return nil, err
	}
	if final.GetEndReason() != ended.GetEndReason() {
		return nil, fmt.Errorf("WatchSession says %s, the call that ended it said %s", final.GetEndReason(), ended.GetEndReason())
	}
	return final, nil
}

// unique makes ids that do not collide between runs against the same server.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

// startShare is the agent's side of both flows: a viewer token from the platform, then StartScreenShare with an
// idempotency key, so a retry after a lost answer returns the same session.
func startShare(ctx context.Context, cfg config, p *platform, agentID, interactionID string) (*agent, *screensharev1.Session, error) {
	token, err := p.viewerToken(agentID)
	if err != nil {
		return nil, nil, err
	}
	a := newAgent(cfg, token)
	started, err := a.start(ctx, interactionID, "start-"+interactionID)
	if err != nil {
		return nil, nil, fmt.Errorf("StartScreenShare: %w", err)
	}
	return a, started, nil
}
