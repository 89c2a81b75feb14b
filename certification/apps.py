from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Passation du test de certification"

    def ready(self) -> None:
        from certification import checks  # noqa: F401 - registers the item-bank check
