"""WS-Discovery between two hosts: network namespaces joined by a veth pair, each end
with an address and a multicast route (Core "Device discovery", Base Device Test
DISCOVERY-1-1-2 to 1-1-11). The recorder runs in namespace A; the clients in namespace
B are ``discovery_peer`` (messages written by hand) and the third-party ``WSDiscovery``
package. Needs root for ``ip netns``, as in CI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
D = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS = {"d": D, "wsa": WSA, "env": "http://www.w3.org/2003/05/soap-envelope"}
PROFILE_G = "onvif://www.onvif.org/Profile/G"
HTTP_PORT = 8080

pytestmark = pytest.mark.slow


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@dataclass
class Lab:
    a: str  # namespace of the recorder
    b: str  # namespace of the clients
    address_a: str
    address_b: str
    data_dir: Path
    heard_in_b: Path  # what a listener in B receives on 239.255.255.250:3702
    heard_in_a: Path  # a second discovery tool beside the recorder, sharing port 3702
    recorder: subprocess.Popen[bytes] | None = None

    @property
    def xaddr(self) -> str:
        return f"http://{self.address_a}:{HTTP_PORT}/onvif/device_service"

    def in_b(self, *args: str, timeout: float = 60) -> Any:
        done = subprocess.run(
            ["ip", "netns", "exec", self.b, sys.executable, "-m",
             "tests.integration.discovery_peer", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=_env())
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def probe(self, *args: str) -> list[etree._Element]:
        answers = self.in_b("probe", self.address_b, *args)
        return [etree.fromstring(a["xml"].encode()) for a in answers]

    def soap(self, operation: str, **arguments: Any) -> Any:
        return self.in_b("soap", self.xaddr, operation, json.dumps(arguments))

    def start_recorder(self) -> None:
        log = (self.data_dir.parent / "recorder.log").open("ab")
        self.recorder = subprocess.Popen(
            ["ip", "netns", "exec", self.a, sys.executable, "-m", "onvif_recorder", "serve",
             "--data-dir", str(self.data_dir), "--listen", f"0.0.0.0:{HTTP_PORT}",
             "--admin-user", "admin", "--admin-password", "Admin-Pass-1"],
            stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)

    def stop_recorder(self) -> None:
        if self.recorder is not None and self.recorder.poll() is None:
            self.recorder.send_signal(signal.SIGTERM)
            try:
                self.recorder.wait(15)
            except subprocess.TimeoutExpired:
                self.recorder.kill()
                self.recorder.wait()

    def starts(self) -> int:
        log = self.data_dir.parent / "recorder.log"
        return log.read_text(errors="replace").count("device service at") if log.exists() else 0

    def wait_restarted(self, starts_before: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.starts() <= starts_before:
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.1)

    def log(self) -> str:
        return (self.data_dir.parent / "recorder.log").read_text(errors="replace")[-3000:]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONVIF_RECORDER_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def heard(path: Path, action: str, since: int = 0) -> list[etree._Element]:
    """The messages of ``action`` a listener wrote, after its first ``since`` lines."""
    lines = path.read_text().splitlines()[since:] if path.exists() else []
    found = []
    for line in lines:
        entry = json.loads(line)
        if "xml" in entry and f"{D}/{action}<" in entry["xml"]:
            found.append(etree.fromstring(entry["xml"].encode()))
    return found


def wait_heard(path: Path, action: str, since: int = 0, timeout: float = 10) -> etree._Element:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = heard(path, action, since)
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError(f"no {action} within {timeout} s")


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def text(root: etree._Element, path: str) -> str:
    found = root.find(path, NS)
    assert found is not None, path
    return str(found.text or "")


def _listener(namespace: str, path: Path, address: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, "-m",
         "tests.integration.discovery_peer", "listen", str(path), address],
        cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while lines(path) == 0:
        assert time.monotonic() < deadline and process.poll() is None, "listener did not start"
        time.sleep(0.05)
    return process


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tag = os.getpid() % 10000
    subnet = 100 + os.getpid() % 150
    a, b = f"onvr{tag}a", f"onvr{tag}b"
    base = tmp_path_factory.mktemp("netns")
    setup = Lab(a, b, f"10.213.{subnet}.1", f"10.213.{subnet}.2", base / "data",
                base / "heard-b.jsonl", base / "heard-a.jsonl")
    listeners: list[subprocess.Popen[bytes]] = []
    try:
        ip("netns", "add", a)
        ip("netns", "add", b)
        ip("link", "add", f"ve{tag}a", "type", "veth", "peer", "name", f"ve{tag}b")
        for ns, end, address in ((a, f"ve{tag}a", setup.address_a),
                                 (b, f"ve{tag}b", setup.address_b)):
            ip("link", "set", end, "netns", ns)
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", end)
            ip("-n", ns, "link", "set", end, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", end)
        listeners.append(_listener(b, setup.heard_in_b, setup.address_b))
        listeners.append(_listener(a, setup.heard_in_a, setup.address_a))
        setup.start_recorder()
        yield setup
    finally:
        setup.stop_recorder()
        for listener in listeners:
            listener.kill()
            listener.wait()
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def test_probe_match_leads_to_the_device_service(lab: Lab) -> None:
    """DISCOVERY-1-1-2/1-1-3: a Hello at start; a multicast Probe for tds:Device and
    Profile G gets one ProbeMatch whose XAddr answers GetDeviceInformation."""
    answers = lab.probe("--types", "tds:Device", "--scope", PROFILE_G, "--wait", "20")
    assert len(answers) == 1, lab.log()
    match = answers[0].find("env:Body/d:ProbeMatches/d:ProbeMatch", NS)
    assert match is not None
    assert text(match, "d:XAddrs").split() == [lab.xaddr]
    assert PROFILE_G in text(match, "d:Scopes").split()
    reference = text(match, "wsa:EndpointReference/wsa:Address")
    stored = json.loads((lab.data_dir / "device.json").read_text())["identity"]
    assert reference == stored["endpoint_reference"]
    info = lab.soap("GetDeviceInformation")
    assert info["SerialNumber"] == stored["serial_number"]
    hello = wait_heard(lab.heard_in_b, "Hello")
    assert text(hello, "env:Body/d:Hello/wsa:EndpointReference/wsa:Address") == reference
    assert text(hello, "env:Body/d:Hello/d:XAddrs").split() == [lab.xaddr]
    # Another tool on port 3702 beside the recorder heard the Probe as well.
    assert heard(lab.heard_in_a, "Probe")


def test_capabilities_announce_discovery(lab: Lab) -> None:
    system = lab.soap("GetServiceCapabilities")["System"]
    assert (system["DiscoveryNotSupported"], system["DiscoveryResolve"],
            system["DiscoveryBye"], system["SystemLogging"]) == (False, True, True, True)


def test_system_log_is_the_recorders_own(lab: Lab) -> None:
    """GetSystemLog of ``serve``: its own log lines, kept in memory."""
    log = lab.soap("GetSystemLog", LogType="System")["String"]
    stored = json.loads((lab.data_dir / "device.json").read_text())["identity"]
    assert f"WS-Discovery on {lab.address_a}, endpoint {stored['endpoint_reference']}" in log


def test_unicast_probe_and_probes_that_do_not_match(lab: Lab) -> None:
    """DISCOVERY-1-1-5 and 1-1-6."""
    answers = lab.probe("--to", lab.address_a, "--types", "tds:Device", "--wait", "5")
    assert len(answers) == 1
    assert lab.probe("--scope", "onvif://www.onvif.org/Profile/S", "--wait", "3") == []
    assert lab.probe("--types", "tds:Camera", "--wait", "3") == []


def test_hostile_datagrams_are_dropped_and_counted(lab: Lab) -> None:
    for payload in ("<not xml", '<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', "<a>" * 200):
        lab.in_b("send", lab.address_b, lab.address_a, payload)
    assert len(lab.probe("--to", lab.address_a, "--wait", "5")) == 1  # still answering
    support = lab.soap("GetSystemSupportInformation")["String"]
    assert "dropped_malformed 1" in support and "dropped_dtd 1" in support
    assert "dropped_too_deep 1" in support and "probe_matches" in support


def test_third_party_client_finds_the_recorder(lab: Lab) -> None:
    found = lab.in_b("wsdiscovery", lab.address_b)
    stored = json.loads((lab.data_dir / "device.json").read_text())["identity"]
    assert [s["epr"] for s in found] == [stored["endpoint_reference"]]
    assert found[0]["xaddrs"] == [lab.xaddr]


def test_scope_changes_are_announced(lab: Lab) -> None:
    """DISCOVERY-1-1-11."""
    scope = "onvif://www.onvif.org/location/lab/netns"
    since = lines(lab.heard_in_b)
    lab.soap("AddScopes", ScopeItem=[scope])
    hello = wait_heard(lab.heard_in_b, "Hello", since)
    assert scope in text(hello, "env:Body/d:Hello/d:Scopes").split()
    assert len(lab.probe("--scope", "onvif://www.onvif.org/location/lab", "--wait", "5")) == 1
    since = lines(lab.heard_in_b)
    lab.soap("RemoveScopes", ScopeItem=[scope])
    hello = wait_heard(lab.heard_in_b, "Hello", since)
    assert scope not in text(hello, "env:Body/d:Hello/d:Scopes").split()
    assert lab.probe("--scope", scope, "--wait", "3") == []


def test_non_discoverable_answers_nothing(lab: Lab) -> None:
    """DISCOVERY-1-1-9."""
    lab.soap("SetDiscoveryMode", DiscoveryMode="NonDiscoverable")
    try:
        assert lab.soap("GetDiscoveryMode") == "NonDiscoverable"
        assert lab.probe("--wait", "3") == []
        assert lab.probe("--to", lab.address_a, "--wait", "2") == []
    finally:
        since = lines(lab.heard_in_b)
        lab.soap("SetDiscoveryMode", DiscoveryMode="Discoverable")
    wait_heard(lab.heard_in_b, "Hello", since)
    assert len(lab.probe("--wait", "5")) == 1


def test_non_discoverable_reboot_is_silent(lab: Lab) -> None:
    """DISCOVERY-1-1-9, second half: no Bye and no Hello around a reboot while
    NonDiscoverable, and the mode survives it."""
    lab.soap("SetDiscoveryMode", DiscoveryMode="NonDiscoverable")
    since, starts = lines(lab.heard_in_b), lab.starts()
    lab.soap("SystemReboot")
    lab.wait_restarted(starts)
    deadline = time.monotonic() + 15
    while True:  # the HTTP site comes up a moment after the log line
        try:
            mode = lab.soap("GetDiscoveryMode")
            break
        except AssertionError:
            assert time.monotonic() < deadline, lab.log()
            time.sleep(0.2)
    assert mode == "NonDiscoverable"
    time.sleep(1.0)  # as long as a Hello after start would take
    assert heard(lab.heard_in_b, "Bye", since) == []
    assert heard(lab.heard_in_b, "Hello", since) == []
    lab.soap("SetDiscoveryMode", DiscoveryMode="Discoverable")
    wait_heard(lab.heard_in_b, "Hello", since)


def test_reboot_says_bye_and_hello_again(lab: Lab) -> None:
    """DISCOVERY-1-1-8: SystemReboot answers, sends Bye, and the restarted recorder
    greets with a Hello of a new instance."""
    since = lines(lab.heard_in_b)
    answer = lab.soap("SystemReboot")
    assert "Restarting" in answer
    bye = wait_heard(lab.heard_in_b, "Bye", since, timeout=15)
    first = bye.find("env:Header/d:AppSequence", NS)
    hello = wait_heard(lab.heard_in_b, "Hello", since, timeout=30)
    second = hello.find("env:Header/d:AppSequence", NS)
    assert first is not None and second is not None
    assert int(second.get("InstanceId", "0")) > int(first.get("InstanceId", "0"))
    assert lab.recorder is not None and lab.recorder.poll() is None  # same process (exec)
    assert len(lab.probe("--types", "tds:Device", "--wait", "10")) == 1


def test_bye_at_stop(lab: Lab) -> None:
    since = lines(lab.heard_in_b)
    lab.stop_recorder()
    assert lab.recorder is not None and lab.recorder.returncode == 0, lab.log()
    bye = wait_heard(lab.heard_in_b, "Bye", since)
    stored = json.loads((lab.data_dir / "device.json").read_text())["identity"]
    assert text(bye, "env:Body/d:Bye/wsa:EndpointReference/wsa:Address") == stored[
        "endpoint_reference"]
