"""The contact-center platform: tells the server about calls and chats, and signs its agents' viewer tokens."""
import time

import grpc
import jwt

from screenshare.v1 import interaction_service_pb2 as interactions
from screenshare.v1 import interaction_service_pb2_grpc
from screenshare.v1 import session_pb2

from .calls import bearer


class Platform:
    def __init__(self, channel: grpc.Channel, org_id: str, integration_api_key: str, viewer_token_secret: str, issuer: str, audience: str):
        self._interactions = interaction_service_pb2_grpc.InteractionServiceStub(channel)
        self._auth = bearer(integration_api_key)
        self._viewer_token_secret = viewer_token_secret
        self._issuer = issuer
        self._audience = audience
        self.org_id = org_id

    def register(self, interaction_id: str, agent_id: str, channel: "session_pb2.Channel") -> None:
        """Makes a call or chat known, answered, with `agent_id` handling it."""
        self._interactions.RegisterInteraction(
            interactions.RegisterInteractionRequest(
                org_id=self.org_id,
                interaction_id=interaction_id,
                channel=channel,
                agent_user_id=agent_id,
                customer_display_name="Example Customer",
                status=interactions.INTERACTION_STATUS_CONNECTED,
            ),
            metadata=self._auth,
        )

    def hang_up(self, interaction_id: str) -> None:
        """Ends the call or chat; a session still live on it ends with END_REASON_INTERACTION_DISCONNECTED."""
        self._interactions.SetInteractionStatus(
            interactions.SetInteractionStatusRequest(
                org_id=self.org_id, interaction_id=interaction_id, status=interactions.INTERACTION_STATUS_DISCONNECTED
            ),
            metadata=self._auth,
        )

    def customer_credential(self, interaction_id: str) -> str:
        """What the platform hands to the chat customer's window for SharerService."""
        response = self._interactions.IssueCustomerCredential(
            interactions.IssueCustomerCredentialRequest(org_id=self.org_id, interaction_id=interaction_id),
            metadata=self._auth,
        )
        return response.customer_credential

    def viewer_token(self, agent_id: str) -> str:
        """The JWT ViewerService expects: HS256 with "iss", "aud", "org", "sub", "permissions", "iat" and "exp"."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "org": self.org_id,
            "sub": agent_id,
            "permissions": ["screenshare:session:view"],
            "iat": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self._viewer_token_secret, algorithm="HS256")
