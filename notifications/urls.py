from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("decide/<str:token>/", views.decide, name="decide"),
]
