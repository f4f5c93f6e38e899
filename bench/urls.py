from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/plain/", views.plain),
    path("bench/plain-in-layout/", views.plain_in_layout),
    path("bench/catalog/", views.plain_catalog),
    path("", include("kestra_apps.urls")),
]
