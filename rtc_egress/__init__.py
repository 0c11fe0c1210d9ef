"""rtc-egress: self-hosted recording of real-time channels and web pages."""

__version__ = "0.1.0"
