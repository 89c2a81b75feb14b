from django.urls import path

import lib.ids  # noqa: F401 - registers the « id » path converter
from invigilation import views

app_name = "invigilation"

session = "sessions/<id:session_id>/"
candidate = session + "candidats/<id:candidate_id>/"
alert = session + "signalements/<id:alert_id>/"

urlpatterns = [
    path("", views.enter, name="enter"),
    path("aide/", views.help_page, name="help"),
    path(session, views.session_page, name="session"),
    path(session + "entrer/", views.enter_as_member, name="enter_as_member"),
    path(session + "quitter/", views.leave, name="leave"),
    path(session + "kit.pdf", views.kit, name="kit"),
    path(session + "pv-fraude/<id:note_id>.pdf", views.fraud_report, name="fraud_report"),
    # « Affichage salle » (issue 16): the screen projected in the room, and its content.
    path(session + "affichage-salle/", views.wall, name="wall"),
    path(session + "affichage-salle/contenu/", views.wall_content, name="wall_content"),
    path(session + "affichage-salle/code/", views.show_access_code, name="show_code"),
    # Before the start and before leaving (issue 16).
    path(session + "avant-le-debut/", views.readiness_board, name="readiness"),
    path(session + "avant-de-partir/", views.closing_checklist, name="closing"),
    # The live page's fragments (htmx): rows, and the actions that give their row back.
    path(session + "lignes/", views.rows, name="rows"),
    path(session + "notes/", views.session_note, name="session_note"),
    path(session + "terminer-temps-ecoule/", views.end_overtime, name="end_overtime"),
    path(session + "suspendre/", views.suspend_session, name="suspend_session"),
    path(session + "reprendre/", views.resume_session, name="resume_session"),
    path(session + "message/", views.room_message, name="room_message"),
    path(session + "selection/confirmer/", views.confirm_selection, name="confirm_selection"),
    path(session + "selection/ajouter-temps/", views.add_time_selection, name="add_time_selection"),
    path(session + "selection/message/", views.message_selection, name="message_selection"),
    path(session + "selection/terminer/", views.end_selection, name="end_selection"),
    path(candidate + "confirmer/", views.confirm_presence, name="confirm"),
    path(candidate + "annuler-confirmation/", views.cancel_presence, name="cancel"),
    path(candidate + "autoriser-reprise/", views.authorize_resume, name="resume"),
    path(candidate + "terminer/", views.end_test, name="end"),
    path(candidate + "notes/", views.candidate_note, name="note"),
    path(candidate + "constats/<id:event_id>/au-pv/", views.evidence_to_pv, name="evidence_pv"),
    path(candidate + "ajouter-temps/", views.add_time, name="add_time"),
    path(candidate + "suspendre/", views.suspend_test, name="suspend_test"),
    path(candidate + "reprendre/", views.continue_test, name="continue_test"),
    path(candidate + "message/", views.candidate_message, name="message"),
    path(alert + "valider/", views.validate_alert, name="validate"),
    path(alert + "refuser/", views.refuse_alert, name="refuse"),
    path(alert + "extension/", views.confirm_companion, name="companion"),
    path(alert + "je-m-en-occupe/", views.claim_alert, name="claim"),
]
