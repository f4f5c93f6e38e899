from django.urls import path

from apps_catalog import views

app_name = "apps_catalog"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("<str:uid>/thumbnail", views.thumbnail, name="thumbnail"),
]
