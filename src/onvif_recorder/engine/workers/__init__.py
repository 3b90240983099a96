"""Recording in worker processes (``onvif-recorder serve``): the front end's pool
(``pool``, ``context``), what a worker runs (``worker``, ``replica``), what they say
(``messages`` over a ``channel``), where recordings go (``shards``), and what the
front end reports for them meanwhile (``remote_flow``)."""
