"""The voice and chat flows, from both sides, checked the way the protocol promises."""
import concurrent.futures
import json
import time

import grpc

from screenshare.v1 import errors_pb2
from screenshare.v1 import session_pb2

from .agent import Agent, WatchedSession
from .contact_center import Platform
from .customer import Customer
from .details import detail

State = session_pb2.SessionState


def voice_flow(channel: grpc.Channel, platform: Platform, screen: str) -> session_pb2.Session:
    """The agent starts a share on a call and reads the key aloud; the customer types it. The agent ends it."""
    call_id, agent_id = unique("call"), unique("agent")
    platform.register(call_id, agent_id, session_pb2.CHANNEL_VOICE)
    agent = Agent(channel, platform.viewer_token(agent_id))
    started = agent.start(call_id, idempotency_key=f"start-{call_id}")
    key = started.security_key
    print(f"voice: the agent reads the key aloud: {key.display!r} (a key survives {key.attempts_remaining} wrong attempts in the org)")
    watched = agent.follow(started.session_id)
    try:
        # An agent runs one screen share at a time: a second start is refused, and a typed detail names the live one.
        try:
            agent.start(call_id)
            raise AssertionError("a second StartScreenShare should be refused")
        except grpc.RpcError as error:
            conflict = detail(error, errors_pb2.LiveSessionConflict)
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION or conflict is None or conflict.session_id != started.session_id:
                raise AssertionError(f"expected FAILED_PRECONDITION naming {started.session_id}, got {error}") from error
        print(f"voice: a second start is refused: the agent already runs session {conflict.session_id}")

        customer = Customer(channel, platform.org_id)
        # A missed digit costs no attempt: INVALID_ARGUMENT, with a FieldViolation saying which field and how to fix it.
        typo = key.display[:-1]
        try:
            customer.redeem(typo)
            raise AssertionError(f"redeeming {typo!r} should be refused")
        except grpc.RpcError as error:
            violation = detail(error, errors_pb2.FieldViolation)
            if error.code() != grpc.StatusCode.INVALID_ARGUMENT or violation is None or violation.field != "security_key":
                raise AssertionError(f"expected INVALID_ARGUMENT with a FieldViolation for security_key, got {error}") from error
        print(f"voice: the customer typed {typo!r}: {violation.field} {violation.description}")
        customer.redeem(key.display)
        print('voice: the customer typed the key and clicked "Share your screen"')
        ended = share_and_end(agent, customer, watched, started.session_id, screen, ended_by="agent")
    finally:
        watched.close()
    platform.hang_up(call_id)
    return ended


def chat_flow(channel: grpc.Channel, platform: Platform, screen: str) -> session_pb2.Session:
    """The agent starts a share on a chat; the customer accepts the invitation. The customer ends it."""
    chat_id, agent_id = unique("chat"), unique("agent")
    platform.register(chat_id, agent_id, session_pb2.CHANNEL_CHAT)
    credential = platform.customer_credential(chat_id)
    customer = Customer(channel, platform.org_id)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as chat_window:
        invitation = chat_window.submit(customer.next_invitation, credential)
        agent = Agent(channel, platform.viewer_token(agent_id))
        started = agent.start(chat_id, idempotency_key=f"start-{chat_id}")
        watched = agent.follow(started.session_id)
        print(f"chat: the agent started a screen share: {State.Name(started.state)}")
        invited = invitation.result(timeout=30)
    try:
        if invited.session_id != started.session_id:
            raise AssertionError(f"invited to session {invited.session_id}, expected {started.session_id}")
        until = invited.expires_at.ToDatetime().strftime("%H:%M:%S")
        print(f'chat: the customer\'s chat window shows the invitation (until {until}) and the customer clicks "Accept"')
        customer.accept(credential, invited.session_id)
        ended = share_and_end(agent, customer, watched, started.session_id, screen, ended_by="customer")
    finally:
        watched.close()
    # A sharer credential dies with its session.
    try:
        customer.media_room(started.session_id)
        raise AssertionError("the sharer credential should stop working when the session ends")
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise AssertionError(f"expected UNAUTHENTICATED for a dead sharer credential, got {error}") from error
    platform.hang_up(chat_id)
    return ended


def share_and_end(agent: Agent, customer: Customer, watched: WatchedSession, session_id: str, screen: str, ended_by: str):
    """Takes a linked session through screen selection (and sharing, with --screen external) to its end."""
    current = watched.until(State.SESSION_STATE_SELECTING_SCREEN)
    room = customer.media_room(session_id)
    print(f"the customer chooses a screen, to publish in LiveKit room {room.room_name} at {room.server_url}")
    if screen == "external":
        print("publish-screen " + json.dumps({"url": room.server_url, "token": room.participant_token}), flush=True)
        current = watched.until(State.SESSION_STATE_SHARING)
        print(f"the agent sees the customer's screen: {State.Name(current.state)}")
    viewer_room = agent.media_room(session_id)
    print(f"the agent's console watches room {viewer_room.room_name} as {viewer_room.participant_identity}")
    ended = agent.end(current) if ended_by == "agent" else customer.stop(session_id)
    final = watched.until(State.SESSION_STATE_ENDED)
    if final.end_reason != ended.end_reason:
        raise AssertionError(f"WatchSession says {final.end_reason}, the call that ended it said {ended.end_reason}")
    return final


def unique(prefix: str) -> str:
    """Ids that do not collide between runs against the same server."""
    return f"{prefix}-{time.time_ns()}"
