"""Failed password sign-ins in a fixed window per bucket (one bucket per e-mail address, one per client
address), counted by `burrow.core.attempts`. `bucket` is a hash: neither the address nor the IP is stored."""

from django.db import models


class LoginFailureWindow(models.Model):
    bucket = models.CharField(max_length=64, unique=True)
    window_start = models.DateTimeField(db_index=True)
    failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.failures} failed sign-ins since {self.window_start:%Y-%m-%d %H:%M:%S}"
