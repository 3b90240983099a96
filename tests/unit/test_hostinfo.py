"""Host network parsers behind GetDNS, GetNTP and GetNetworkDefaultGateway."""

from __future__ import annotations

from onvif_recorder.hostinfo import (
    parse_ipv4_routes,
    parse_ipv6_routes,
    parse_ntp_config,
    parse_resolv_conf,
)


def test_resolv_conf() -> None:
    text = ("# generated\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\n"
            "search example.com lab.example.com\noptions edns0\n")
    assert parse_resolv_conf(text) == (("example.com", "lab.example.com"),
                                       ("192.0.2.53", "fe80::1"))


def test_ntp_configs() -> None:
    assert parse_ntp_config("pool 2.debian.pool.ntp.org iburst\nserver 192.0.2.1\n"
                            "# server 198.51.100.1\n") == ("2.debian.pool.ntp.org", "192.0.2.1")
    assert parse_ntp_config("[Time]\nNTP=ntp1.example.com ntp2.example.com\n") == (
        "ntp1.example.com", "ntp2.example.com")
    assert parse_ntp_config("[Time]\n#NTP=\n") == ()


def test_routes() -> None:
    ipv4 = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
            "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n"
            "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n")
    assert parse_ipv4_routes(ipv4) == ("192.0.2.1",)
    ipv6 = ("00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
            "fd000000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n"
            "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
            "00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n")
    assert parse_ipv6_routes(ipv6) == ("fd00::1",)
