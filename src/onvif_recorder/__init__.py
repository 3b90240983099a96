"""onvif-recorder: an ONVIF Profile G network video recorder."""

__version__ = "0.1.0"
