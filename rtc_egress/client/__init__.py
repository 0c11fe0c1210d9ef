"""Client of the task API: the ``rtc-egress task`` commands."""
