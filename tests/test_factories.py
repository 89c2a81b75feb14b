"""Every model has a factory in tests/factories.py, and each factory makes a valid row."""

import factory
import pytest
from django.apps import apps
from django.conf import settings

from tests import factories

OURS = tuple(settings.VIGIE_APPS)
FACTORIES = {
    obj._meta.model: obj
    for obj in vars(factories).values()
    if isinstance(obj, type)
    and issubclass(obj, factory.django.DjangoModelFactory)
    and obj._meta.model is not None
}


def test_it_has_a_factory_for_every_model():
    models = [m for m in apps.get_models() if m._meta.app_label in OURS]

    assert [m.__name__ for m in models if m not in FACTORIES] == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", sorted(FACTORIES, key=lambda m: m.__name__), ids=str)
def test_it_makes_a_valid_row_with_each_factory(model):
    row = FACTORIES[model]()

    row.full_clean()
    assert model.objects.filter(pk=row.pk).exists()
