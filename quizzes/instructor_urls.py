"""Instructor authoring pages, mounted at /instructor/quizzes/ (see quizzes/instructor_views.py)."""

from django.urls import path

from quizzes import instructor_views as views

app_name = "quizzes_instructor"
urlpatterns = [
    path("", views.bank, name="bank"),
    path("new/", views.choose_type, name="choose_type"),
    path("new/<slug:question_type>/", views.create, name="create"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("gift/", views.gift_upload, name="gift"),
    path("export/browser.yaml", views.export, name="export"),
]
