from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import LoginView

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("quizzes/", include("quizzes.urls")),
    path("instructor/quizzes/", include("quizzes.instructor_urls")),
    path("labs/", include("labs.urls")),
    path("", include("courses.urls")),
]
