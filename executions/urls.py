from django.urls import path

from executions import approvals, views

app_name = "executions"

EXECUTION = "<str:uid>/executions/<str:execution_id>/"

urlpatterns = [
    path("approvals/", approvals.approvals, name="approvals"),
    path("<str:uid>/", views.app_page, name="app"),
    path("<str:uid>/validate/", views.app_validate, name="validate"),
    path(EXECUTION, views.execution_page, name="execution"),
    path(f"{EXECUTION}live/", views.execution_live, name="live"),
    path(f"{EXECUTION}files/", views.execution_file, name="file"),
    path(f"{EXECUTION}files/preview/", views.execution_file_preview, name="preview"),
    path(f"{EXECUTION}cancel/", views.execution_cancel, name="cancel"),
    path(f"{EXECUTION}resume/", views.execution_resume, name="resume"),
]
