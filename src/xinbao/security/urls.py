from django.urls import path

from xinbao.security import views

urlpatterns = [
    path("account/sessions/", views.sessions, name="sessions"),
    path("account/sessions/end-others/", views.end_others, name="sessions_end_others"),
    path("account/otp/setup/", views.otp_setup, name="otp_setup"),
    path("account/otp/verify/", views.otp_verify, name="otp_verify"),
]
