package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
	"github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1/screensharev1connect"
)

// agent is the viewer's side: the agent's console starts a screen share and watches the session.
type agent struct {
	viewer screensharev1connect.ViewerServiceClient
	watch  screensharev1connect.WatchServiceClient
}

func newAgent(cfg config, viewerToken string) *agent {
	options := cfg.options(viewerToken)
	return &agent{
		viewer: screensharev1connect.NewViewerServiceClient(cfg.httpClient, cfg.url, options...),
		watch:  screensharev1connect.NewWatchServiceClient(cfg.httpClient, cfg.url, options...),
	}
}

// start starts a screen share on interactionID. The idempotency key makes a retry after a lost response
// return the same session instead of failing with "already has a live session".
func (a *agent) start(ctx context.Context, interactionID, idempotencyKey string) (*screensharev1.Session, error) {
	response, err := a.viewer.StartScreenShare(ctx, connect.NewRequest(&screensharev1.StartScreenShareRequest{
		InteractionId:  interactionID,
		IdempotencyKey: idempotencyKey,
	}))
	if err != nil {
		return nil, err
	}
	return response.Msg.GetSession(), nil
}

// end ends the session the way the agent's console would: "End screen share" before the screen is shown,
// "Leave session" after.
func (a *agent) end(ctx context.Context, session *screensharev1.Session) (*screensharev1.Session, error) {
	if session.GetState() == screensharev1.SessionState_SESSION_STATE_SHARING {
		response, err := a.viewer.LeaveSession(ctx, connect.NewRequest(&screensharev1.LeaveSessionRequest{SessionId: session.GetSessionId()}))
		if err != nil {
			return nil, err
		}
		return response.Msg.GetSession(), nil
	}
	response, err := a.viewer.CancelScreenShare(ctx, connect.NewRequest(&screensharev1.CancelScreenShareRequest{SessionId: session.GetSessionId()}))
	if err != nil {
		return nil, err
	}
	return response.Msg.GetSession(), nil
}

// mediaRoom is the LiveKit room and subscribe-only token the console joins to show the customer's screen.
func (a *agent) mediaRoom(ctx context.Context, sessionID string) (*screensharev1.LiveKitJoinInfo, error) {
	response, err := a.viewer.GetViewerMediaJoinInfo(ctx, connect.NewRequest(&screensharev1.GetViewerMediaJoinInfoRequest{SessionId: sessionID}))
	if err != nil {
		return nil, err
	}
	return liveKitOf(response.Msg.GetMedia())
}

// session follows one session's events over WatchSession, resuming after the last sequence seen if the stream
// drops, until the session ends.
type session struct {
	events chan *screensharev1.SessionEvent
	errs   chan error
}

func (a *agent) follow(ctx context.Context, sessionID string) *session {
	s := &session{events: make(chan *screensharev1.SessionEvent, 64), errs: make(chan error, 1)}
	go func() {
		defer close(s.events)
		var last uint64
		for attempt := 0; ; attempt++ {
			stream, err := a.watch.WatchSession(ctx, connect.NewRequest(&screensharev1.WatchSessionRequest{SessionId: sessionID, AfterSequence: last}))
			if err == nil {
				for stream.Receive() {
					event := stream.Msg().GetEvent()
					if event.GetSequence() != last+1 {
						s.errs <- fmt.Errorf("event %d after %d: WatchSession promises no gap", event.GetSequence(), last)
						return
					}
					last = event.GetSequence()
					s.events <- event
					if event.GetSession().GetState() == screensharev1.SessionState_SESSION_STATE_ENDED {
						return
					}
				}
				err = stream.Err()
				_ = stream.Close()
			}
			// A stream that closes before the session ends is resumed; give up after a few tries in a row.
			if ctx.Err() != nil || attempt >= 3 {
				s.errs <- fmt.Errorf("watching session %s: %w", sessionID, errors.Join(err, ctx.Err()))
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	return s
}

// until waits for the session to reach state and returns it as of that event.
func (s *session) until(ctx context.Context, state screensharev1.SessionState) (*screensharev1.Session, error) {
	for {
		select {
		case event, open := <-s.events:
			if !open {
				select {
				case err := <-s.errs:
					return nil, err
				default:
					return nil, fmt.Errorf("the session ended before %s", state)
				}
			}
			if event.GetSession().GetState() == state {
				return event.GetSession(), nil
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s: %w", state, ctx.Err())
		}
	}
}
