"""The client side of bench/replay.py: a minimal RTSP/TCP interleaved reader (asyncio).

One session: DESCRIBE (HTTP Digest MD5 when challenged), SETUP of every media of the
SDP as RTP/AVP/TCP interleaved, PLAY with ``Require: onvif-replay`` and ``Rate-Control:
no`` (Streaming §6.4: as fast as the transport allows; ``Require`` not to a server
without ONVIF replay), then the interleaved frames are
drained and counted until the session's RTP packet count is reached (calibrated by a
first session that reads until the server falls silent), then TEARDOWN. Nothing is
parsed beyond the ``$`` framing and, on channel 0, the RTP timestamp."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

READ_SIZE = 1 << 16
SILENCE = 2.0  # calibration: the server sent everything once it is silent this long


@dataclass
class Counts:
    packets: int = 0
    """RTP packets (even channels)."""
    bytes: int = 0
    """RTP bytes, interleaved framing excluded."""
    video_timestamps: list[int] = field(default_factory=list)
    """First and last RTP timestamp on channel 0 (the first SDP media)."""


class Session:
    def __init__(self, url: str, user: str, password: str, onvif: bool = True) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 554
        self.url = urlunsplit(parts._replace(netloc=f"{self.host}:{self.port}"))
        self.user, self.password = user, password
        # a server without ONVIF replay would refuse Require: onvif-replay with 551
        self.replay_headers = {"Rate_Control": "no"} | ({"Require": "onvif-replay"}
                                                        if onvif else {})
        self.cseq = 0
        self.challenge: dict[str, str] | None = None
        self.session: str | None = None
        self.buffer = bytearray()

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, url: str, **headers: str
                      ) -> tuple[int, dict[str, str], bytes]:
        answer = await self._send(method, url, headers)
        if answer[0] == 401 and self.challenge is None:
            md5 = next(c for c in answer[1]["www-authenticate"].split("\n") if "MD5" in c)
            self.challenge = dict(re.findall(r'(\w+)="?([^",]*)"?', md5))
            answer = await self._send(method, url, headers)
        if "session" in answer[1]:
            self.session = answer[1]["session"].split(";")[0]
        return answer

    async def _send(self, method: str, url: str, headers: dict[str, str]
                    ) -> tuple[int, dict[str, str], bytes]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        if self.session:
            lines.append(f"Session: {self.session}")
        if self.challenge is not None:
            lines.append(self._authorization(method, url))
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:  # interleaved frames before the answer are skipped
            if self.buffer[:1] == b"$":
                await self._frame(None)
                continue
            while b"\r\n\r\n" not in self.buffer:
                await self._fill()
            if self.buffer[:1] != b"$":
                return await self._response()

    def _authorization(self, method: str, url: str) -> str:
        assert self.challenge is not None
        realm, nonce = self.challenge["realm"], self.challenge["nonce"]

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.user}:{realm}:{self.password}")
        nc, cnonce = f"{self.cseq:08x}", "0a4f113b"
        response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{md5(f'{method}:{url}')}")
        opaque = f', opaque="{self.challenge["opaque"]}"' if "opaque" in self.challenge else ""
        return (f'Authorization: Digest username="{self.user}", realm="{realm}", '
                f'nonce="{nonce}", uri="{url}", response="{response}", algorithm=MD5, '
                f'qop=auth, nc={nc}, cnonce="{cnonce}"{opaque}')

    async def _fill(self) -> None:
        data = await self.reader.read(READ_SIZE)
        if not data:
            raise EOFError("the server closed the connection")
        self.buffer += data

    async def _response(self) -> tuple[int, dict[str, str], bytes]:
        head, _, _ = bytes(self.buffer).partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = (headers[key] + "\n" if key in headers else "") + value.strip()
        start = len(head) + 4
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < start + length:
            await self._fill()
        body = bytes(self.buffer[start:start + length])
        del self.buffer[:start + length]
        return int(lines[0].split()[1]), headers, body

    async def _frame(self, counts: Counts | None) -> None:
        while len(self.buffer) < 4:
            await self._fill()
        size = int.from_bytes(self.buffer[2:4], "big")
        while len(self.buffer) < 4 + size:
            await self._fill()
        channel = self.buffer[1]
        if counts is not None and channel % 2 == 0:
            counts.packets += 1
            counts.bytes += size
            if channel == 0:
                timestamp = int.from_bytes(self.buffer[8:12], "big")
                del counts.video_timestamps[1:]
                counts.video_timestamps.append(timestamp)
        del self.buffer[:4 + size]

    async def setup_and_play(self) -> None:
        status, headers, body = await self.request("DESCRIBE", self.url,
                                                   Accept="application/sdp")
        assert status == 200, f"DESCRIBE answered {status}"
        base = headers.get("content-base", self.url)
        for number, control in enumerate(media_controls(body.decode())):
            url = control if "://" in control else f"{base.rstrip('/')}/{control}"
            status, _, _ = await self.request(
                "SETUP", url, Transport=f"RTP/AVP/TCP;unicast;interleaved={2 * number}-"
                f"{2 * number + 1}")
            assert status == 200, f"SETUP answered {status}"
        status, _, _ = await self.request("PLAY", self.url, Range="npt=0-",
                                          **self.replay_headers)
        assert status == 200, f"PLAY answered {status}"

    async def drain(self, counts: Counts, expected: int | None) -> None:
        """Count frames until ``expected`` RTP packets came; without, until no RTP packet
        came for SILENCE seconds (RTCP reports go on after the end)."""
        quiet_since = time.monotonic()
        while expected is None or counts.packets < expected:
            if len(self.buffer) >= 4 and len(self.buffer) >= 4 + int.from_bytes(
                    self.buffer[2:4], "big"):
                before = counts.packets
                await self._frame(counts)
                if counts.packets != before:
                    quiet_since = time.monotonic()
                continue
            if expected is None and time.monotonic() - quiet_since > SILENCE:
                return
            try:
                data = await asyncio.wait_for(self.reader.read(READ_SIZE),
                                              SILENCE if expected is None else None)
            except TimeoutError:
                continue
            if not data:
                raise EOFError("the server closed the connection")
            self.buffer += data

    async def close(self) -> None:
        self.cseq += 1
        self.writer.write(f"TEARDOWN {self.url} RTSP/1.0\r\nCSeq: {self.cseq}\r\n"
                          f"Session: {self.session}\r\n\r\n".encode())
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def media_controls(sdp: str) -> list[str]:
    """The a=control of every m= section, in order."""
    controls: list[str] = []
    in_media = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_media = True
            controls.append("")
        elif in_media and line.startswith("a=control:"):
            controls[-1] = line.removeprefix("a=control:").strip()
    return controls


async def play_once(url: str, user: str, password: str, expected: int | None,
                    onvif: bool = True) -> Counts:
    session = Session(url, user, password, onvif)
    await session.open()
    counts = Counts()
    try:
        await session.setup_and_play()
        await session.drain(counts, expected)
    finally:
        await session.close()
    return counts


async def play_for(url: str, user: str, password: str, expected: int, until: float,
                   onvif: bool) -> tuple[int, int]:
    """Whole sessions back to back until the monotonic time ``until``: (sessions, bytes)."""
    sessions = octets = 0
    while time.monotonic() < until:
        counts = await play_once(url, user, password, expected, onvif)
        sessions, octets = sessions + 1, octets + counts.bytes
    return sessions, octets


async def clients(url: str, user: str, password: str, expected: int, n: int,
                  seconds: float, onvif: bool) -> tuple[int, int, float]:
    """N clients playing for ``seconds``: (sessions, RTP bytes, wall seconds until the
    last session ended)."""
    started = time.monotonic()
    until = started + seconds
    results = await asyncio.gather(*(play_for(url, user, password, expected, until, onvif)
                                     for _ in range(n)))
    return sum(s for s, _ in results), sum(b for _, b in results), time.monotonic() - started
