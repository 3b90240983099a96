"""Command line: ``onvif-recorder serve``, ``probe URI``, ``status``, ``config``,
``dump-segment FILE``, ``decrypt FILE...``, ``export RECORDING`` and ``verify FILE``."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from onvif_recorder import __version__, config, decrypt, export_command, logs, recorder_status
from onvif_recorder.app import REALM, build_app, build_services
from onvif_recorder.engine.connection import ConnectionConfig
from onvif_recorder.engine.discovery import discovery_context
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.rtsp_server import replay_context
from onvif_recorder.engine.runtime import RunningEngine
from onvif_recorder.engine.tls import TlsPolicy, parse_pin
from onvif_recorder.engine.workers.context import pool_media_flow, workers_context
from onvif_recorder.engine.workers.worker import WorkerArgs
from onvif_recorder.factory_reset import apply_factory_default
from onvif_recorder.lifecycle import ProcessLifecycle, exec_again
from onvif_recorder.logbuffer import install as install_log_buffer
from onvif_recorder.mp4.inspect import dump
from onvif_recorder.probe import TRANSPORTS, probe

log = logging.getLogger("onvif_recorder")


def parse_listen(text: str) -> tuple[str, int]:
    try:
        return config.parse_listen(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_ca_file(text: str) -> str:
    """A PEM file of CA certificates, loaded once now so a bad one stops the start."""
    try:
        ssl.create_default_context(cafile=text)
    except (OSError, ssl.SSLError) as exc:
        raise argparse.ArgumentTypeError(
            f"cannot load CA certificates from {text!r}: {exc}") from None
    return text


def parse_camera_pin(text: str) -> tuple[str, str]:
    try:
        return parse_pin(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onvif-recorder", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_serve(commands.add_parser("serve", help="run the ONVIF recorder"))
    _add_probe(commands.add_parser(
        "probe", help="connect to an RTSP camera, print its streams and count samples"
    ))
    _add_status(commands.add_parser(
        "status", help="recordings, jobs, receivers, storage roots and the upload spool"))
    settings = commands.add_parser("config", help="the configuration file (serve --config)")
    what = settings.add_mutually_exclusive_group(required=True)
    what.add_argument("--defaults", action="store_true",
                      help="print a complete configuration file of the defaults, commented")
    what.add_argument("--check", type=Path, metavar="FILE",
                      help="check FILE as serve --config would; exit 1 with the line and reason")
    dump = commands.add_parser("dump-segment", help="print the box tree of an MP4 segment")
    dump.add_argument("file", type=Path)
    dump.add_argument("--max-samples", type=int, default=None, help="trun entries shown")
    _add_decrypt(commands.add_parser(
        "decrypt", help="write clear copies of encrypted segments (RC Annex B.8, cenc)"))
    export_command.add_export(commands.add_parser(
        "export", help="export a recording's time range as a signed ONVIF export file"))
    export_command.add_verify(commands.add_parser(
        "verify", help="check an export file's signature, print its suep/cstb facts"))
    return parser


def _add_status(status: argparse.ArgumentParser) -> None:
    status.add_argument("--data-dir", type=Path, default=Path("data"),
                        help="the recorder's data directory (default: ./data)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument("--url", metavar="URL",
                        help="the running recorder (http://HOST:PORT): job and receiver "
                        "states are read from its /metrics")
    status.add_argument("--user", default=os.environ.get("ONVIF_RECORDER_USER"),
                        help="user for --url when [metrics] require_auth is set "
                        "(env ONVIF_RECORDER_USER)")
    status.add_argument("--password", default=os.environ.get("ONVIF_RECORDER_PASSWORD"),
                        help="its password (env ONVIF_RECORDER_PASSWORD)")


def status_command(args: argparse.Namespace) -> int:
    status = recorder_status.read(args.data_dir)
    if args.url:
        try:
            recorder_status.ask_live(status, args.url, args.user, args.password)
        except (OSError, ValueError) as exc:
            print(f"onvif-recorder: cannot read {args.url}/metrics: {exc}", file=sys.stderr)
            return 1
    sys.stdout.write(recorder_status.render(status, args.json))
    return 0


def _add_decrypt(decrypt: argparse.ArgumentParser) -> None:
    decrypt.add_argument("files", type=Path, nargs="+", metavar="FILE")
    key = decrypt.add_mutually_exclusive_group(required=True)
    key.add_argument("--key", action="append", metavar="[KID:]KEY",
                     help="content key as 32 hex digits, optionally for one KID (repeatable)")
    key.add_argument("--private-key", type=Path, metavar="PEM",
                     help="private key of a certificate the recording was encrypted for "
                     "(AsymmetricEncryption; RSA or EC)")
    decrypt.add_argument("-o", "--output", type=Path, default=None,
                         help="output file (one input) or directory; default: "
                         "NAME.clear.EXT beside each input")


def _add_serve(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--config", type=Path, metavar="FILE",
                       help="TOML configuration file (onvif-recorder config --defaults prints "
                       "one); options given here win over it")
    serve.add_argument("--data-dir", type=Path, default=None,
                       help="database and recordings (default: ./data)")
    serve.add_argument("--listen", type=parse_listen, default=None,
                       metavar="HOST:PORT", help="SOAP/HTTP address (default: 0.0.0.0:8080)")
    serve.add_argument("--rtsp-listen", type=parse_listen, default=None, metavar="HOST:PORT",
                       help="replay RTSP server address (default: 0.0.0.0:8554; 0 = any port)")
    serve.add_argument(
        "--admin-user", default=os.environ.get("ONVIF_RECORDER_ADMIN_USER"),
        help="first-run administrator (env ONVIF_RECORDER_ADMIN_USER; default: admin)",
    )
    serve.add_argument(
        "--admin-password", default=os.environ.get("ONVIF_RECORDER_ADMIN_PASSWORD"),
        help="first-run administrator password (env "
        "ONVIF_RECORDER_ADMIN_PASSWORD; generated and printed if absent)",
    )
    serve.add_argument(
        "--allow-password-text", action="store_true", default=None,
        help="accept WS-UsernameToken PasswordText (clear-text passwords; off by default)",
    )
    serve.add_argument(
        "--segment-duration", type=float, default=None, metavar="SECONDS",
        help="segment length of recordings without a Target (default: 10)",
    )
    serve.add_argument(
        "--no-discovery", action="store_true",
        help="no WS-Discovery (UDP 3702): clients must be given the device service address",
    )
    serve.add_argument(
        "--allow-hard-reset", action="store_true",
        help="let SetSystemFactoryDefault Hard delete every recording, user and setting "
        "(refused without this option)",
    )
    _add_camera_tls(serve)
    serve.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING, … (default: INFO)")
    serve.add_argument("--log-format", choices=config.LOG_FORMATS, default=None,
                       help="text lines or one JSON object per line (default: text)")


def _add_camera_tls(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--camera-ca", type=parse_ca_file, metavar="FILE",
        help="PEM CA certificates trusted for rtsps:// cameras besides the system store",
    )
    parser.add_argument(
        "--camera-fingerprint", type=parse_camera_pin, action="append", default=[],
        metavar="HOST[:PORT]=SHA256",
        help="accept exactly this certificate (SHA-256 of its DER) from that camera "
        "instead of checking its chain and name; repeatable",
    )


def camera_tls(args: argparse.Namespace) -> TlsPolicy:
    return TlsPolicy(ca_file=args.camera_ca, pins=tuple(args.camera_fingerprint))


def _add_probe(probe_parser: argparse.ArgumentParser) -> None:
    probe_parser.add_argument("uri", help="rtsp://[user:password@]host[:port]/path")
    probe_parser.add_argument("--seconds", type=float, default=5.0,
                              help="how long to count after PLAY (default: 5)")
    probe_parser.add_argument("--transport", choices=sorted(TRANSPORTS), default="udp",
                              help="as a receiver's StreamSetup: RTP/UDP (default), RTP "
                              "interleaved in RTSP/TCP, RTSP tunnelled over HTTP, multicast")
    probe_parser.add_argument("--tcp", dest="transport", action="store_const", const="rtsp",
                              help="the same as --transport rtsp")
    _add_camera_tls(probe_parser)


def serve_config(args: argparse.Namespace) -> config.ServeConfig:
    """The file's values (if any), then every option given on the command line."""
    values = config.load(args.config) if args.config is not None else {}
    given = {"data_dir": args.data_dir, "allow_password_text": args.allow_password_text,
             "segment_duration": args.segment_duration, "log_level": args.log_level,
             "log_format": args.log_format,
             "discovery": False if args.no_discovery else None,
             "allow_hard_reset": True if args.allow_hard_reset else None}
    values |= {name: value if not isinstance(value, Path) else str(value)
               for name, value in given.items() if value is not None}
    for name in ("listen", "rtsp_listen"):
        if getattr(args, name) is not None:
            host, port = getattr(args, name)
            values[name] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return config.apply(values)


