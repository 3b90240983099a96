"""The recording engine's decisions without I/O.

``plan`` (what each recording records now, from Annex A arbitration), ``flow`` (which job
tracks really record: RC §5.19 job states), ``track_mapping`` and ``feed_session`` (which
received stream feeds which recorded track). The asyncio shell is ``engine``.
"""
