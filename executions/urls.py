from django.urls import path

from executions import views

app_name = "executions"

urlpatterns = [
    path("<str:uid>/", views.app_page, name="app"),
    path("<str:uid>/executions/<str:execution_id>/", views.execution_page, name="execution"),
    path("<str:uid>/executions/<str:execution_id>/live/", views.execution_live, name="live"),
    path("<str:uid>/executions/<str:execution_id>/files/", views.execution_file, name="file"),
    path("<str:uid>/executions/<str:execution_id>/cancel/", views.execution_cancel, name="cancel"),
]
