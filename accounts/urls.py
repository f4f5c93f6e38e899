from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import sign_in, views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", sign_in.Logout.as_view(), name="logout"),
    path("oidc/start/", sign_in.ProviderSignIn.as_view(), name="oidc_start"),
    path("oidc/callback/", sign_in.ProviderCallback.as_view(), name="oidc_callback"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
