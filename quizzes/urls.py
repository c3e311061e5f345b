from django.urls import path

from quizzes import views

app_name = "quizzes"
urlpatterns = [
    path("", views.home, name="home"),
    path("practice/", views.practice_start, name="practice"),
    path("practice/next/", views.practice_next, name="practice_next"),
    path("practice/<int:pk>/", views.practice_question, name="practice_question"),
    path("exams/<slug:slug>/start/", views.exam_start, name="exam_start"),
    path("attempts/<int:pk>/", views.attempt, name="attempt"),
    path("attempts/<int:pk>/q/<int:position>/", views.attempt_question, name="attempt_question"),
    path("attempts/<int:pk>/q/<int:position>/save/", views.attempt_save, name="attempt_save"),
    path("attempts/<int:pk>/clock/", views.attempt_clock, name="attempt_clock"),
    path("attempts/<int:pk>/review/", views.attempt_review, name="attempt_review"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="attempt_result"),
]
