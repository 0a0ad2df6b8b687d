"""Clients for screenshare.v1 over gRPC with grpcio: the platform, the agent and the customer."""
import pathlib
import sys

# The generated modules import each other as `screenshare.v1.*`, from ../gen (see buf.gen.yaml).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "gen"))
