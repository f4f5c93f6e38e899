from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("language/", views.set_language, name="language"),
    path("decide/<str:token>/", views.decide, name="decide"),
]
