from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/plain/", views.plain),
    path("bench/catalog/", views.plain_catalog),
    path("", include("kestra_apps.urls")),
]
