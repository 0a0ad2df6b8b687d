package main

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
	"github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1/screensharev1connect"
)

// customer is the sharer's side: the org's app (voice) or the chat window (chat).
type customer struct {
	cfg config
	// sharer carries the sharer credential once the customer is linked to a session.
	sharer screensharev1connect.SharerServiceClient
}

func newCustomer(cfg config) *customer {
	return &customer{cfg: cfg, sharer: screensharev1connect.NewSharerServiceClient(cfg.httpClient, cfg.url, cfg.options("")...)}
}

// redeem links a voice customer to the session of the key they typed; the key needs no credential.
func (c *customer) redeem(ctx context.Context, typed string) (*screensharev1.Session, error) {
	response, err := c.sharer.RedeemSecurityKey(ctx, connect.NewRequest(&screensharev1.RedeemSecurityKeyRequest{
		OrgId:       c.cfg.org,
		SecurityKey: typed,
	}))
	if err != nil {
		return nil, err
	}
	c.linked(response.Msg.GetSharerCredential())
	return response.Msg.GetSession(), nil
}

// nextInvitation waits for the chat's next invitation, with the customer credential from the platform.
func (c *customer) nextInvitation(ctx context.Context, customerCredential string) (*screensharev1.Invitation, error) {
	invitations := screensharev1connect.NewSharerServiceClient(c.cfg.httpClient, c.cfg.url, c.cfg.options(customerCredential)...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the stream stays open for later invitations; this customer needs one
	stream, err := invitations.WatchInvitations(ctx, connect.NewRequest(&screensharev1.WatchInvitationsRequest{}))
	if err != nil {
		return nil, err
	}
	for stream.Receive() {
		// Other messages on the stream withdraw earlier invitations; this customer waits for a new one.
		if invitation := stream.Msg().GetInvitation(); invitation != nil {
			return invitation, nil
		}
	}
	if err := stream.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("the invitation stream closed without an invitation")
}

// accept accepts a chat invitation ("Accept").
func (c *customer) accept(ctx context.Context, customerCredential, sessionID string) (*screensharev1.Session, error) {
	invitations := screensharev1connect.NewSharerServiceClient(c.cfg.httpClient, c.cfg.url, c.cfg.options(customerCredential)...)
	response, err := invitations.AcceptInvitation(ctx, connect.NewRequest(&screensharev1.AcceptInvitationRequest{SessionId: sessionID}))
	if err != nil {
		return nil, err
	}
	c.linked(response.Msg.GetSharerCredential())
	return response.Msg.GetSession(), nil
}

// linked switches to the sharer credential, which every further call on the session needs. A real app keeps it
// (for example in session storage) to call ResumeSharing after a reload.
func (c *customer) linked(sharerCredential string) {
	c.sharer = screensharev1connect.NewSharerServiceClient(c.cfg.httpClient, c.cfg.url, c.cfg.options(sharerCredential)...)
}

// mediaRoom is the LiveKit room and the publish-only token the app uses to publish the chosen screen.
func (c *customer) mediaRoom(ctx context.Context, sessionID string) (*screensharev1.LiveKitJoinInfo, error) {
	response, err := c.sharer.GetSharerMediaJoinInfo(ctx, connect.NewRequest(&screensharev1.GetSharerMediaJoinInfoRequest{SessionId: sessionID}))
	if err != nil {
		return nil, err
	}
	return liveKitOf(response.Msg.GetMedia())
}

// stop ends the session from the customer's side ("Stop sharing").
func (c *customer) stop(ctx context.Context, sessionID string) (*screensharev1.Session, error) {
	response, err := c.sharer.StopSharing(ctx, connect.NewRequest(&screensharev1.StopSharingRequest{SessionId: sessionID}))
	if err != nil {
		return nil, err
	}
	return response.Msg.GetSession(), nil
}
