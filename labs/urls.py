from django.urls import path

from labs import views

app_name = "labs"
urlpatterns = [
    path("", views.lab_list, name="list"),
    path("<slug:slug>/", views.lab, name="lab"),
    path("<slug:slug>/submit/", views.submit, name="submit"),
    path("<slug:slug>/api/submissions/", views.api_submit, name="api_submit"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("<slug:slug>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    path("<slug:slug>/regrade/", views.regrade, name="regrade"),
]
