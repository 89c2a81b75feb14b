"""The candidate's journey and the Espace Surveillant, live, in real browsers: every screen
updates by itself (push), for the candidate and for each invigilator."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from certification.actions import do_add_time, do_confirm_presence
from certification.models import Answer, CertificationCourse
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker, in_thread, row_action, screenshot
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

NOT_CONFIRMED = (
    "Votre surveillant n'a pas confirmé votre présence dans la salle de test. "
    "Vous ne pouvez donc pas encore commencer votre test de certification. "
    "Merci de prévenir votre surveillant."
)


@pytest.fixture
def room(small_bank):
    """A session with two joined candidates and two invigilators."""
    session = ExamSessionFactory(examiner="Mme Martin, M. Durand")
    invigilators = [
        UserFactory(first_name="Alice", last_name="Martin"),
        UserFactory(first_name="Bruno", last_name="Durand"),
    ]
    candidates = []
    for first, last in (("Léa", "Dupont"), ("Hugo", "Abadi")):
        user = UserFactory(first_name=first, last_name=last, certifiable=True)
        candidates.append(
            CandidateFactory(
                session=session,
                first_name=first,
                last_name=last,
                user=user,
                instructions_accepted_at=timezone.now(),
                extra_time_percentage=33 if first == "Léa" else 0,
            )
        )
    return session, invigilators, candidates


def _enter_with_password(page: Page, axe: AccessibilityChecker, base: str, session) -> None:
    page.goto(f"{base}/surveillance/?session={session.number}")
    axe.check(page)
    page.get_by_label("Mot de passe de la session").fill("mauvais")
    page.get_by_role("button", name="Surveiller la session").click()
    expect(page.get_by_role("alert")).to_contain_text("Le mot de passe de la session est incorrect")
    axe.check(page)
    page.get_by_label("Mot de passe de la session").fill(session.invigilator_password.lower())
    page.get_by_role("button", name="Surveiller la session").click()
    expect(page.get_by_role("heading", name=f"Session {session.number}")).to_be_visible()


def _row(page: Page, name: str):
    return page.locator("li.candidate").filter(has=page.get_by_role("heading", name=name))


def _start_test(page: Page, axe: AccessibilityChecker, base: str, candidate) -> None:
    page.goto(f"{base}/certification/candidats/{candidate.pk}/commencer/")
    axe.check(page)
    page.get_by_label("Code d'accès communiqué par le surveillant").fill(
        candidate.session.access_code
    )
    page.get_by_role("button", name="Commencer mon test").click()


def _answer_current(page: Page) -> None:
    free = page.locator("#free-input")
    if free.is_visible():
        free.fill("pdf")
    else:
        page.locator("#choices input").first.check()
    page.get_by_role("button", name="Je valide ma réponse").click()


def test_it_unlocks_the_candidate_when_confirmed_and_runs_to_the_end(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, (alice, bruno), (lea, _hugo) = room
    inv1 = browser_as(alice)
    _enter_with_password(inv1, axe, asgi_server, session)
    InvigilatorAccess.objects.create(session=session, user=bruno, via="password")
    inv2 = browser_as(bruno, phone=True)
    inv2.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(inv1.locator("#watchers")).to_contain_text("Alice Martin")
    expect(inv1.locator("#watchers")).to_contain_text("Bruno Durand")
    expect(inv2.locator("#counter")).to_have_text("0 / 2 candidats présents")
    axe.check(inv1)
    axe.check(inv2)

    # Léa joins through the form, as on the day: details as on the attendance sheet.
    account = lea.user
    type(lea).objects.filter(pk=lea.pk).update(user=None, instructions_accepted_at=None)
    student = browser_as(account)
    student.goto(f"{asgi_server}/certification/rejoindre/")
    axe.check(student)
    student.get_by_label("Numéro de session").fill(session.number)
    student.get_by_label("Prénom").fill("lea")
    student.get_by_label("Nom de naissance").fill("DUPONT")
    student.get_by_label("Date de naissance").fill("2008-03-15")
    student.get_by_role("button", name="Continuer").click()
    expect(student.get_by_role("alert")).to_contain_text("feuille d'émargement")
    axe.check(student)
    student.get_by_label("Date de naissance").fill("2008-03-14")
    student.get_by_role("button", name="Continuer").click()
    expect(student.get_by_text("Le test comporte 32 questions.")).to_be_visible()
    axe.check(student)
    student.get_by_label("J'ai lu les règles de la certification").check()
    student.get_by_role("button", name="Continuer vers le test").click()
    expect(
        student.get_by_role("heading", name="Vous allez commencer votre test de certification")
    ).to_be_visible()
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill("bcdf22")
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.get_by_role("alert")).to_have_text("Ce code n'existe pas ou n'est plus valide.")
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(session.access_code)
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.get_by_role("alert")).to_have_text(NOT_CONFIRMED)
    axe.check(student)

    inv1.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()
    # Pushed: the candidate's page unlocks and the other invigilator's page updates.
    expect(
        student.get_by_role("status").filter(has_text="a confirmé votre présence")
    ).to_be_visible()
    expect(_row(inv2, "DUPONT Léa")).to_contain_text("Présence confirmée")
    expect(inv2.locator("#counter")).to_have_text("1 / 2 candidats présents")

    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(student)
    screenshot(student, "test-question")
    row = _row(inv2, "DUPONT Léa")
    expect(row).to_contain_text("En cours")
    expect(row).to_contain_text("1 h 45 + 35 min de temps majoré (33 %)")
    expect(row.locator(".countdown")).to_contain_text("Temps restant")
    axe.check(inv2)
    screenshot(inv2, "supervision-phone")

    # An answer costs one request: its response carries the next question, and the
    # invigilators' pages patch the row from the pushed event instead of re-reading all.
    state_reads = {"candidate": 0, "invigilator": 0}
    row_reads = []

    def count(who: str):
        def on_request(request) -> None:
            state_reads[who] += request.url.endswith("/state")
            if "/lignes/" in request.url:
                row_reads.append(request.url)

        return on_request

    student.on("request", count("candidate"))
    inv2.on("request", count("invigilator"))
    for number in range(1, 4):
        expect(student.locator("#progress")).to_have_text(f"Question {number} / 32")
        _answer_current(student)
    expect(student.locator("#progress")).to_have_text("Question 4 / 32")
    expect(_row(inv2, "DUPONT Léa")).to_contain_text("3 / 32 questions")
    assert state_reads == {"candidate": 0, "invigilator": 0}
    assert row_reads == []  # not even the row: the event carries the number
    for number in range(4, 33):
        expect(student.locator("#progress")).to_have_text(f"Question {number} / 32")
        _answer_current(student)
    expect(student.get_by_role("heading", name="Test terminé !")).to_be_visible()
    axe.check(student)
    expect(_row(inv1, "DUPONT Léa")).to_contain_text("Terminé")
    assert Answer.objects.filter(course__candidate=lea).count() == 32


def test_it_handles_a_reported_problem_both_ways(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, (alice, bruno), (lea, _hugo) = room
    for user in (alice, bruno):
        InvigilatorAccess.objects.create(session=session, user=user, via="password")
    inv1, inv2 = browser_as(alice), browser_as(bruno)
    for page in (inv1, inv2):
        page.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
        axe.check(page)
    inv1.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()
    student = browser_as(lea.user)
    _start_test(student, axe, asgi_server, lea)
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    first_prompt = student.locator("#question-prompt").inner_text()

    student.get_by_text("Signaler un problème avec la question").click()
    student.get_by_role("button", name="Oui, je suis sûr(e)").click()
    expect(student.get_by_role("heading", name="En attente du surveillant…")).to_be_visible()
    axe.check(student)

    row = _row(inv2, "DUPONT Léa")
    expect(row).to_contain_text("Signalement en cours")
    expect(inv2.get_by_role("status").filter(has_text="Nouveau signalement")).to_be_attached()
    row_action(row, re.compile("Gérer le signalement")).click()
    dialog = inv2.get_by_role("dialog")
    expect(dialog).to_contain_text("Question n° 1")
    axe.check(inv2)
    dialog.get_by_role("button", name="Valider le signalement").click()
    expect(
        dialog.get_by_text("Sélectionnez un motif pour valider le signalement.").last
    ).to_be_visible()
    dialog.get_by_label(re.compile("problème technique lié à la plateforme")).check()
    dialog.get_by_role("button", name="Valider le signalement").click()
    expect(inv2.locator("#flash")).to_have_text("Le signalement a bien été validé.")

    expect(student.locator("#question-prompt")).not_to_have_text(first_prompt)
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    expect(student.locator("#decision")).to_have_text(
        "Votre signalement a été validé : voici une autre question."
    )
    second_prompt = student.locator("#question-prompt").inner_text()

    student.get_by_text("Signaler un problème avec la question").click()
    student.get_by_role("button", name="Oui, je suis sûr(e)").click()
    expect(student.get_by_role("heading", name="En attente du surveillant…")).to_be_visible()
    row_action(_row(inv1, "DUPONT Léa"), re.compile("Gérer le signalement")).click()
    inv1.get_by_role("dialog").get_by_role("button", name="Refuser le signalement").click()
    expect(inv1.locator("#flash")).to_have_text("Le signalement a bien été refusé.")
    expect(student.locator("#question-prompt")).to_have_text(second_prompt)
    # Issue 13: the candidate sees the decision, and the report panel is closed (« Oui, je
    # suis sûr(e) » no longer one tap away).
    expect(student.locator("#decision")).to_have_text(
        "Votre signalement a été refusé : reprenez la question."
    )
    expect(student.locator("#decision")).to_be_visible()
    expect(student.locator("#report")).not_to_have_attribute("open", "")
    expect(student.get_by_role("button", name="Oui, je suis sûr(e)")).to_be_hidden()
    # The other invigilator's page dropped the alert too, without reloading.
    expect(_row(inv2, "DUPONT Léa")).to_contain_text("En cours")
    axe.check(inv1)


def test_it_resumes_after_authorization_and_ends_by_the_invigilator(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, (alice, _bruno), (_lea, hugo) = room
    InvigilatorAccess.objects.create(session=session, user=alice, via="password")
    inv = browser_as(alice)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    axe.check(inv)
    inv.get_by_role("button", name="Confirmer la présence de l'élève Hugo ABADI").click()
    student = browser_as(hugo.user)
    _start_test(student, axe, asgi_server, hugo)
    for number in (1, 2):
        expect(student.locator("#progress")).to_have_text(f"Question {number} / 32")
        _answer_current(student)
    expect(student.locator("#progress")).to_have_text("Question 3 / 32")
    third = student.locator("#question-prompt").inner_text()

    # The tab is closed: a new tab has no run token and cannot continue alone.
    student.context.close()
    again = browser_as(hugo.user)
    _start_test(again, axe, asgi_server, hugo)
    expect(again.get_by_role("alert")).to_have_text(
        "Merci de contacter votre surveillant afin qu'il autorise la reprise de votre test."
    )
    row = _row(inv, "ABADI Hugo")
    row_action(row, re.compile("Autoriser la reprise du test")).click()
    expect(inv.get_by_role("dialog")).to_contain_text("Autoriser Hugo ABADI à reprendre son test ?")
    axe.check(inv)
    inv.get_by_role("button", name="Je confirme l'autorisation").click()
    expect(inv.locator("#flash")).to_contain_text("peut reprendre son test")
    expect(row).to_contain_text("Autorisé à reprendre")
    expect(again.get_by_role("status").filter(has_text="a confirmé votre présence")).to_be_visible()
    again.get_by_role("button", name="Commencer mon test").click()
    expect(again.locator("#progress")).to_have_text("Question 3 / 32")
    expect(again.locator("#question-prompt")).to_have_text(third)
    axe.check(again)

    row_action(row, re.compile("Terminer le test")).click()
    expect(inv.get_by_role("dialog")).to_contain_text(
        "Attention : cette action entraîne la fin de son test de certification et est irréversible."
    )
    inv.get_by_role("dialog").get_by_role("button", name="Terminer le test").click()
    expect(again.get_by_role("heading", name="Test terminé !")).to_be_visible()
    expect(again.locator("#end-message")).to_contain_text(
        "Votre surveillant a mis fin à votre test"
    )
    # Issue 13: the tag no longer repeats itself (« … par le surveillant par … »).
    expect(row).to_contain_text("Terminé par Alice Martin")
    expect(row).not_to_contain_text("par le surveillant par")
    axe.check(again)
    assert CertificationCourse.objects.get(candidate=hugo).answers.count() == 2


def _until(page: Page, done) -> None:
    """Waits (5 s at most) for something the browser does to the requests the test holds."""
    for _ in range(100):
        if done():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never sent the request")


def test_it_never_puts_back_a_question_already_answered(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """Found by CI: a state read the page starts while an answer is in flight (an event, the
    socket coming back) can be served before the answer is saved and arrive after the
    answer's response; it must not put the answered question back on screen."""
    _session, (alice, _bruno), (_lea, hugo) = room
    in_thread(do_confirm_presence, hugo, actor=alice)
    student = browser_as(hugo.user)
    _start_test(student, axe, asgi_server, hugo)
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    first = student.locator("#question-prompt").inner_text()
    axe.check(student)

    answers: list[Route] = []
    reads: list[tuple[Route, object]] = []
    student.route("**/answers", lambda route: answers.append(route))
    student.route("**/state", lambda route: reads.append((route, route.fetch())))
    _answer_current(student)
    _until(student, lambda: answers)
    # The invigilator adds time meanwhile: the page reads its state, served before the answer.
    in_thread(do_add_time, [hugo], minutes=5, reason="Retard du bus", actor=alice)
    _until(student, lambda: reads)
    student.unroute("**/state")
    answers[0].continue_()
    expect(student.locator("#progress")).to_have_text("Question 2 / 32")
    second = student.locator("#question-prompt").inner_text()
    assert second != first

    route, response = reads[0]
    with student.expect_request_finished(lambda request: request.url.endswith("/state")):
        route.fulfill(response=response)  # type: ignore[arg-type]
    student.evaluate("() => new Promise((done) => setTimeout(done, 300))")
    expect(student.locator("#progress")).to_have_text("Question 2 / 32")
    expect(student.locator("#question-prompt")).to_have_text(second)
