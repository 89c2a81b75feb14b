"""Personas shared by every test: the centre admin, an invigilator, the admin of another
centre, a candidate and a jury member, so each test can show who is refused."""

import pytest

from tests.factories import (
    CandidateFactory,
    CentreFactory,
    ExamSessionFactory,
    MembershipFactory,
    UserFactory,
)


@pytest.fixture
def centre(db):
    return CentreFactory(name="Lycée Victor Hugo")


@pytest.fixture
def centre_admin(centre):
    return MembershipFactory(centre=centre, user__email="admin@lycee.fr").user


@pytest.fixture
def other_centre_admin(db):
    return MembershipFactory(user__email="admin@autre-lycee.fr").user


@pytest.fixture
def invigilator(db):
    return UserFactory(email="surveillant@lycee.fr")


@pytest.fixture
def candidate_user(db):
    return UserFactory(email="eleve@lycee.fr", certifiable=True)


@pytest.fixture
def jury(db):
    return UserFactory(email="jury@vigie.fr", is_staff=True)


@pytest.fixture
def exam_session(centre, centre_admin):
    return ExamSessionFactory(centre=centre, created_by=centre_admin)


@pytest.fixture
def candidate(exam_session):
    return CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
