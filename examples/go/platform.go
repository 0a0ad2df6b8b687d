package main

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/golang-jwt/jwt/v5"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
	"github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1/screensharev1connect"
)

// platform is the contact-center platform: it tells the screen share server about calls and chats
// (InteractionService, with the integration API key) and signs its agents' viewer tokens.
type platform struct {
	interactions      screensharev1connect.InteractionServiceClient
	viewerTokenSecret []byte
	issuer            string
	audience          string
	orgID             string
}

func newPlatform(cfg config) *platform {
	return &platform{
		interactions:      screensharev1connect.NewInteractionServiceClient(cfg.httpClient, cfg.url, cfg.options(cfg.integrationKey)...),
		viewerTokenSecret: []byte(cfg.viewerTokenSecret),
		issuer:            cfg.tokenIssuer,
		audience:          cfg.tokenAudience,
		orgID:             cfg.org,
	}
}

// register makes a call or chat known, answered, with agentID handling it.
func (p *platform) register(ctx context.Context, interactionID, agentID string, channel screensharev1.Channel) error {
	_, err := p.interactions.RegisterInteraction(ctx, connect.NewRequest(&screensharev1.RegisterInteractionRequest{
		OrgId:               p.orgID,
		InteractionId:       interactionID,
		Channel:             channel,
		AgentUserId:         agentID,
		CustomerDisplayName: "Example Customer",
		Status:              screensharev1.InteractionStatus_INTERACTION_STATUS_CONNECTED,
	}))
	return err
}

// hangUp ends the call or chat; any session still live on it ends with END_REASON_INTERACTION_DISCONNECTED.
func (p *platform) hangUp(ctx context.Context, interactionID string) error {
	_, err := p.interactions.SetInteractionStatus(ctx, connect.NewRequest(&screensharev1.SetInteractionStatusRequest{
		OrgId:         p.orgID,
		InteractionId: interactionID,
		Status:        screensharev1.InteractionStatus_INTERACTION_STATUS_DISCONNECTED,
	}))
	return err
}

// customerCredential is what the platform hands to the chat customer's window for SharerService.
func (p *platform) customerCredential(ctx context.Context, interactionID string) (string, error) {
	response, err := p.interactions.IssueCustomerCredential(ctx, connect.NewRequest(&screensharev1.IssueCustomerCredentialRequest{
		OrgId:         p.orgID,
		InteractionId: interactionID,
	}))
	if err != nil {
		return "", err
	}
	return response.Msg.GetCustomerCredential(), nil
}

// viewerToken signs the JWT ViewerService expects: HS256 with "iss", "aud", "org", "sub", "permissions", "iat"
// and "exp".
func (p *platform) viewerToken(agentID string) (string, error) {
	now := time.Now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":         p.issuer,
		"aud":         p.audience,
		"iat":         now.Unix(),
		"org":         p.orgID,
		"sub":         agentID,
		"permissions": []string{"screenshare:session:view"},
		"exp":         now.Add(time.Hour).Unix(),
	}).SignedString(p.viewerTokenSecret)
	if err != nil {
		return "", fmt.Errorf("signing the viewer token: %w", err)
	}
	return token, nil
}
