from django.urls import path

from executions.views import app, approvals, execution, requests, stream

app_name = "executions"

EXECUTION = "<str:uid>/executions/<str:execution_id>/"

urlpatterns = [
    path("approvals/", approvals.approvals, name="approvals"),
    path("requests/", requests.my_requests, name="my_requests"),
    path("<str:uid>/", app.app_page, name="app"),
    path("<str:uid>/validate/", app.app_validate, name="validate"),
    path(EXECUTION, execution.execution_page, name="execution"),
    path(f"{EXECUTION}live/", execution.execution_live, name="live"),
    path(f"{EXECUTION}stream/", stream.execution_stream, name="stream"),
    path(f"{EXECUTION}files/", execution.execution_file, name="file"),
    path(f"{EXECUTION}files/preview/", execution.execution_file_preview, name="file_preview"),
    path(f"{EXECUTION}logs/", execution.execution_logs, name="logs"),
    path(f"{EXECUTION}cancel/", execution.execution_cancel, name="cancel"),
    path(f"{EXECUTION}resume/", execution.execution_resume, name="resume"),
    path(f"{EXECUTION}changes/", execution.execution_changes, name="changes"),
    path(f"{EXECUTION}delegate/", execution.execution_delegate, name="delegate"),
]
