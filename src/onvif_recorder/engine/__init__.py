"""The asyncio shell around the sans-IO ingest (``rtsp``, ``rtp``): sockets, timers, tasks.

``connection`` drives one ``rtsp.session.ClientSession`` over a TCP connection and, for
RTP/UDP, a pair of datagram sockets per media; ``receiver_task`` keeps one receiver
connected (reconnecting with backoff) and publishes its samples through ``samples``;
``supervisor`` decides from the stored configuration which receivers run.
"""
