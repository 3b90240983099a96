"""Service semantics: ONVIF operations, arbitration and state; framework-free."""