def serve(args: argparse.Namespace, chosen: config.ServeConfig) -> int:
    settings = chosen.settings
    host, port = settings.listen_host, settings.listen_port
    media = pool_media_flow()
    lifecycle = ProcessLifecycle()
    services = build_services(settings, media, lifecycle=lifecycle, log=install_log_buffer())
    generated = services.users.ensure_initial_administrator(args.admin_user, args.admin_password)
    if generated is not None:
        print(
            f"First run: created administrator {args.admin_user or 'admin'!r} "
            f"with password {generated!r}. It is shown only this once.",
            flush=True,
        )
    running = RunningEngine()
    app = build_app(settings, services, running=running)
    worker = WorkerArgs(0, settings, IngestConfig(ConnectionConfig(tls=camera_tls(args))),
                        chosen.log_level, chosen.log_format)
    app.cleanup_ctx.append(workers_context(
        settings, services.holder, services.events, services.engine, media, worker, running,
        services.camera_topics))
    app.cleanup_ctx.append(replay_context(settings, services.replay, services.users.lookup,
                                          REALM, running))
    if settings.discovery:  # torn down first: Bye before the engine stops
        app.cleanup_ctx.append(discovery_context(services.device, services.system, host, port))
    print(
        f"onvif-recorder {__version__}: device service at "
        f"http://{host}:{port}/onvif/device_service, data in {settings.data_dir}",
        flush=True,
    )
    # Everything built so far lives as long as the process: out of the collector's sight,
    # a full collection takes microseconds instead of ~20 ms of SOAP latency.
    gc.freeze()
    try:
        web.run_app(app, host=host, port=port, print=None, access_log=None)
    except OSError as exc:  # a port in use, an address not on this host: say which
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        print(f"onvif-recorder: cannot listen: {exc}", file=sys.stderr)
        return 1
    if lifecycle.requested:  # SystemReboot or SetSystemFactoryDefault
        if lifecycle.reset is not None:
            apply_factory_default(settings, lifecycle.reset)
        exec_again()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level, log_format = "WARNING", "text"
    if args.command == "serve":
        try:
            chosen = serve_config(args)
        except config.ConfigError as exc:
            print(f"onvif-recorder: {args.config}: {exc}", file=sys.stderr)
            return 2
        level, log_format = chosen.log_level, chosen.log_format
    logs.configure(level, log_format)
    if args.command == "serve":
        return serve(args, chosen)
    if args.command == "config":
        return config_command(args)
    if args.command == "status":
        return status_command(args)
    if args.command == "probe":
        return asyncio.run(probe(args.uri, args.seconds, args.transport, sys.stdout,
                                 camera_tls(args)))
    if args.command == "decrypt":
        return decrypt_command(args)
    if args.command == "export":
        return export_command.export_command(args)
    if args.command == "verify":
        return export_command.verify_command(args)
    if args.command == "dump-segment":
        sys.stdout.write(dump(Path(args.file).read_bytes(), max_samples=args.max_samples))
        return 0
    return 2


def config_command(args: argparse.Namespace) -> int:
    if args.defaults:
        sys.stdout.write(config.render_defaults())
        return 0
    try:
        config.load(args.check)
    except config.ConfigError as exc:
        print(f"{args.check}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.check}: OK")
    return 0


def decrypt_command(args: argparse.Namespace) -> int:
    try:
        written = decrypt.run(args.files, args.key, args.private_key, args.output)
    except (OSError, ValueError) as exc:
        print(f"onvif-recorder decrypt: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
