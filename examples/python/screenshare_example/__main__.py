"""Drives the voice and chat flows of screenshare.v1 against a server over gRPC, from both sides.

    python -m screenshare_example --url http://127.0.0.1:8080

Exits 0 when every flow ended the way the protocol says it should, and 1 otherwise.
"""
import argparse
import os
import sys
import urllib.parse

import grpc

from screenshare.v1 import server_info_service_pb2 as server_info
from screenshare.v1 import server_info_service_pb2_grpc
from screenshare.v1 import session_pb2

from .contact_center import Platform
from .flows import chat_flow, voice_flow


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m screenshare_example", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("SCREENSHARE_URL", "http://127.0.0.1:8080"),
        help="the server's base URL, gRPC over cleartext HTTP/2 (env SCREENSHARE_URL)",
    )
    parser.add_argument("--org", default="example-org", help="the org to act in")
    parser.add_argument("--integration-api-key", default=os.environ.get("INTEGRATION_API_KEY"), help="env INTEGRATION_API_KEY")
    parser.add_argument("--viewer-token-secret", default=os.environ.get("VIEWER_TOKEN_SECRET"), help="env VIEWER_TOKEN_SECRET")
    parser.add_argument("--viewer-token-issuer", default=os.environ.get("VIEWER_TOKEN_ISSUER"), help="the iss the server expects; env VIEWER_TOKEN_ISSUER")
    parser.add_argument("--viewer-token-audience", default=os.environ.get("VIEWER_TOKEN_AUDIENCE"), help="the aud the server expects; env VIEWER_TOKEN_AUDIENCE")
    parser.add_argument(
        "--screen",
        choices=["skip", "external"],
        default="skip",
        help='"external": print the customer\'s LiveKit join info on a "publish-screen" line and wait for another process to publish a screen',
    )
    parser.add_argument("--flow", default="voice,chat", help="the flows to run, comma-separated")
    args = parser.parse_args()
    if not all([args.integration_api_key, args.viewer_token_secret, args.viewer_token_issuer, args.viewer_token_audience]):
        parser.error(
            "set --integration-api-key, --viewer-token-secret, --viewer-token-issuer and --viewer-token-audience"
            " (or INTEGRATION_API_KEY, VIEWER_TOKEN_SECRET, VIEWER_TOKEN_ISSUER and VIEWER_TOKEN_AUDIENCE) to the server's"
        )
    flows = {"voice": voice_flow, "chat": chat_flow}
    unknown = [name for name in args.flow.split(",") if name not in flows]
    if unknown:
        parser.error(f"unknown flow {unknown[0]!r}: use voice and/or chat")

    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http":
        parser.error("this example speaks cleartext HTTP/2 (http://...); for https use grpc.secure_channel")
    with grpc.insecure_channel(url.netloc) as channel:
        info = server_info_service_pb2_grpc.ServerInfoServiceStub(channel).GetServerInfo(server_info.GetServerInfoRequest(), timeout=10).info
        print(f"server {info.implementation} speaks {info.protocol_version}; keys have {info.security_key_length} digits")
        platform = Platform(channel, args.org, args.integration_api_key, args.viewer_token_secret, args.viewer_token_issuer, args.viewer_token_audience)
        for name in args.flow.split(","):
            try:
                ended = flows[name](channel, platform, args.screen)
            except (grpc.RpcError, AssertionError, RuntimeError, TimeoutError) as error:
                print(f"screenshare-example: {name} over grpc: {error}", file=sys.stderr)
                return 1
            print(
                f"{name} over grpc: ok, {session_pb2.SessionState.Name(ended.state)} with "
                f"{session_pb2.EndReason.Name(ended.end_reason)} after {ended.last_sequence} events"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
