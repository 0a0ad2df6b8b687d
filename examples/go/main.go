// Command screenshare-example drives the voice and chat flows of screenshare.v1 against a server, from both sides:
// the platform (InteractionService), the agent (ViewerService, WatchService) and the customer (SharerService).
//
//	go run . --url http://127.0.0.1:8080 --protocol grpc
//
// It exits 0 when every flow ended the way the protocol says it should, and 1 otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"

	screensharev1 "github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1"
	"github.com/screenshare-protocol/screenshare/examples/go/gen/screenshare/v1/screensharev1connect"
)

// config is what every client needs.
type config struct {
	url               string
	protocol          string
	org               string
	integrationKey    string
	viewerTokenSecret string
	tokenIssuer       string
	tokenAudience     string
	// screen is "skip" (end the session while the customer chooses a screen) or "external" (print the
	// customer's LiveKit join info on a "publish-screen" line and wait for another process to publish a screen).
	screen         string
	httpClient     *http.Client
	protocolOption []connect.ClientOption
}

// options are the connect-go client options for a caller with this bearer token ("" for none).
func (c config) options(token string) []connect.ClientOption {
	options := append([]connect.ClientOption{}, c.protocolOption...)
	if token != "" {
		options = append(options, connect.WithInterceptors(bearer(token)))
	}
	return options
}

func main() {
	cfg := config{}
	flag.StringVar(&cfg.url, "url", envOr("SCREENSHARE_URL", "http://127.0.0.1:8080"), "the server's base URL (env SCREENSHARE_URL)")
	flag.StringVar(&cfg.protocol, "protocol", "connect", "connect, grpc or grpcweb")
	flag.StringVar(&cfg.org, "org", "example-org", "the org to act in")
	flag.StringVar(&cfg.integrationKey, "integration-api-key", os.Getenv("INTEGRATION_API_KEY"), "the server's integration API key (env INTEGRATION_API_KEY)")
	flag.StringVar(&cfg.viewerTokenSecret, "viewer-token-secret", os.Getenv("VIEWER_TOKEN_SECRET"), "the secret viewer tokens are signed with (env VIEWER_TOKEN_SECRET)")
	flag.StringVar(&cfg.tokenIssuer, "viewer-token-issuer", os.Getenv("VIEWER_TOKEN_ISSUER"), "the iss the server expects in viewer tokens (env VIEWER_TOKEN_ISSUER)")
	flag.StringVar(&cfg.tokenAudience, "viewer-token-audience", os.Getenv("VIEWER_TOKEN_AUDIENCE"), "the aud the server expects in viewer tokens (env VIEWER_TOKEN_AUDIENCE)")
	flag.StringVar(&cfg.screen, "screen", "skip", `"skip" or "external": wait for another process to publish the customer's screen`)
	flows := flag.String("flow", "voice,chat", "the flows to run, comma-separated")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()

	if cfg.integrationKey == "" || cfg.viewerTokenSecret == "" || cfg.tokenIssuer == "" || cfg.tokenAudience == "" {
		fail("set --integration-api-key, --viewer-token-secret, --viewer-token-issuer and --viewer-token-audience (or INTEGRATION_API_KEY, VIEWER_TOKEN_SECRET, VIEWER_TOKEN_ISSUER and VIEWER_TOKEN_AUDIENCE) to the server's")
	}
	if cfg.screen != "skip" && cfg.screen != "external" {
		fail(`--screen must be "skip" or "external"`)
	}
	var err error
	if cfg.httpClient, cfg.protocolOption, err = clientFor(cfg.protocol); err != nil {
		fail(err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	info, err := screensharev1connect.NewServerInfoServiceClient(cfg.httpClient, cfg.url, cfg.options("")...).
		GetServerInfo(ctx, connect.NewRequest(&screensharev1.GetServerInfoRequest{}))
	if err != nil {
		fail(fmt.Sprintf("GetServerInfo: %v", err))
	}
	fmt.Printf("server %s speaks %s; keys have %d digits\n", info.Msg.GetInfo().GetImplementation(), info.Msg.GetInfo().GetProtocolVersion(), info.Msg.GetInfo().GetSecurityKeyLength())

	for _, name := range strings.Split(*flows, ",") {
		run := map[string]func(context.Context, config) (*screensharev1.Session, error){"voice": voiceFlow, "chat": chatFlow}[name]
		if run == nil {
			fail(fmt.Sprintf("unknown flow %q: use voice and/or chat", name))
		}
		ended, err := run(ctx, cfg)
		if err != nil {
			fail(fmt.Sprintf("%s over %s: %v", name, cfg.protocol, err))
		}
		fmt.Printf("%s over %s: ok, %s with %s after %d events\n", name, cfg.protocol, ended.GetState(), ended.GetEndReason(), ended.GetLastSequence())
	}
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "screenshare-example:", message)
	os.Exit(1)
}
