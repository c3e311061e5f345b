from django.urls import path

from courses import views

app_name = "courses"
urlpatterns = [
    path("", views.course, name="course"),
    path("search/", views.search, name="search"),
    path("lessons/<slug:slug>/", views.lesson, name="lesson"),
    path("lessons/<slug:slug>/done/", views.mark_done, name="mark_done"),
    path("instructor/report/", views.content_report, name="report"),
    path("instructor/reimport/", views.reimport, name="reimport"),
]
