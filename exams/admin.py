from django.contrib import admin

from exams.models import ExamDuration


@admin.register(ExamDuration)
class ExamDurationAdmin(admin.ModelAdmin):
    """The operator's durations per complementary certification (issue 15): a test reads its
    duration when it starts."""

    list_display = ["complementary_certification", "minutes"]
