"""onduty: the on-call console."""

__version__ = "0.1.0"
