"""The event service without its XML: topics, filters and PullPoint subscriptions (pure,
given ``now``), plus ``long_poll``, their asyncio side.

``soap/`` parses requests into these values and writes their answers; the services only
publish domain events on the bus (``service.events``) and never see any of this.
"""
