from django.apps import AppConfig

from certification import checks  # noqa: F401 - registers the item-bank check


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = "Passation du test de certification"
