"""SOAP 1.2 adapter: the only package that knows XML."""
