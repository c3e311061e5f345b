from django.urls import path

from benchmarks.bare import views

urlpatterns = [
    path(
        "bare/users/<int:user>/attempts/<int:pk>/q/<int:position>/save/",
        views.save,
        name="bare_save",
    ),
]
