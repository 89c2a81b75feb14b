import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Centre, CompetenceLevel, Membership, User
from exams.models import Candidate, ExamSession
from lib.codes import generate_access_code, generate_invigilator_password

PASSWORD = "Motdepasse1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def certifiable(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if extracted:
            for code in ("1.1", "1.2", "2.1", "3.1", "4.1"):
                CompetenceLevel.objects.create(user=self, competence=code, level=2)
        if create:
            self.save()


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Lycée numéro {n}")
    type = Centre.Type.SCHOOL
    time_zone = Centre.TimeZone.PARIS


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)


class ExamSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamSession
        skip_postgeneration_save = True

    centre = factory.SubFactory(CentreFactory)
    number = factory.Sequence(lambda n: str(1000000 + n))
    site_name = "Lycée Victor Hugo"
    address = "1 rue de la République, 69001 Lyon"
    room = "B12"
    date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    time = dt.time(14, 0)
    examiner = "Mme Martin"
    access_code = factory.LazyFunction(generate_access_code)
    # Tests that exercise the companion extension turn it on explicitly.
    companion_required = False
    invigilator_password_encrypted = ""

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.invigilator_password = extracted or generate_invigilator_password()
        if create:
            self.save(update_fields=["invigilator_password_encrypted"])


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    session = factory.SubFactory(ExamSessionFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    birthdate = dt.date(2008, 3, 14)
    sex = "F"
    birth_city = "Lyon"
    birth_postal_code = "69001"
    birth_country = "FRANCE"
