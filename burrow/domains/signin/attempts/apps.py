from django.apps import AppConfig


class SigninAttemptsConfig(AppConfig):
    name = "burrow.domains.signin.attempts"
    label = "signin"
    verbose_name = "Sign-in attempts"
    default_auto_field = "django.db.models.BigAutoField"
