"""WS-Discovery 1.0 (April 2005, the version ONVIF Core "Device discovery" uses), target
service role, sans-IO: ``messages`` builds and reads SOAP envelopes, ``matching`` decides
whether a Probe matches, ``target`` answers datagrams. ``engine.discovery`` is the UDP
shell."""
