from django.contrib.auth import views as auth_views
from django.urls import path

from xinbao.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.account, name="account"),
    path("account/language/", views.set_language, name="set_language"),
    path("account/password/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
