"""The asyncio shells around the sans-IO cores: sockets, timers, tasks, threads.

Only code that waits lives here; the decisions it acts on are pure and live with their
peers (``ingest``, ``recording``, ``service``, ``storage``, ``mp4``).

Ingest: ``connection`` drives one ``rtsp.session.ClientSession`` over a connection that
``dial`` opens (TCP, TLS, or the HTTP tunnel of ``tunnel``) and, for RTP/UDP, a pair of
datagram sockets per media (``udp``: unicast or multicast); ``receiver_task`` keeps one
receiver connected (reconnecting with ``ingest.backoff``) and publishes its samples
through ``samples``, the interface the recording side subscribes to;
``receiver_supervisor`` decides from the stored configuration which receivers run.
Recording (``recording_supervisor``, ``recording_task``, ``data_deletion``, ``uploads``,
with their blocking storage calls on ``storage_writer``'s thread) and ``runtime``, which
composes both for ``serve``.
"""
