"""The sharer's side: the org's app (voice) or the chat window (chat)."""
import grpc

from screenshare.v1 import session_pb2
from screenshare.v1 import sharer_service_pb2 as sharer
from screenshare.v1 import sharer_service_pb2_grpc

from .calls import bearer, livekit_of


class Customer:
    def __init__(self, channel: grpc.Channel, org_id: str):
        self._sharer = sharer_service_pb2_grpc.SharerServiceStub(channel)
        self._org_id = org_id
        # The sharer credential, once linked to a session. A real app keeps it (for example in session storage)
        # to call ResumeSharing after a reload.
        self._auth: tuple = ()

    def redeem(self, typed_key: str) -> session_pb2.Session:
        """Links a voice customer to the session of the key they typed; needs no credential."""
        response = self._sharer.RedeemSecurityKey(sharer.RedeemSecurityKeyRequest(org_id=self._org_id, security_key=typed_key))
        self._auth = bearer(response.sharer_credential)
        return response.session

    def next_invitation(self, customer_credential: str) -> sharer.Invitation:
        """Waits for the chat's next invitation, with the customer credential from the platform."""
        call = self._sharer.WatchInvitations(
            sharer.WatchInvitationsRequest(), metadata=bearer(customer_credential)
        )
        try:
            for response in call:
                # Other messages on the stream withdraw earlier invitations; this customer waits for a new one.
                if response.HasField("invitation"):
                    return response.invitation
            raise RuntimeError("the invitation stream closed without an invitation")
        finally:
            call.cancel()  # the stream stays open for later invitations; this customer needs one

    def accept(self, customer_credential: str, session_id: str) -> session_pb2.Session:
        """Accepts a chat invitation ("Accept")."""
        response = self._sharer.AcceptInvitation(
            sharer.AcceptInvitationRequest(session_id=session_id),
            metadata=bearer(customer_credential),
        )
        self._auth = bearer(response.sharer_credential)
        return response.session

    def media_room(self, session_id: str) -> session_pb2.LiveKitJoinInfo:
        """The LiveKit room and publish-only token the app uses to publish the chosen screen."""
        media = self._sharer.GetSharerMediaJoinInfo(
            sharer.GetSharerMediaJoinInfoRequest(session_id=session_id), metadata=self._auth
        ).media
        return livekit_of(media)

    def stop(self, session_id: str) -> session_pb2.Session:
        """"Stop sharing"."""
        return self._sharer.StopSharing(sharer.StopSharingRequest(session_id=session_id), metadata=self._auth).session
