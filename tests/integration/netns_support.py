"""A second host for tests: a network namespace joined to this one by a veth pair.

Multicast sent on the namespace's end reaches the host's end as it would on a LAN. Names
and the /24 are unique per process, so tests of several workers do not meet.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.conftest import TEST_PEERS


@dataclass(frozen=True)
class Peer:
    netns: str
    interface: str
    """The veth end inside the namespace."""
    address: str
    host_interface: str
    host_address: str


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def peer_namespace() -> Iterator[Peer]:
    tag = os.getpid() % 10000
    subnet = f"10.{200 + tag % 50}.{tag % 250}"
    peer = Peer(f"onvr-{tag}", f"onvr-c{tag}", f"{subnet}.2", f"onvr-h{tag}", f"{subnet}.1")
    host_end = peer.host_interface
    _ip("netns", "add", peer.netns)
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", peer.interface,
            "netns", peer.netns)
        _ip("addr", "add", f"{peer.host_address}/24", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("-n", peer.netns, "addr", "add", f"{peer.address}/24", "dev", peer.interface)
        _ip("-n", peer.netns, "link", "set", peer.interface, "up")
        _ip("-n", peer.netns, "link", "set", "lo", "up")
        _ip("-n", peer.netns, "route", "add", "224.0.0.0/4", "dev", peer.interface)
        TEST_PEERS.add(peer.address)
        yield peer
    finally:
        TEST_PEERS.discard(peer.address)
        subprocess.run(["ip", "link", "del", host_end], capture_output=True, check=False)
        _ip("netns", "del", peer.netns)
