package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"connectrpc.com/connect"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
)

// clientFor returns the HTTP client and the connect-go option for one of the three protocols the reference
// server speaks on one port.
func clientFor(protocol string) (*http.Client, []connect.ClientOption, error) {
	switch protocol {
	case "connect":
		// The Connect protocol works over HTTP/1.1, streams included.
		return http.DefaultClient, nil, nil
	case "grpcweb":
		return http.DefaultClient, []connect.ClientOption{connect.WithGRPCWeb()}, nil
	case "grpc":
		// gRPC needs HTTP/2. Without TLS that is cleartext HTTP/2 ("h2c"), which Go's client only speaks when told
		// to: a transport limited to unencrypted HTTP/2 (Go 1.24+).
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		return &http.Client{Transport: &http.Transport{Protocols: &protocols}}, []connect.ClientOption{connect.WithGRPC()}, nil
	default:
		return nil, nil, fmt.Errorf("unknown protocol %q: use connect, grpc or grpcweb", protocol)
	}
}

// bearer sends "Authorization: Bearer <token>" on every call, unary and streaming.
type bearer string

func (token bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, request connect.AnyRequest) (connect.AnyResponse, error) {
		request.Header().Set("Authorization", "Bearer "+string(token))
		return next(ctx, request)
	}
}

func (token bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		conn.RequestHeader().Set("Authorization", "Bearer "+string(token))
		return conn
	}
}

// WrapStreamingHandler is for servers; a client leaves it alone.
func (token bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// liveKitOf is the LiveKit room and token of a media join answer. MediaJoinInfo is a oneof so servers can add
// transports: a client must say when it knows none of them.
func liveKitOf(media *screensharev1.MediaJoinInfo) (*screensharev1.LiveKitJoinInfo, error) {
	if livekit := media.GetLivekit(); livekit != nil {
		return livekit, nil
	}
	return nil, errors.New("the server offers no media transport this client knows")
}
