from django.apps import AppConfig


class FinalizationConfig(AppConfig):
    name = "finalization"
    verbose_name = "Finalisation et documents archivés"
